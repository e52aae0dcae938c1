// Top menu groups (details/summary): one open at a time; a click outside or Escape closes them.
(function () {
  "use strict";
  const groups = Array.from(document.querySelectorAll(".navgroup"));
  groups.forEach((group) => group.addEventListener("toggle", () => {
    if (group.open) groups.forEach((other) => { if (other !== group) other.open = false; });
  }));
  document.addEventListener("click", (event) => {
    groups.forEach((group) => { if (group.open && !group.contains(event.target)) group.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    groups.forEach((group) => {
      if (group.open) { group.open = false; group.querySelector("summary").focus(); }
    });
  });
})();
