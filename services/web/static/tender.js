// Before a tender: the text filter narrows the sector list (without it, the full list works).
(function () {
  "use strict";
  var filter = document.getElementById("filtre-secteur");
  var select = document.getElementById("champ-sector");
  if (!filter || !select) { return; }
  filter.hidden = false;
  var wrapper = document.getElementById("groupe-filtre-secteur");
  if (wrapper) { wrapper.hidden = false; }
  var status = document.getElementById("filtre-secteur-statut");
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  filter.addEventListener("input", function () {
    var words = fold(filter.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(select.querySelectorAll("option"), function (option) {
      if (!option.value) { return; }
      var text = fold(option.textContent + " " + (option.parentNode.label || ""));
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !match;
      option.disabled = !match && !option.selected;
      if (match) { shown += 1; }
    });
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    if (status) { status.textContent = shown + " secteur(s) correspondant(s)"; }
  });
})();

// After the form is sent, the focus goes to the errors' summary, else to the result asked for.
(function () {
  "use strict";
  var target = document.getElementById("erreurs");
  if (!target) {
    var result = document.getElementById(location.hash === "#calcul" ? "resultat-heures" : "resultat");
    target = result && result.querySelector("h2, h3");
  }
  if (!target) { return; }
  target.setAttribute("tabindex", "-1");
  target.focus();
})();
