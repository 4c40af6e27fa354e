// Plan page: after htmx swaps the dependency diagram, move focus to its result heading so
// keyboard and screen-reader users hear what changed.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail && event.detail.target;
  if (!target || !document.getElementById("dependencies-body")) return;
  const heading = document.getElementById("failure-result");
  if (heading) heading.focus();
});
