// Small behaviours every page shares; no inline scripts (the CSP forbids them).
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
