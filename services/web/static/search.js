// Search fields: keyboard-usable suggestions (ARIA combobox), « around me » through the
// browser's geolocation. Every page works without this file.
(function () {
  "use strict";

  function options(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
  }

  function setUp(input) {
    if (input.dataset.ready) return;
    input.dataset.ready = "1";
    var box = document.getElementById(input.dataset.suggest);
    var form = input.form;
    var chosenLabel = null;
    var hidden = {};
    if (form) {
      ["sector", "cpv"].forEach(function (name) {
        var field = form.querySelector("#choix-" + name);
        if (field && input.name === "q") hidden[name] = field;
      });
    }
    function list() { return box && box.querySelector("[role=listbox]"); }
    function close() {
      var l = list();
      if (l) l.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function activate(option) {
      options(list()).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
      if (option) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }
    function pick(option) {
      input.value = option.dataset.label;
      if (option.dataset.param && hidden[option.dataset.param]) {
        Object.keys(hidden).forEach(function (k) { hidden[k].disabled = true; hidden[k].value = ""; });
        hidden[option.dataset.param].value = option.dataset.value;
        hidden[option.dataset.param].disabled = false;
        chosenLabel = option.dataset.label;
      }
      close();
      input.focus();
    }
    input.addEventListener("input", function () {
      if (chosenLabel !== null && input.value !== chosenLabel) {
        Object.keys(hidden).forEach(function (k) { hidden[k].disabled = true; hidden[k].value = ""; });
        chosenLabel = null;
      }
    });
    input.addEventListener("keydown", function (event) {
      var all = options(list());
      var l = list();
      var open = l && !l.hidden && all.length;
      var current = all.indexOf(document.getElementById(input.getAttribute("aria-activedescendant") || ""));
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        var next = event.key === "ArrowDown" ? current + 1 : current - 1;
        if (next < 0) next = all.length - 1;
        if (next >= all.length) next = 0;
        activate(all[next]);
      } else if (event.key === "Enter" && open && current >= 0) {
        event.preventDefault();
        pick(all[current]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 200); });
    if (box) {
      box.addEventListener("mousedown", function (event) { event.preventDefault(); });
      box.addEventListener("click", function (event) {
        var option = event.target.closest("[role=option]");
        if (option) pick(option);
      });
      box.addEventListener("htmx:afterSwap", function () {
        var found = options(list()).length > 0 && document.activeElement === input;
        var l = list();
        if (l) l.hidden = !found;
        input.setAttribute("aria-expanded", found ? "true" : "false");
        input.removeAttribute("aria-activedescendant");
      });
    }
    if (form && input.name === "q") {
      form.addEventListener("submit", function () {
        // A sector or CPV picked from the list is sent as such, not as words.
        if (chosenLabel !== null && input.value === chosenLabel) input.disabled = true;
      });
    }
  }

  function aroundMe(event) {
    var link = event.target.closest("[data-autour]");
    if (!link || !navigator.geolocation) return;
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var params = new URLSearchParams(window.location.pathname === "/recherche" ? window.location.search : "");
        ["ou", "commune", "department", "region", "page", "autour", "lat", "lng"].forEach(function (k) { params.delete(k); });
        params.set("lat", position.coords.latitude.toFixed(5));
        params.set("lng", position.coords.longitude.toFixed(5));
        if (!params.get("radius_km")) params.set("radius_km", "30");
        params.set("sort", "distance");
        window.location.href = "/recherche?" + params.toString();
      },
      function () { window.location.href = link.href; },
      { timeout: 10000, maximumAge: 600000 }
    );
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("input[data-suggest]"), setUp);
    var filters = document.querySelector("details[data-filters]");
    if (filters && !filters.dataset.ready) {
      filters.dataset.ready = "1";
      // On a phone the filters start folded so the results come first.
      if (window.matchMedia("(max-width: 47.99em)").matches) filters.open = false;
    }
  }

  document.addEventListener("click", aroundMe);
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    init(document);
    var target = event.detail && event.detail.elt;
    if (target && target.id === "recherche") {
      var heading = document.getElementById("resultats-titre");
      var error = document.getElementById("erreurs");
      (error || heading) && (error || heading).focus();
    }
  });
  // Back to a page kept by the browser: the fields are usable again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), function (i) { i.disabled = false; });
  });
})();
