// The household form's "add a member" button: a new member row from the empty-form template.
document.getElementById("add-member").addEventListener("click", function () {
  var total = document.getElementById("id_members-TOTAL_FORMS");
  var n = parseInt(total.value, 10);
  var html = document.getElementById("member-template").innerHTML.replace(/__prefix__/g, n);
  var holder = document.createElement("div");
  holder.innerHTML = html;
  var row = holder.firstElementChild;
  document.getElementById("member-rows").appendChild(row);
  total.value = n + 1;
  if (window.htmx) { htmx.process(row); }
});
