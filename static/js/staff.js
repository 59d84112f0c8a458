// Behaviour the templates would otherwise write inline (onchange, onclick, style=""), kept
// here so the Content-Security-Policy can forbid inline script and style.
(function () {
  "use strict";

  // <select data-autosubmit>: the language switch sends its form when a language is picked.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // <span data-width="42">: a meter bar 42% wide.
  function sizeBars(root) {
    root.querySelectorAll("[data-width]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.width) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:load", function (event) { sizeBars(event.detail.elt); });
})();
