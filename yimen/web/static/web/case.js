// The dispatcher's unit picker: a unit chosen as lead is not also an assisting or joining unit.
// Progressive enhancement only; the server accepts and checks the form without it.
(function () {
  function sync(event) {
    var input = event.target;
    if (!input.form || input.name !== "lead_unit") return;
    input.form.querySelectorAll('input[type=checkbox][value="' + input.value + '"]').forEach(function (box) {
      box.checked = false;
    });
  }
  document.addEventListener("change", sync);
})();

// The unit picker's filter: rows are hidden as one types a name or picks a kind; checked units
// stay shown. Without JS the same form filters on the server (unit_q, unit_kind).
(function () {
  var filter = document.querySelector("[data-unit-filter]");
  if (!filter) return;
  function apply() {
    var query = filter.querySelector("[name=unit_q]").value.trim();
    var kind = filter.querySelector("[name=unit_kind]").value;
    document.querySelectorAll("[data-unit-picker] tr[data-unit-name]").forEach(function (row) {
      var chosen = row.querySelector("input:checked") !== null;
      var match = (!query || row.dataset.unitName.indexOf(query) !== -1) && (!kind || row.dataset.unitKind === kind);
      row.hidden = !(chosen || match);
    });
  }
  filter.addEventListener("input", apply);
  filter.addEventListener("change", apply);
  filter.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
})();
