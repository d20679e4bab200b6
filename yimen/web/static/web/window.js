// The unified window and the receipt. The form works without this file (two party rows, the
// category <select>, the file input, the print menu); this adds the keyboard shortcuts, party
// rows, the category type-ahead's picking, the drop zone and the print button.
(function () {
  "use strict";

  var form = document.querySelector("[data-window-form]");

  // Things only a script can drive are rendered hidden; show them now.
  document.querySelectorAll("[data-js-only], [data-add-party], [data-remove-party]").forEach(function (el) {
    el.hidden = false;
  });

  // Receipt: the print button.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  if (!form) { return; }

  // Keyboard: Ctrl+Enter (⌘+Enter) saves from anywhere in the form; Enter in a one-line input moves
  // to the next field instead of submitting half a form. Textareas keep Enter for new lines.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) { return; }
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var target = event.target;
    if (target.tagName !== "INPUT" || ["submit", "button", "file", "checkbox", "radio"].indexOf(target.type) >= 0) { return; }
    event.preventDefault();
    if (target.id === "category-q") {
      var first = document.querySelector("#category-results .category-pick");
      if (first) { first.click(); }
      return;
    }
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && !el.hidden && el.type !== "hidden" && el.offsetParent !== null;
    });
    var next = fields[fields.indexOf(target) + 1];
    if (next) { next.focus(); }
  });

  // Party rows: add from the <template> (the formset's empty form), remove by taking the row out
  // (a missing row counts as blank on the server).
  var rows = document.getElementById("party-rows");
  var total = form.querySelector("input[name='parties-TOTAL_FORMS']");
  var template = document.getElementById("party-row-template");
  function renumber() {
    rows.querySelectorAll("[data-party-row] .row-number").forEach(function (span, i) { span.textContent = String(i + 1); });
  }
  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-party]");
    var remove = event.target.closest("[data-remove-party]");
    if (add && template && total) {
      var index = parseInt(total.value, 10);
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var row = holder.firstElementChild;
      row.querySelectorAll("[data-remove-party]").forEach(function (el) { el.hidden = false; });
      rows.appendChild(row);
      total.value = String(index + 1);
      if (window.htmx) { window.htmx.process(row); }
      renumber();
      var name = row.querySelector("input[name$='-name']");
      if (name) { name.focus(); }
    } else if (remove) {
      var gone = remove.closest("[data-party-row]");
      var after = gone.nextElementSibling || gone.previousElementSibling;
      gone.remove();
      renumber();
      if (after) { after.querySelector("select, input").focus(); }
    }
  });

  // Category type-ahead: a result button fills the <select>, which stays the form's value.
  var select = document.getElementById("id_category");
  var search = document.getElementById("category-q");
  var results = document.getElementById("category-results");
  if (results && select) {
    results.addEventListener("click", function (event) {
      var pick = event.target.closest(".category-pick");
      if (!pick) { return; }
      select.value = pick.getAttribute("data-category-id");
      search.value = pick.getAttribute("data-category-path");
      results.innerHTML = "";
      select.focus();
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = results.querySelector(".category-pick");
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var picks = Array.prototype.slice.call(results.querySelectorAll(".category-pick"));
      var at = picks.indexOf(document.activeElement);
      if (at < 0) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowRight") { event.preventDefault(); (picks[at + 1] || picks[at]).focus(); }
      if (event.key === "ArrowUp" || event.key === "ArrowLeft") { event.preventDefault(); (picks[at - 1] || search).focus(); }
    });
  }

  // Attachments: dropping files adds them to the real <input type=file multiple>.
  var zone = form.querySelector("[data-drop-zone]");
  if (zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-drop-list]");
    var show = function () {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      // The words come from the template, in the page's language.
      list.textContent = names.length ? list.dataset.chosen + names.join(list.dataset.separator) : "";
    };
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      var merged = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { merged.items.add(f); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (f) { merged.items.add(f); });
      input.files = merged.files;
      show();
    });
    input.addEventListener("change", show);
  }
})();
