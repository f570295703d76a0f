// Progressive enhancement of the account pages: every action also works without this file.
(function () {
  "use strict";
  // The confirmation page links become buttons that open the design system's modal dialog.
  document.querySelectorAll("[data-mi-modal-fallback]").forEach(function (link) {
    var button = link.parentNode.querySelector("button[aria-controls='" + link.getAttribute("data-mi-modal-fallback") + "']");
    if (!button) return;
    link.hidden = true;
    button.hidden = false;
  });
  // A new key's secret: one button copies it, and the field selects itself when focused.
  document.querySelectorAll("[data-mi-copy-source]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
  document.querySelectorAll("[data-mi-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-mi-copy"));
    var status = document.getElementById("copie-statut");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = "Clé copiée dans le presse-papiers.";
      }, function () {
        field.select();
        if (status) status.textContent = "Copie impossible : sélectionnez le champ puis copiez (Ctrl+C).";
      });
    });
  });
})();
