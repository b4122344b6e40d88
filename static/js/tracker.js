/*
 * Starts the vendored Scottish Government Design System components. Loaded as
 * a module after vendor/sgds/scripts/design-system.js (which sets window.DS);
 * there is no inline script anywhere, so a Content-Security-Policy without
 * 'unsafe-inline' holds.
 */
document.documentElement.classList.add("js-enabled");

if (window.DS && typeof window.DS.initAll === "function") {
  window.DS.initAll();
}

// A form came back with errors: take keyboard and screen reader users to the summary.
const errorSummary = document.querySelector(".ds_error-summary");
if (errorSummary) {
  errorSummary.focus();
}
