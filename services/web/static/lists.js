// Progressive enhancement only: the lists' and alerts' pages work without this file.
(function () {
  "use strict";
  // A form sent back with errors: the summary above it takes the focus, so it is read first.
  var summary = document.getElementById("erreurs");
  if (summary) summary.focus();
})();
