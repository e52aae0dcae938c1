// One trip: facts (convoy, cargo, progress, ETA, escort distance), the route and the track
// of each vehicle since departure (/api/v1/positions/), its detections on the map, on a
// timeline and in a list (/api/v1/detections/?trip=); live positions extend the tracks.
(function () {
  "use strict";
  var root = document.getElementById("trip");
  MW.startLive();
  if (!root) return;
  var t = MW.t, esc = MW.escapeHtml;
  var tripId = root.getAttribute("data-trip-id");
  var TRACK_COLOR = { cargo: "#22d3ee", lead: "#a78bfa", escort: "#f8fafc" };
  var built = MWMap.createMap(document.getElementById("trip-map"), { bounds: [[-17.2, -73.0], [-13.8, -71.0]] });
  var map = built.map;
  var routeLayer = L.layerGroup().addTo(map);
  var trackLayer = L.layerGroup().addTo(map);
  var detectionLayer = L.layerGroup().addTo(map);
  var vehicleLayer = L.layerGroup().addTo(map);
  var trip = null, devices = {}, detections = [], fitted = false;

  function fact(label, value) {
    return value === null || value === undefined || value === "" ? "" : "<dt>" + esc(label) + "</dt><dd>" + esc(value) + "</dd>";
  }

  function drawFacts() {
    document.getElementById("trip-title").textContent = trip.name;
    document.title = trip.name + " · MineWatch";
    var badge = document.getElementById("trip-status");
    badge.textContent = trip.statusLabel;
    badge.className = "badge trip-" + trip.status;
    var vehiclesText = trip.vehicles.map(function (m) { return m.plate + " (" + t("role_" + m.role) + ")"; }).join(", ");
    document.getElementById("trip-facts").innerHTML = [
      fact(t("route"), trip.route),
      fact(t("vehicles"), vehiclesText),
      fact(t("cargo"), [trip.cargo, trip.tonnes !== null ? MW.formatNumber(trip.tonnes, 1) + " t" : ""].filter(Boolean).join(" · ")),
      fact(t("declared_value"), trip.valueUsd !== null ? "US$ " + MW.formatNumber(trip.valueUsd) : ""),
      fact(t("seals"), (trip.seals || []).join(", ")),
      fact(t("departed"), trip.raw.departed_at ? MW.formatDateTime(trip.raw.departed_at) : ""),
      fact(t("arrival_window"), trip.arrivalBefore ? MW.formatDateTime(trip.arrivalBefore) : ""),
      fact(t("progress"), trip.progress !== null ? MW.formatNumber(trip.progress, 1) + " %" +
        (trip.distanceLeftM !== null && trip.status === "en_route" ? " · " + t("km_left", { km: MW.formatNumber(trip.distanceLeftM / 1000, 0) }) : "") : ""),
      trip.status === "arrived" ? fact(t("trip_arrived"), trip.arrivedAt ? MW.formatDateTime(trip.arrivedAt) : "")
        : fact(t("eta"), trip.eta && trip.status === "en_route" ? MW.formatDateTime(trip.eta) : ""),
      fact(t("last_fix"), trip.lastFixAt ? MW.formatDateTime(trip.lastFixAt) + " (" + t("ago", { age: MW.formatAge(MWConvoy.ageOf(trip.lastFixAt)) }) + ")" : ""),
      fact(t("escort_distance"), trip.escortDistanceM !== null ? MWConvoy.formatMetres(trip.escortDistanceM) : "")
    ].join("");
  }

  function drawRoute() {
    MW.api("GET", root.getAttribute("data-layers-url") + "?days=1").then(function (data) {
      data.routes.features.forEach(function (f) {
        if (f.properties.id !== trip.routeId) return;
        L.geoJSON(f.geometry, { style: { color: "#0b1220", weight: 8, opacity: 0.9 }, interactive: false }).addTo(routeLayer);
        var line = L.geoJSON(f.geometry, { style: { color: "#fde047", weight: 4, opacity: 0.7 }, interactive: false }).addTo(routeLayer);
        if (!fitted) map.fitBounds(line.getBounds(), { padding: [20, 20] });
      });
    }).catch(function () {});
  }

  function placeCurrent(device) {
    var last = device.points[device.points.length - 1];
    if (!last) return;
    var v = { id: device.id, name: device.plate, point: { lat: last.lat, lon: last.lon }, course: last.course,
      fixTime: last.time, alarm: last.alarm, vehicleId: device.vehicleId, trip: trip.name };
    var state = MWConvoy.vehicleState(v, trip, detections);
    var title = device.plate + " · " + t("role_" + device.role) + " · " + t("vehicle_" + state);
    var icon = MWMap.vehicleIcon(v.course, state, device.role);
    if (!device.marker) {
      device.marker = L.marker([last.lat, last.lon], { icon: icon, title: title, zIndexOffset: 800 }).addTo(vehicleLayer);
      device.marker.bindTooltip(title, { className: "mw-tooltip" });
    } else {
      device.marker.setLatLng([last.lat, last.lon]).setIcon(icon);
      device.marker.setTooltipContent(title);
    }
  }

  function drawTrack(device) {
    var latlngs = device.points.map(function (p) { return [p.lat, p.lon]; });
    if (!device.line) {
      device.line = L.polyline(latlngs, { color: TRACK_COLOR[device.role] || TRACK_COLOR.cargo, weight: 3,
        opacity: 0.9, dashArray: device.role === "escort" ? "6 5" : null });
      device.line.bindTooltip(device.plate + " · " + t("role_" + device.role), { sticky: true, className: "mw-tooltip" });
      device.line.addTo(trackLayer);
    } else {
      device.line.setLatLngs(latlngs);
    }
    placeCurrent(device);
  }

  function pointOfPosition(p) {
    return { lat: p.lat, lon: p.lon, time: p.fix_time, course: p.course,
      alarm: !!(p.attributes && p.attributes.alarm) };
  }

  // A tracker that accepts positions without a secret (legacy opt-out) or has none yet:
  // anyone who knows its identifier could forge its track (the API's own wording).
  function warnDevice(plate, d) {
    var box = document.getElementById("trip-device-warnings");
    if (!box) return;
    var item = document.createElement("li");
    item.innerHTML = "<strong>" + esc(plate) + " · " + esc(d.unique_id) + "</strong>: " + esc(d.authentication_warning);
    box.querySelector("ul").appendChild(item);
    box.hidden = false;
  }

  function loadTracks() {
    var window_ = "&page_size=1000" + (trip.raw.departed_at ? "&since=" + encodeURIComponent(trip.raw.departed_at) : "") +
      (trip.arrivedAt || trip.raw.aborted_at ? "&until=" + encodeURIComponent(trip.arrivedAt || trip.raw.aborted_at) : "");
    return Promise.all(trip.vehicles.map(function (m) {
      return MW.apiAll("/api/v1/devices/?vehicle=" + encodeURIComponent(m.vehicleId), 1).then(function (items) {
        return Promise.all(items.map(function (d) {
          if (d.authentication_warning) warnDevice(m.plate, d);
          return MW.apiAll("/api/v1/positions/?device=" + d.id + window_, 10).then(function (positions) {
            var device = devices[d.id] = devices[d.id] || { id: d.id, plate: m.plate, role: m.role, vehicleId: m.vehicleId };
            device.points = positions.map(pointOfPosition).reverse(); // the API gives newest first
            drawTrack(device);
          });
        }));
      });
    })).then(function () {
      var bounds = trackLayer.getLayers().reduce(function (b, line) {
        return line.getLatLngs().length ? (b ? b.extend(line.getBounds()) : L.latLngBounds(line.getLatLngs())) : b;
      }, null);
      if (bounds && bounds.isValid()) { map.fitBounds(bounds.pad(0.3), { maxZoom: 11 }); fitted = true; }
    });
  }

  function drawDetections() {
    detections.sort(function (a, b) { return new Date(a.time) - new Date(b.time); });
    detectionLayer.clearLayers();
    var list = document.getElementById("detection-list");
    document.getElementById("detection-count").textContent = "(" + MW.formatNumber(detections.length) + ")";
    // A finished trip's strip ends at its last fix (its arrival may be hours after the last report).
    var end = trip.status === "en_route" ? null : trip.lastFixAt || trip.arrivedAt || trip.raw.aborted_at;
    document.getElementById("trip-timeline").innerHTML = MWConvoy.timelineHtml(detections, trip.raw.departed_at, end);
    if (!detections.length) { list.innerHTML = '<li class="help">' + esc(t("no_detections")) + "</li>"; return; }
    list.innerHTML = "";
    detections.slice().reverse().forEach(function (d) {
      var style = MWConvoy.detectionStyle(d.kind);
      var item = document.createElement("li");
      item.className = "det-item det-" + d.kind + (MWConvoy.isMinor(d.kind) ? " minor" : "");
      item.tabIndex = 0;
      var plate = d.deviceKey ? d.deviceKey.split("-").slice(-2).join("-") : "";
      item.innerHTML = '<span class="tl-key" style="background:' + style.color + '">' + esc(style.symbol) + "</span> <time>" +
        esc(MW.formatDateTime(d.time)) + "</time> <strong>" + esc(d.label) + "</strong>" +
        (plate ? ' <span class="sub">' + esc(plate) + "</span>" : "") +
        (MWConvoy.detailsText(d.details) ? '<div class="sub">' + esc(MWConvoy.detailsText(d.details)) + "</div>" : "");
      list.appendChild(item);
      if (!d.point) return;
      var marker = L.marker([d.point.lat, d.point.lon], { icon: MWConvoy.detectionIcon(d.kind), title: d.label,
        zIndexOffset: MWConvoy.isMinor(d.kind) ? 0 : 600 }).addTo(detectionLayer);
      marker.bindTooltip(d.label + " · " + MW.formatDateTime(d.time), { className: "mw-tooltip" });
      function focus() { map.setView([d.point.lat, d.point.lon], Math.max(map.getZoom(), 13)); marker.openTooltip(); }
      item.addEventListener("click", focus);
      item.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); focus(); } });
    });
  }

  function loadDetections() {
    if (!MW.has("detections")) return Promise.resolve();
    return MW.apiAll("/api/v1/detections/?trip=" + encodeURIComponent(tripId) + "&page_size=1000", 5).then(function (items) {
      detections = items.map(MWAdapt.detection);
      drawDetections();
    });
  }

  function loadTrip() {
    return MW.api("GET", "/api/v1/trips/" + encodeURIComponent(tripId) + "/").then(function (data) {
      trip = MWAdapt.trip(data);
      drawFacts();
      return trip;
    });
  }

  document.addEventListener("mw:event", function (e) {
    var name = e.detail.name, data = e.detail.data || {};
    if (!trip) return;
    if (name === "tracking.position" && devices[data.id]) {
      var device = devices[data.id];
      var point = pointOfPosition(data);
      var last = device.points[device.points.length - 1];
      if (!last || point.time >= last.time) { device.points.push(point); drawTrack(device); }
    } else if (name.indexOf("detection.") === 0 && data.trip === trip.name) {
      detections.push(MWAdapt.detection(data));
      drawDetections();
    } else if (name.indexOf("trip.") === 0 && String(data.id) === String(tripId)) {
      loadTrip();
    }
  });

  loadTrip().then(function () {
    drawRoute();
    return Promise.all([loadTracks(), loadDetections()]);
  }).then(function () {
    root.setAttribute("data-loaded", "true");
  }).catch(function (error) {
    var missing = document.getElementById("trip-missing");
    missing.textContent = error && error.status === 404 ? t("trip_not_found") : t("error");
    missing.hidden = false;
    root.hidden = true;
  });
  // Progress, ETA and escort distance are computed by the server: refresh them now and then.
  setInterval(function () { if (trip && trip.status === "en_route") loadTrip(); }, 30000);
})();
