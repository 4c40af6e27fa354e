// Registers the service worker that keeps the "what do I do" pages and the contacts on this phone
// (see offline-sw.js), and forgets them when the user signs out: the saved pages are deleted before
// the sign-out is sent, and the worker deletes them again when it sees the sign-out go by.
"use strict";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // No saved copies on this browser (a private window, or an insecure address): the pages still work.
  });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || new URL(form.action, location.href).pathname !== "/logout/") return;
  if (!("caches" in window) || form.dataset.forgotten) return;
  event.preventDefault();
  form.dataset.forgotten = "yes";
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (worker) worker.postMessage("forget");
  caches.delete("contingency-pages-v1").finally(() => form.submit());
});
