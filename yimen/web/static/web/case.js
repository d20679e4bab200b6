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
