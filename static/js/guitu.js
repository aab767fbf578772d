// 归途: the page behaviour that used to be inline script and on* attributes. The Content-Security-Policy
// (docs/security.md) allows scripts from our own static files only, so every handler lives here and is
// attached through data-* attributes.
(function () {
  "use strict";

  // <button data-confirm="…"> / <form data-confirm="…">: ask before submitting.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && button.tagName !== "FORM" && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });

  // <select data-autosubmit data-clear="city">: submit the filter form on change, clearing dependent fields.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (!select || !select.form) return;
    (select.dataset.clear || "").split(" ").forEach(function (name) {
      if (name && select.form.elements[name]) select.form.elements[name].value = "";
    });
    select.form.submit();
  });

  // Departure form: show only the fields of the chosen exit type (validation stays server-side).
  function showExitFields() {
    var select = document.querySelector("[data-exit-type]");
    if (!select) return;
    var form = select.form || document;
    form.querySelectorAll("[data-types]").forEach(function (el) {
      var field = el.closest(".field");
      if (field) field.style.display = el.dataset.types.split(" ").indexOf(select.value) >= 0 ? "" : "none";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.closest("[data-exit-type]")) showExitFields();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showExitFields);
  } else {
    showExitFields();
  }
})();
