// Convoys: trips en route (progress, ETA, last fix age, escort distance, detections) and
// their vehicles on a map, refreshed by the live stream.
(function () {
  "use strict";
  var rows = document.getElementById("trip-rows");
  MW.startLive();
  if (!rows) return;
  var t = MW.t, esc = MW.escapeHtml;
  var mapNode = document.getElementById("convoy-map");
  var built = MWMap.createMap(mapNode, { bounds: [[-17.2, -73.0], [-13.8, -71.0]] });
  var vehicles = L.layerGroup().addTo(built.map);
  var markers = {};

  function placeVehicle(v) {
    if (!v.point) return;
    var marker = markers[v.id];
    var age = v.fixTime ? (Date.now() - new Date(v.fixTime)) / 1000 : null;
    var icon = MWMap.vehicleIcon(v.course, v.alarm ? "alarm" : age !== null && age > 600 ? "stale" : "ok");
    if (!marker) {
      marker = markers[v.id] = L.marker([v.point.lat, v.point.lon], { icon: icon, title: String(v.name) }).addTo(vehicles);
      marker.bindTooltip(String(v.name), { className: "mw-tooltip" });
    } else { marker.setLatLng([v.point.lat, v.point.lon]); marker.setIcon(icon); }
  }

  function ageCell(when) {
    if (!when) return "—";
    var age = (Date.now() - new Date(when)) / 1000;
    return '<span class="' + (age > 600 ? "stale" : "") + '">' + esc(MW.formatAge(age)) + (age > 600 ? " ⚠" : "") + "</span>";
  }

  function drawTrips(trips) {
    if (!trips.length) { rows.innerHTML = '<tr><td colspan="9">' + esc(t("no_trips")) + "</td></tr>"; return; }
    rows.innerHTML = trips.map(function (tr) {
      var pct = tr.progress === null ? null : Math.max(0, Math.min(100, tr.progress));
      return "<tr><td><strong>" + esc(tr.name) + "</strong></td><td>" + esc(tr.route || "—") + "</td><td>" +
        esc(tr.statusLabel || "—") + "</td><td>" + (pct === null ? "—" : '<div class="progress" role="img" aria-label="' +
        Math.round(pct) + '%"><span style="width:' + pct + '%"></span></div> ' + Math.round(pct) + "%") + "</td><td>" +
        (tr.eta ? esc(MW.formatDateTime(tr.eta)) : "—") + "</td><td>" + ageCell(tr.lastFixAt) + "</td><td>" +
        (tr.escortDistanceM === null ? "—" : esc(MW.formatNumber(tr.escortDistanceM / 1000, 1)) + " km") + "</td><td>" +
        esc([tr.cargo, tr.tonnes !== null ? MW.formatNumber(tr.tonnes, 1) + " t" : ""].filter(Boolean).join(" · ") || "—") +
        "</td><td>" + esc((tr.detections || []).map(function (d) { return d.kind_display || d.kind; }).join(", ") || "—") + "</td></tr>";
    }).join("");
  }

  function load() {
    MW.apiAll("/api/v1/trips/?status=en_route&page_size=200", 2).then(function (items) {
      drawTrips(items.map(MWAdapt.trip));
    }).catch(function () {});
    if (MW.has("devices")) {
      MW.apiAll("/api/v1/devices/?page_size=500", 2).then(function (items) {
        items.map(MWAdapt.vehicle).forEach(placeVehicle);
      }).catch(function () {});
    }
  }
  document.addEventListener("mw:event", function (e) {
    var name = e.detail.name;
    if (name.indexOf("position") >= 0) placeVehicle(MWAdapt.vehicle(e.detail.data || {}));
    else if (name.indexOf("trip.") === 0 || name.indexOf("detection.") === 0) load();
  });
  load();
  setInterval(load, MW.has("stream") ? 60000 : 15000);
})();
