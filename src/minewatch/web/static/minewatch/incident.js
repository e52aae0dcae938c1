// The small map on an incident's page: its position over Peru's regions.
(function () {
  "use strict";
  var element = document.getElementById("incident-map");
  if (!element || !window.L) return;
  var lat = parseFloat(element.getAttribute("data-lat"));
  var lon = parseFloat(element.getAttribute("data-lon"));
  var built = MWMap.createMap(element, { bounds: [[lat - 0.6, lon - 0.6], [lat + 0.6, lon + 0.6]] });
  L.marker([lat, lon], { icon: MWMap.threatIcon(element.getAttribute("data-threat"),
    parseInt(element.getAttribute("data-severity"), 10)), keyboard: false }).addTo(built.map);
})();
