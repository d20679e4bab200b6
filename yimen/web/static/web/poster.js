// The poster's print button (a file of our own: the Content-Security-Policy runs no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", function () { window.print(); });
});
