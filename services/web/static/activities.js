// Activities and offers: the place autocomplete adds zones as removable tags, the parts of the
// range that do not apply are hidden, Enter in a search box runs that box. Every form works
// without this file.
(function () {
  "use strict";

  function options(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
  }

  function showRangeParts(form) {
    var chosen = form.querySelector("input[data-range-choice]:checked");
    Array.prototype.forEach.call(form.querySelectorAll("[data-range-part]"), function (part) {
      var keep = chosen && chosen.value === part.dataset.rangePart;
      // A part holding an error stays visible whatever is chosen.
      part.hidden = !keep && !part.querySelector(".fr-message--error");
    });
  }

  function addTag(form, label) {
    var list = form.querySelector("[data-zones-list]");
    if (!list) return;
    var exists = Array.prototype.some.call(list.querySelectorAll("input[name=lieux]"), function (i) { return i.value === label; });
    if (exists) return;
    var item = document.createElement("li");
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "lieux";
    hidden.value = label;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fr-tag fr-tag--sm fr-icon-close-line fr-tag--icon-left mi-zone-tag";
    button.setAttribute("aria-label", "Retirer " + label);
    button.textContent = label;
    item.appendChild(hidden);
    item.appendChild(button);
    list.appendChild(item);
    var empty = form.querySelector("[data-zones-empty]");
    if (empty) empty.hidden = true;
    var zones = form.querySelector("input[data-range-choice][value=zones]");
    if (zones && !zones.checked) {
      zones.checked = true;
      showRangeParts(form);
    }
    var status = document.getElementById("zones-annonce");
    if (status) status.textContent = label + " ajouté aux zones.";
  }

  function setUpZones(input) {
    if (input.dataset.ready) return;
    input.dataset.ready = "1";
    var form = input.form;
    var box = document.getElementById("champ-ou-suggestions");
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
      addTag(form, option.dataset.label);
      input.value = "";
      close();
      input.focus();
    }
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
        event.stopPropagation();
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
  }

  function setUp(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    showRangeParts(form);
    form.addEventListener("change", function (event) {
      if (event.target.matches("input[data-range-choice]")) showRangeParts(form);
    });
    // A tag's cross removes it here and now (without scripts, the form comes back without it).
    form.addEventListener("click", function (event) {
      var tag = event.target.closest(".mi-zone-tag");
      if (!tag || !form.contains(tag)) return;
      event.preventDefault();
      var item = tag.closest("li");
      var next = item && (item.nextElementSibling || item.previousElementSibling);
      var label = tag.textContent;
      if (item) item.remove();
      var status = document.getElementById("zones-annonce");
      if (status) status.textContent = label + " retiré des zones.";
      var focus = next && next.querySelector("button");
      (focus || form.querySelector("[data-zone-input]")).focus();
      var list = form.querySelector("[data-zones-list]");
      var empty = form.querySelector("[data-zones-empty]");
      if (empty && list && !list.children.length) empty.hidden = false;
    });
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.defaultPrevented) return;
      var field = event.target;
      var action = field && field.dataset && field.dataset.enter;
      if (!action) return;
      event.preventDefault();
      if (action === "filtrer-secteurs") return; // the list is filtered as one types
      var button = form.querySelector("button[value='" + action + "']");
      if (button) button.click();
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-zone-input]"), setUpZones);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form.mi-activity-form"), setUp);
    var alert = document.getElementById("conflit") || document.getElementById("erreurs") || document.getElementById("erreurs-photo");
    if (alert) alert.focus();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
