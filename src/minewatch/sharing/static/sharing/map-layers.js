// The sharing map: what the groups shared, imported ACLED events and partners' intelligence,
// each a separate layer (none of it is the organisation's own register).
(function () {
  "use strict";
  var element = document.getElementById("sharing-map");
  if (!element || !window.L || !window.MWMap) return;
  var map = MWMap.createMap(element).map;
  var layers = { shared: L.layerGroup().addTo(map), acled: L.layerGroup().addTo(map),
    external: L.layerGroup().addTo(map) };
  var colours = { shared: "#f59e0b", acled: "#a78bfa", external: "#34d399" };

  function text(value) { return value === null || value === undefined ? "" : String(value); }

  function draw(name, rows, label) {
    var count = 0;
    rows.forEach(function (row) {
      if (row.lat === null || row.lat === undefined) return;
      var marker = L.circleMarker([row.lat, row.lon], { radius: 6, color: colours[name], weight: 2,
        fillOpacity: 0.6 });
      var tip = document.createElement("span");
      tip.textContent = label(row);
      marker.bindTooltip(tip);
      marker.addTo(layers[name]);
      count += 1;
    });
    var node = document.querySelector('[data-sharing-count="' + name + '"]');
    if (node) node.textContent = "(" + count + ")";
  }

  MW.apiAll(element.getAttribute("data-shared-url")).then(function (rows) {
    draw("shared", rows, function (r) { return text(r.title) + " · " + text(r.occurred_on) + " · " + text(r.tlp); });
  });
  MW.apiAll(element.getAttribute("data-acled-url")).then(function (rows) {
    draw("acled", rows, function (r) { return "ACLED " + text(r.event_date) + " · " + text(r.event_type) + " · " + text(r.location); });
  });
  MW.apiAll(element.getAttribute("data-external-url")).then(function (rows) {
    draw("external", rows, function (r) { return text(r.stix_type) + " · " + text(r.name) + " · " + text(r.partner); });
  });
  document.querySelectorAll("[data-sharing-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var layer = layers[box.getAttribute("data-sharing-layer")];
      if (box.checked) layer.addTo(map); else map.removeLayer(layer);
    });
  });
})();
