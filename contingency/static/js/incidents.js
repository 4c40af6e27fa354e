// Incident page: htmx refreshes the live region every 15 seconds. Skip a refresh while someone is
// typing in (or has changed) one of its forms, keep open <details> open across a refresh, and
// tell screen readers (politely) only when the summary of the incident has changed.
(function () {
  "use strict";
  const REGION = "incident-live";

  function changed(form) {
    return Array.from(form.elements).some((el) => {
      if (el.type === "hidden" || el.type === "submit") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") {
        // With no option marked selected, the first one is the default.
        const initial = Array.from(el.options).findIndex((o) => o.defaultSelected);
        return el.selectedIndex !== (initial < 0 ? 0 : initial);
      }
      return el.value !== el.defaultValue;
    });
  }

  let openIds = [];
  document.addEventListener("htmx:beforeRequest", (event) => {
    const region = event.detail && event.detail.elt;
    if (!region || region.id !== REGION) return;
    const active = document.activeElement;
    const busy = active && region.contains(active) && active.closest("form, summary");
    if (busy || Array.from(region.querySelectorAll("form")).some(changed)) {
      event.preventDefault();
      return;
    }
    openIds = Array.from(region.querySelectorAll("details[open][id]")).map((d) => d.id);
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const region = event.detail && event.detail.target;
    if (!region || region.id !== REGION) return;
    openIds.forEach((id) => {
      const details = document.getElementById(id);
      if (details) details.open = true;
    });
    const source = document.getElementById("live-summary-source");
    const status = document.getElementById("live-status");
    if (source && status && status.dataset.last !== source.textContent) {
      if (status.dataset.last !== undefined) status.textContent = "Updated: " + source.textContent;
      status.dataset.last = source.textContent;
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("live-summary-source");
    const status = document.getElementById("live-status");
    if (source && status) status.dataset.last = source.textContent;
  });
})();
