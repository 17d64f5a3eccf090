// Bootstrap progress bars of background jobs: the width comes from data-percent (the CSP allows
// no style="" attribute; setting the style from a script file is allowed). Runs on load and on
// every HTMX swap (the bar is polled).
(function () {
  "use strict";
  function apply(root) {
    (root || document).querySelectorAll(".progress-bar[data-percent]").forEach(function (el) {
      var pct = Math.max(0, Math.min(100, parseInt(el.getAttribute("data-percent"), 10) || 0));
      el.style.width = pct + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { apply(document); });
  document.addEventListener("htmx:load", function (e) { apply(e.target && e.target.querySelectorAll ? e.target : document); });
  document.addEventListener("htmx:afterSwap", function () { apply(document); });
})();
