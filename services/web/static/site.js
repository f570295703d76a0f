// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // After an htmx swap, move the focus to the region's heading so screen readers follow.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute("data-focus-after-swap")) return;
    var heading = target.querySelector("[tabindex='-1'], h1, h2");
    if (heading) {
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });
})();
