// Plan editing: move focus to the error summary when a form comes back with problems,
// so keyboard and screen-reader users hear what went wrong first (WCAG 3.3.1).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
});
