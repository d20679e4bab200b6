// Residents' pages: conveniences only; every page works without this file.
(function () {
  "use strict";
  // A confirmed action (data-confirm) asks once; a submitted form cannot be sent twice by a double tap.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () { form.dataset.sent = ""; }, 4000);
  });
})();
