// Formsets whose rows the page adds and removes in the browser. The CSP allows no inline script,
// so the template only marks the parts:
//   <div data-formset="PREFIX">                    the formset (PREFIX = formset.prefix)
//     {{ formset.management_form }}
//     <div data-formset-rows> rows, each [data-formset-row] </div>
//     <template data-formset-template> the row of formset.empty_form </template>
//     <button type="button" data-formset-add>
//   and, in a row not yet saved, <button type="button" data-formset-remove>.
// Adding copies the empty form with the next index; removing a row renumbers the rows after the
// saved ones so the indexes stay 0..TOTAL_FORMS-1, as Django's formset expects.
(function () {
  "use strict";

  function escapeRe(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function management(container, name) {
    var prefix = container.getAttribute("data-formset");
    return container.querySelector("input[name='" + prefix + "-" + name + "']");
  }

  function rowsOf(container) {
    var holder = container.querySelector("[data-formset-rows]");
    return Array.prototype.filter.call(holder.children, function (el) {
      return el.hasAttribute("data-formset-row");
    });
  }

  function setIndex(row, prefix, index) {
    var pattern = new RegExp(escapeRe(prefix) + "-(\\d+|__prefix__)", "g");
    var elements = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    elements.forEach(function (el) {
      Array.prototype.forEach.call(el.attributes, function (attr) {
        if (attr.name !== "value" && attr.value.indexOf(prefix + "-") !== -1) {
          attr.value = attr.value.replace(pattern, prefix + "-" + index);
        }
      });
    });
  }

  function renumber(container) {
    var prefix = container.getAttribute("data-formset");
    var initial = parseInt(management(container, "INITIAL_FORMS").value, 10) || 0;
    var rows = rowsOf(container);
    rows.forEach(function (row, i) {
      if (i >= initial) {
        setIndex(row, prefix, i);
      }
    });
    management(container, "TOTAL_FORMS").value = rows.length;
  }

  function addRow(container) {
    var template = container.querySelector("template[data-formset-template]");
    var row = template.content.firstElementChild.cloneNode(true);
    container.querySelector("[data-formset-rows]").appendChild(row);
    renumber(container);
    if (window.htmx) {
      window.htmx.process(row);
    }
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (add) {
      event.preventDefault();
      addRow(add.closest("[data-formset]"));
      return;
    }
    var remove = event.target.closest("[data-formset-remove]");
    if (remove) {
      event.preventDefault();
      var container = remove.closest("[data-formset]");
      remove.closest("[data-formset-row]").remove();
      renumber(container);
    }
  });
})();
