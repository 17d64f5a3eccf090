// Behaviour the templates ask for with data- attributes: the Content-Security-Policy allows no
// inline scripts or event handlers (onclick=…), so they live here.
document.addEventListener("click", function (event) {
  var confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
    event.preventDefault();
    return;
  }
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
    return;
  }
  if (event.target.closest("[data-back]")) {
    event.preventDefault();
    window.history.back();
  }
});
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-autosubmit]")) {
    event.target.form.submit();
  }
});
