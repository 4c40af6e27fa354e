// Incident page: htmx polls the live region every 15 seconds, sending the ETag it last received; the
// server answers 304 when nothing changed, or only the sections that changed (out-of-band swaps).
// Skip a poll while someone is typing in (or has changed) one of the region's forms, keep open
// <details> open across an update, and tell screen readers (politely) only when the summary of the
// incident has changed. In the checklist (one form, a button per task), Enter in a field presses that
// field's own button, and "Skip the task" needs its reason before anything is sent.
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

  function isRegion(element) {
    return element && element.id === REGION;
  }

  let openIds = [];
  document.addEventListener("htmx:beforeRequest", (event) => {
    const region = event.detail && event.detail.elt;
    if (!isRegion(region)) return;
    const active = document.activeElement;
    const busy = active && region.contains(active) && active.closest("form, summary");
    if (busy || Array.from(region.querySelectorAll("form")).some(changed)) {
      event.preventDefault();
      return;
    }
    openIds = Array.from(region.querySelectorAll("details[open][id]")).map((d) => d.id);
  });

  document.addEventListener("htmx:configRequest", (event) => {
    const region = event.detail && event.detail.elt;
    if (isRegion(region) && region.dataset.etag) event.detail.headers["If-None-Match"] = region.dataset.etag;
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const region = event.detail && event.detail.elt;
    const xhr = event.detail && event.detail.xhr;
    if (!isRegion(region) || !xhr || (xhr.status !== 200 && xhr.status !== 304)) return;
    const tag = xhr.getResponseHeader("ETag");
    if (tag) region.dataset.etag = tag;
  });

  function announce() {
    const source = document.getElementById("live-summary-source");
    const status = document.getElementById("live-status");
    if (source && status && status.dataset.last !== source.textContent) {
      if (status.dataset.last !== undefined) status.textContent = "Updated: " + source.textContent;
      status.dataset.last = source.textContent;
    }
  }

  document.addEventListener("htmx:oobAfterSwap", () => {
    openIds.forEach((id) => {
      const details = document.getElementById(id);
      if (details) details.open = true;
    });
    announce();
  });

  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || !field || !field.dataset || !field.dataset.enter) return;
    const button = document.getElementById(field.dataset.enter);
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  document.addEventListener("click", (event) => {
    const button = event.target && event.target.closest && event.target.closest("button[data-requires]");
    if (!button) return;
    const field = document.getElementById(button.dataset.requires);
    if (field && field.validity && field.validity.valueMissing) {
      event.preventDefault();
      field.reportValidity();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("live-summary-source");
    const status = document.getElementById("live-status");
    if (source && status) status.dataset.last = source.textContent;
  });
})();
