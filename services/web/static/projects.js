// Purchase projects: the justification shows once « aucune » is ticked (always shown without
// scripts, and whenever it holds an error or text); after a refused form, focus goes to its errors.
(function () {
  "use strict";
  var box = document.getElementById("option-aucune");
  var block = document.getElementById("justification");
  if (box && block) {
    var keep = block.querySelector(".fr-message--error") || document.getElementById("champ-justification_text").value;
    var sync = function () { block.hidden = !box.checked && !keep; };
    box.addEventListener("change", sync);
    sync();
  }
  var errors = document.getElementById("erreurs");
  if (errors) { errors.focus(); }
})();
