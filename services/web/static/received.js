// Needs received: the answer form shows only the part of the chosen answer (the form works,
// every part shown, without this file); the result of a sending takes the focus.
(function () {
  "use strict";
  var form = document.getElementById("formulaire-reponse");
  var landing = document.getElementById("erreurs") || document.getElementById("reponse-envoyee");
  if (landing) landing.focus();
  if (!form) return;
  var interested = document.getElementById("si-interesse");
  var declining = document.getElementById("si-pas-interesse");
  var partners = document.getElementById("champ-partners");
  function show() {
    var chosen = form.querySelector("input[name='status']:checked");
    var value = chosen ? chosen.value : "";
    interested.hidden = value === "not_interested";
    declining.hidden = value === "interested" || value === "groupement";
    if (partners) {
      partners.closest(".fr-input-group").hidden = value !== "groupement";
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "status") show();
  });
  show();
})();
