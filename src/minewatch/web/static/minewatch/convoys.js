// Convoys: trips en route (progress along the route, ETA, last fix age, escort distance,
// cargo, detections on a timeline since departure) and their vehicles on a map, moved by
// the live stream. Each trip links to its page (track on the map, all its detections).
(function () {
  "use strict";
  var rows = document.getElementById("trip-rows");
  MW.startLive();
  if (!rows) return;
  var t = MW.t, esc = MW.escapeHtml;
  var ESCORT_WARN_M = 2000; // farther than this the escort no longer covers the truck
  var mapNode = document.getElementById("convoy-map");
  var built = MWMap.createMap(mapNode, { bounds: [[-17.2, -73.0], [-13.8, -71.0]] });
  var routes = L.layerGroup().addTo(built.map);
  var vehicles = L.layerGroup().addTo(built.map);
  var trips = [], detectionsByTrip = {};
  var fleet = new MWConvoy.Fleet(vehicles, {
    onSelect: function (v, info) { if (info) window.location.href = "/convoys/" + info.trip.id + "/"; }
  });

  function ageCell(when) {
    if (!when) return "—";
    return '<span data-since="' + esc(when) + '"></span>';
  }

  function tick() {
    rows.querySelectorAll("[data-since]").forEach(function (node) {
      var age = MWConvoy.ageOf(node.getAttribute("data-since"));
      node.textContent = MW.formatAge(age) + (age > MWConvoy.STALE_S ? " ⚠" : "");
      node.className = age > MWConvoy.STALE_S ? "stale" : "";
    });
  }

  function progressCell(tr) {
    if (tr.progress === null) return "—";
    var pct = Math.max(0, Math.min(100, tr.progress));
    return '<div class="progress" role="img" aria-label="' + esc(MW.formatNumber(pct, 1)) + ' %"><span style="width:' +
      pct + '%"></span></div><div class="sub">' + esc(MW.formatNumber(pct, 1)) + " %" +
      (tr.distanceLeftM !== null ? " · " + esc(t("km_left", { km: MW.formatNumber(tr.distanceLeftM / 1000, 0) })) : "") + "</div>";
  }

  function escortCell(tr) {
    if (tr.escortDistanceM === null) return "—";
    var far = tr.escortDistanceM > ESCORT_WARN_M;
    return '<span class="' + (far ? "stale" : "") + '">' + esc(MWConvoy.formatMetres(tr.escortDistanceM)) + (far ? " ⚠" : "") + "</span>";
  }

  function drawTrips() {
    if (!trips.length) { rows.innerHTML = '<tr><td colspan="7">' + esc(t("no_trips")) + "</td></tr>"; return; }
    rows.innerHTML = trips.map(function (tr) {
      var detections = (detectionsByTrip[tr.id] || tr.detections).slice().sort(function (a, b) {
        return new Date(a.time) - new Date(b.time);
      });
      var vehiclesText = tr.vehicles.map(function (m) { return m.plate + " (" + t("role_" + m.role) + ")"; }).join(", ");
      return '<tr data-trip="' + esc(tr.id) + '"><th scope="row"><a href="/convoys/' + esc(tr.id) + '/">' + esc(tr.name) + "</a>" +
        '<div class="sub">' + esc(tr.route || "—") + '</div><div class="sub">' + esc(vehiclesText) + "</div></th><td>" +
        progressCell(tr) + "</td><td>" + (tr.eta ? esc(MW.formatDateTime(tr.eta)) : "—") + "</td><td>" + ageCell(tr.lastFixAt) +
        "</td><td>" + escortCell(tr) + "</td><td>" +
        esc([tr.cargo, tr.tonnes !== null ? MW.formatNumber(tr.tonnes, 1) + " t" : ""].filter(Boolean).join(" · ") || "—") +
        '</td><td class="col-timeline">' + MWConvoy.timelineHtml(detections, tr.departAt, null) + "</td></tr>";
    }).join("");
    tick();
  }

  function loadRoutes() {
    MW.api("GET", mapNode.getAttribute("data-layers-url") + "?days=1").then(function (data) {
      routes.clearLayers();
      data.routes.features.forEach(function (f) {
        L.geoJSON(f.geometry, { style: { color: "#0b1220", weight: 7, opacity: 0.9 }, interactive: false }).addTo(routes);
        L.geoJSON(f.geometry, { style: { color: "#fde047", weight: 3.5 }, interactive: false }).addTo(routes);
      });
    }).catch(function () {});
  }

  function loadDetections() {
    if (!MW.has("detections") || !trips.length) return Promise.resolve();
    var since = trips.reduce(function (min, tr) {
      return tr.departAt && (!min || tr.departAt < min) ? tr.departAt : min;
    }, null);
    var url = "/api/v1/detections/?page_size=1000" + (since ? "&since=" + encodeURIComponent(since) : "");
    return MW.apiAll(url, 3).then(function (items) {
      var ids = {};
      trips.forEach(function (tr) { ids[tr.id] = true; detectionsByTrip[tr.id] = []; });
      items.map(MWAdapt.detection).forEach(function (d) {
        if (ids[d.tripId]) detectionsByTrip[d.tripId].push(d);
      });
    }).catch(function () {});
  }

  // Once, when the vehicles are first known: frame them (with the corridor around them).
  var framed = false;
  function frameVehicles() {
    var markers = vehicles.getLayers();
    if (framed || !markers.length) return;
    framed = true;
    var bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
    built.map.fitBounds(bounds.pad(1.5), { maxZoom: 9 });
  }

  function load() {
    return fleet.load().then(function () {
      frameVehicles();
      trips = Object.keys(fleet.trips).map(function (id) { return fleet.trips[id]; })
        .sort(function (a, b) { return a.name < b.name ? -1 : 1; });
      drawTrips();
      return loadDetections();
    }).then(drawTrips);
  }

  var reload = null;
  // Throttled, not debounced: positions arrive every few seconds and must not postpone it forever.
  function reloadSoon(delayMs, urgent) {
    if (reload && !urgent) return;
    clearTimeout(reload);
    reload = setTimeout(function () { reload = null; load(); }, delayMs);
  }
  document.addEventListener("mw:event", function (e) {
    var name = e.detail.name, data = e.detail.data || {};
    if (!fleet.handle(name, data)) return;
    if (name.indexOf("detection.") === 0) {
      var d = MWAdapt.detection(data);
      var trip = d.tripReference ? fleet.byReference[d.tripReference] : null;
      if (trip && detectionsByTrip[trip.id]) { detectionsByTrip[trip.id].push(d); drawTrips(); }
    } else if (name.indexOf("trip.") === 0) {
      reloadSoon(500, true);
    } else {
      reloadSoon(10000); // progress, ETA and escort distance are computed by the server
    }
  });
  loadRoutes();
  load();
  setInterval(tick, 1000);
  setInterval(load, MW.has("stream") ? 60000 : 15000);
})();
