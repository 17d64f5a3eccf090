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
// A form is sent once. When a POST form submits, it is marked and its submit buttons are
// disabled, so a double click (or Enter pressed twice) sends nothing more: a click on a submit
// button of a marked form is cancelled before the browser starts a second submission (which would
// replace the first). The buttons are disabled a moment later, because a disabled button's
// name=value would be left out of the submission it started. Back/forward cache: a page shown
// again gets its buttons back. Forms HTMX sends (it cancels the submit event), GET forms (search,
// export) and forms that open a new window are left alone. The server refuses a replay anyway
// (core.forms.SubmitOnce).
function submitButtons(form) {
  var inside = Array.prototype.slice.call(
    form.querySelectorAll("button:not([type=button]):not([type=reset]), input[type=submit]")
  );
  var outside = form.id
    ? Array.prototype.slice.call(document.querySelectorAll("[type=submit][form='" + form.id + "']"))
    : [];
  return inside.concat(outside);
}
document.addEventListener(
  "click",
  function (event) {
    var button = event.target.closest("button, input[type=submit], input[type=image]");
    if (button && button.type === "submit" && button.form && button.form.hasAttribute("data-submitting")) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true
);
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "post") {
    return;
  }
  if (form.target === "_blank") {
    return;
  }
  form.setAttribute("data-submitting", "");
  window.setTimeout(function () {
    submitButtons(form).forEach(function (button) {
      button.disabled = true;
      button.setAttribute("data-disabled-on-submit", "");
    });
  }, 0);
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitting]").forEach(function (form) {
    form.removeAttribute("data-submitting");
  });
  document.querySelectorAll("[data-disabled-on-submit]").forEach(function (button) {
    button.disabled = false;
    button.removeAttribute("data-disabled-on-submit");
  });
});
