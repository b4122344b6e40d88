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

/*
 * A long checkbox list (templates/forms/_choices.html, e.g. "Addressed to"): a box above it
 * that shows only the options whose label contains what is typed, and a count of the options
 * selected, announced as it changes. Without JavaScript the list is plain checkboxes.
 */
const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

document.querySelectorAll("[data-tracker-choice-list]").forEach((list, index) => {
  const options = Array.from(list.querySelectorAll(".ds_checkbox"));
  const groups = Array.from(list.querySelectorAll(".tracker-choice-list__group"));
  const count = list.querySelector(".tracker-choice-list__count");
  const box = list.querySelector(".tracker-choice-list__options");
  const name = list.dataset.label || "options";

  const search = document.createElement("input");
  search.type = "search";
  search.id = `${count ? count.id : `choice-list-${index}`}-search`;
  search.className = "ds_input ds_input--fluid-full tracker-choice-list__search";
  search.autocomplete = "off";
  search.spellcheck = false;
  search.setAttribute("aria-controls", box.id || (box.id = `${search.id}-options`));
  if (count) {
    search.setAttribute("aria-describedby", count.id);
  }
  const label = document.createElement("label");
  label.className = "ds_label ds_label--small";
  label.htmlFor = search.id;
  label.textContent = `Find in the list “${name}”`;
  list.insertBefore(label, list.firstChild);
  list.insertBefore(search, label.nextSibling);

  const describe = () => {
    const selected = options.filter((option) => option.querySelector("input").checked).length;
    const shown = options.filter((option) => !option.hidden).length;
    let text = `${selected} selected`;
    if (shown < options.length) {
      text += `; ${shown} of ${options.length} shown`;
    }
    if (count && count.textContent !== text) {
      count.textContent = text;
    }
  };

  const filter = () => {
    const query = fold(search.value.trim());
    options.forEach((option) => {
      option.hidden = query !== "" && !fold(option.textContent).includes(query);
    });
    groups.forEach((group) => {
      group.hidden = !group.querySelector(".ds_checkbox:not([hidden])");
    });
    describe();
  };

  search.addEventListener("input", filter);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter looks through the list; it does not apply the filters
    } else if (event.key === "Escape" && search.value) {
      event.preventDefault();
      search.value = "";
      filter();
    }
  });
  list.addEventListener("change", describe);
});
