/*
 * The admin's export page: the "Select all" toggle, wired up here rather than by an
 * inline onchange attribute, which the Content-Security-Policy blocks.
 * onSelectToggleChange comes from django-import-export's export_selectable_fields.js.
 */
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".select-toggle");
  if (toggle && typeof window.onSelectToggleChange === "function") {
    toggle.addEventListener("change", window.onSelectToggleChange);
  }
});
