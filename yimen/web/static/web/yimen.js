// Small workbench behaviours. Everything works without this file; it only adds convenience.
(function () {
  "use strict";
  // A confirmed action (data-confirm) asks once before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  // htmx: keep the server's Chinese error page fragment when a request fails with 4xx.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
