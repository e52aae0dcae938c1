// Dashboard charts (Chart.js, vendored). The same numbers are in a table for screen readers.
(function () {
  "use strict";
  var canvas = document.getElementById("per-month-chart");
  var data = JSON.parse(document.getElementById("per-month-data").textContent);
  if (!canvas || !window.Chart) return;
  var colors = { terrorism: "#ef4444", social_conflict: "#f59e0b", illegal_mining: "#84cc16",
    organised_crime: "#c084fc", internal: "#22d3ee" };
  // Patterns as well as colours would need a plugin; the legend order and the table carry it.
  Chart.defaults.color = "#cbd5e1";
  Chart.defaults.borderColor = "#24324a";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels.map(function (label) {
        var parts = label.split("-");
        return new Intl.DateTimeFormat(MW.locale, { month: "short", year: "2-digit", timeZone: "UTC" })
          .format(new Date(Date.UTC(+parts[0], +parts[1] - 1, 15)));
      }),
      datasets: data.series.map(function (s) {
        return { label: s.label, data: s.data, backgroundColor: colors[s.code], borderColor: "#0b1220", borderWidth: 1 };
      })
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" }, tooltip: { mode: "index", intersect: false } }
    }
  });
})();
