// The matter list: keep bookmarked addresses short. Everything works without this file.
(function () {
  "use strict";
  // An htmx filter request leaves out empty fields, so the pushed URL names only real filters
  // (the same address a saved filter stores).
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    if (!event.detail.elt.closest || !event.detail.elt.closest(".filter-form")) { return; }
    if (params instanceof FormData) {
      var empty = [];
      params.forEach(function (value, key) { if (value === "") { empty.push(key); } });
      empty.forEach(function (key) { params.delete(key); });
    } else {
      Object.keys(params).forEach(function (key) { if (params[key] === "") { delete params[key]; } });
    }
  });
})();
