// Worklists and boards: small conveniences only; every form works without this file.
(function () {
  "use strict";
  // Follow-up: the service requires a comment when the resident is unsatisfied; say so before
  // submitting (the service's own message still shows if the browser lets it through).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "satisfaction") { return; }
    var form = input.form;
    var comment = form && form.querySelector("textarea[name=comment]");
    if (comment) { comment.required = input.value === "unsatisfied" && input.checked; }
  });
})();
