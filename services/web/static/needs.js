// Needs: small conveniences on top of forms that work without this file.
(function () {
  "use strict";
  // In the step « territoire et domaine », Enter in a search box runs that box's search.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var field = event.target;
    if (!field || !field.id) return;
    var action = { "champ-cpv_search": "chercher-cpv", "champ-place_search": "chercher-lieu" }[field.id];
    if (!action || !field.form) return;
    var button = field.form.querySelector("button[value='" + action + "']");
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
