// The operations map: layers from /map/layers.json, convoys and alerts from the API when
// those apps are installed, live updates from the event stream, a card per clicked item.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) return;
  var t = MW.t, esc = MW.escapeHtml;
  // The map opens where this user left it (per user, in this browser), else on the extent of
  // what the user may see (web.queries.visible_extent), else on all of Peru.
  var viewKey = "mw.map.view." + (element.getAttribute("data-user") || "anonymous");
  function savedView() {
    try {
      var v = JSON.parse(window.localStorage.getItem(viewKey) || "null");
      if (v && isFinite(v.lat) && isFinite(v.lon) && isFinite(v.zoom)) return { center: [v.lat, v.lon], zoom: v.zoom };
    } catch (e) { /* storage off or a value from another version: start from the extent */ }
    return null;
  }
  var extent = null;
  try { extent = JSON.parse(element.getAttribute("data-extent") || "null"); } catch (e) { extent = null; }
  var built = MWMap.createMap(element, { view: savedView(), bounds: extent || undefined, maxZoom: 13,
    padding: [40, 40] });
  var map = built.map;
  map.on("moveend", function () {
    var c = map.getCenter();
    try {
      window.localStorage.setItem(viewKey, JSON.stringify({ lat: +c.lat.toFixed(5), lon: +c.lng.toFixed(5), zoom: map.getZoom() }));
    } catch (e) { /* private mode: the view is just not remembered */ }
  });
  // Incidents cluster (leaflet.markercluster); a cluster's colour follows its worst severity.
  var incidentLayer = L.markerClusterGroup ? L.markerClusterGroup({
    maxClusterRadius: 40, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
    iconCreateFunction: function (cluster) {
      var worst = 1;
      cluster.getAllChildMarkers().forEach(function (m) { worst = Math.max(worst, m.options.severity || 1); });
      var n = cluster.getChildCount();
      var node = document.createElement("span");
      node.textContent = MW.formatNumber(n);
      return L.divIcon({ className: "mw-cluster sev-" + worst, iconSize: [34, 34],
        html: node.outerHTML });
    }
  }) : L.layerGroup();
  var layers = {
    regions: built.regions,
    zones: L.layerGroup().addTo(map),
    routes: L.layerGroup().addTo(map),
    sites: L.layerGroup().addTo(map),
    incidents: incidentLayer.addTo(map),
    convoys: L.layerGroup().addTo(map),
    alerts: L.layerGroup().addTo(map),
    forecast: L.layerGroup()  // off until asked for: it is a model, not an observation
  };
  var card = document.getElementById("map-card");
  var cardBody = card.querySelector(".card-body");

  function setCount(name, n) {
    var node = document.querySelector('[data-count="' + name + '"]');
    if (node) node.textContent = "(" + MW.formatNumber(n) + ")";
  }

  function row(label, value) {
    if (value === null || value === undefined || value === "") return "";
    return "<dt>" + esc(label) + "</dt><dd>" + esc(value) + "</dd>";
  }

  function openCard(title, rows, link, extraClass) {
    cardBody.innerHTML = '<h2 class="' + (extraClass || "") + '">' + esc(title) + "</h2><dl>" + rows.join("") + "</dl>" +
      (link ? '<p><a class="button" href="' + esc(link) + '">' + esc(t("details")) + "</a></p>" : "");
    card.hidden = false;
    card.focus();
  }
  card.querySelector(".card-close").addEventListener("click", function () { card.hidden = true; });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") card.hidden = true; });

  function drawSites(data) {
    layers.sites.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      if (p.area) {
        L.geoJSON(p.area, { style: { color: "#60a5fa", weight: 2, fillOpacity: 0.12 } }).addTo(layers.sites);
      }
      var marker = L.marker([c[1], c[0]], { icon: MWMap.siteIcon(), title: p.name, alt: p.name, keyboard: true });
      MWMap.hoverCard(marker, p.name, [[t("kind"), p.kind_label], [t("region"), p.region]],
        { sticky: false, direction: "top", offset: [0, -10] });
      marker.mwRecord = { model: "sites", feature: f };
      marker.on("click", function () {
        if (window.MWDraw && MWDraw.pick(marker)) return;
        openCard(p.name, [row(t("kind"), p.kind_label), row(t("region"), p.region), row(t("owner"), p.owner),
          row(t("altitude"), p.altitude_m ? MW.formatNumber(p.altitude_m) + " m" : "")], "/incidents/?site=" + p.id);
      });
      MWMap.keyboardClick(marker);
      marker.addTo(layers.sites);
    });
    setCount("sites", data.features.length);
  }

  function drawZones(data) {
    layers.zones.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, color = MWMap.ZONE_COLOR[p.kind] || "#94a3b8";
      var style = { color: color, weight: 1.5, fillColor: color, fillOpacity: 0.12,
        dashArray: MWMap.RISKY_ZONES.indexOf(p.kind) >= 0 ? "6 4" : null };
      var shape = p.shape === "circle" && f.geometry.type === "Point"
        ? L.circle([f.geometry.coordinates[1], f.geometry.coordinates[0]], Object.assign({ radius: p.radius_m }, style))
        : L.geoJSON(f.geometry, { style: style });
      MWMap.hoverCard(shape, p.name, [[t("kind"), p.kind_label], [t("site"), p.site]]);
      shape.mwRecord = { model: "zones", feature: f };
      shape.on("click", function () {
        if (window.MWDraw && MWDraw.pick(shape)) return;
        openCard(p.name, [row(t("kind"), p.kind_label), row(t("site"), p.site), row(t("trip"), p.route),
          row(t("radius"), p.radius_m ? MW.formatNumber(p.radius_m) + " m" : "")]);
      });
      shape.addTo(layers.zones);
    });
    setCount("zones", data.features.length);
  }

  function drawRoutes(data) {
    layers.routes.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties;
      L.geoJSON(f.geometry, { style: { color: "#0b1220", weight: 7, opacity: 0.9 }, interactive: false }).addTo(layers.routes);
      var line = L.geoJSON(f.geometry, { style: { color: "#fde047", weight: 3.5 } });
      MWMap.hoverCard(line, p.name, [[t("corridor"), MW.formatNumber(p.buffer_m) + " m"]]);
      line.mwRecord = { model: "routes", feature: f };
      line.on("click", function () {
        if (window.MWDraw && MWDraw.pick(line)) return;
        openCard(p.name, [row(t("length"), MW.formatNumber(p.length_km, 1) + " km"),
          row(t("corridor"), MW.formatNumber(p.buffer_m) + " m"),
          row(t("speed_limit"), p.speed_limit_kmh ? p.speed_limit_kmh + " km/h" : "")]);
      });
      line.addTo(layers.routes);
    });
    setCount("routes", data.features.length);
  }

  function addIncident(p, coordinates) {
    var marker = L.marker([coordinates[1], coordinates[0]], { icon: MWMap.threatIcon(p.threat, p.severity),
      title: p.reference + " · " + p.type_label, alt: p.threat_label, keyboard: true, riseOnHover: true,
      zIndexOffset: p.severity * 10, severity: p.severity });
    marker.on("click", function () {
      openCard(p.reference + " · " + p.title, [row(t("threat"), p.threat_label), row(t("type"), p.type_label),
        row(t("severity"), p.severity + "/5"), row(t("status"), p.status_label),
        row(t("occurred"), MW.formatDateTime(p.occurred_at)), row(t("site"), p.site)], p.url, "threat-" + p.threat);
    });
    MWMap.keyboardClick(marker);
    marker.addTo(layers.incidents);
  }

  function drawIncidents(data) {
    layers.incidents.clearLayers();
    data.features.forEach(function (f) { addIncident(f.properties, f.geometry.coordinates); });
    setCount("incidents", data.features.length);
  }

  function loadLayers() {
    var days = document.getElementById("map-days").value;
    return MW.api("GET", element.getAttribute("data-layers-url") + "?days=" + encodeURIComponent(days))
      .then(function (data) {
        drawZones(data.zones); drawRoutes(data.routes); drawSites(data.sites); drawIncidents(data.incidents);
        element.setAttribute("data-loaded", "true");
        document.dispatchEvent(new CustomEvent("mw:map-layers", { detail: data }));
      });
  }

  function tripRows(info) {
    if (!info) return [row(t("trip"), t("vehicle_idle"))];
    var trip = info.trip;
    var latest = trip.detections.filter(function (d) { return !MWConvoy.isMinor(d.kind); })[0];
    return [row(t("trip"), trip.name + (info.role ? " · " + t("role_" + info.role) : "")),
      row(t("status"), trip.statusLabel),
      row(t("progress"), trip.progress !== null ? MW.formatNumber(trip.progress, 1) + " %" +
        (trip.distanceLeftM !== null ? " · " + t("km_left", { km: MW.formatNumber(trip.distanceLeftM / 1000, 0) }) : "") : ""),
      row(t("eta"), trip.eta ? MW.formatDateTime(trip.eta) : ""),
      row(t("escort_distance"), trip.escortDistanceM !== null ? MWConvoy.formatMetres(trip.escortDistanceM) : ""),
      row(t("detection"), latest ? latest.label + " · " + MW.formatTime(latest.time) : "")];
  }

  var fleet = new MWConvoy.Fleet(layers.convoys, {
    onCount: function (n) { setCount("convoys", n); },
    onSelect: function (v, info) {
      var age = MWConvoy.ageOf(v.fixTime);
      var state = MWConvoy.vehicleState(v, info && info.trip, info && info.trip.detections);
      openCard(String(v.name), tripRows(info).concat([
        row(t("vehicle_state"), t("vehicle_" + state)),
        row(t("speed"), v.speed !== null ? MW.formatNumber(v.speed) + " km/h" : ""),
        row(t("heading"), v.course !== null ? Math.round(v.course) + "°" : ""),
        row(t("last_fix"), v.fixTime ? MW.formatDateTime(v.fixTime) + " (" + t("ago", { age: MW.formatAge(age) }) + ")" : "")]),
        info ? "/convoys/" + info.trip.id + "/" : "/convoys/");
    }
  });
  function loadConvoys() { return fleet.load(); }

  function placeAlert(a) {
    if (!a.point) return;
    var marker = L.marker([a.point.lat, a.point.lon], { icon: MWMap.alertIcon(a.severity), title: String(a.title),
      keyboard: true, zIndexOffset: 1000 });
    marker.on("click", function () {
      openCard(String(a.title), [row(t("severity"), a.severityLabel), row(t("status"), a.statusLabel),
        row(t("site"), a.site), row(t("raised"), MW.formatDateTime(a.raisedAt))], "/console/#alert-" + a.id, "alert-title");
    });
    MWMap.keyboardClick(marker);
    marker.addTo(layers.alerts);
  }

  function loadAlerts() {
    if (!MW.has("alerts")) return Promise.resolve();
    return MW.apiAll("/api/v1/alerts/?is_open=true&page_size=500", 2).then(function (items) {
      layers.alerts.clearLayers();
      items = items.map(MWAdapt.alert).filter(function (a) { return a.status !== "resolved"; });
      items.forEach(placeAlert);
      setCount("alerts", items.length);
    }).catch(function () {});
  }

  function feed(text, kind) {
    var list = document.getElementById("live-feed");
    var placeholder = list.querySelector(".help");
    if (placeholder) placeholder.remove();
    var item = document.createElement("li");
    item.className = "feed-" + kind;
    item.innerHTML = '<time>' + esc(MW.formatTime()) + "</time> " + esc(text);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
  }

  var alertReload = null, tripReload = null;
  document.addEventListener("mw:event", function (e) {
    var name = e.detail.name, data = e.detail.data || {};
    if (name.indexOf("incident.") === 0) {
      if (name === "incident.reported" && data.lat !== undefined) {
        addIncident({ reference: data.reference, title: data.reference, threat: data.threat,
          threat_label: data.threat, type_label: data.incident_type, severity: data.severity,
          status_label: data.status, occurred_at: new Date().toISOString(), url: "/incidents/" + data.id + "/" },
          [data.lon, data.lat]);
      }
      feed(t("incident_reported") + ": " + (data.reference || ""), "incident");
    } else if (name.indexOf("alert.") === 0) {
      clearTimeout(alertReload);
      alertReload = setTimeout(loadAlerts, 300);
      var a = MWAdapt.alert(data);
      feed(t("alert_raised") + ": " + (a.title || name) + (a.site ? " · " + a.site : ""), "alert");
    } else if (fleet.handle(name, data)) {
      if (name.indexOf("detection.") === 0) {
        var d = MWAdapt.detection(data);
        if (!MWConvoy.isMinor(d.kind)) feed(d.label + (d.tripReference ? " · " + d.tripReference : ""), "detection");
      } else if (name.indexOf("trip.") === 0) {
        clearTimeout(tripReload);
        tripReload = setTimeout(loadConvoys, 500);
        if (name === "trip.en_route") feed(t("trip_started") + ": " + (data.reference || ""), "detection");
        if (name === "trip.arrived") feed(t("trip_arrived_event") + ": " + (data.reference || ""), "detection");
      }
    }
  });

  // The risk forecast: the hexagons covering the top 20 % of the study area, coloured by
  // the 5 / 10 / 20 % bands the hit rate is measured on (docs/forecasting.md).
  var FORECAST_DAYS = 7;
  var FORECAST_BANDS = [[0.05, "#dc2626", 5], [0.10, "#f97316", 10], [0.20, "#facc15", 20]];
  function drawForecast(data) {
    layers.forecast.clearLayers();
    var shown = 0;
    var why = Object.keys(data.weights || {}).filter(function (k) { return data.weights[k] >= 0.05; })
      .map(function (k) { return k + " " + Math.round(data.weights[k] * 100) + " %"; }).join(" · ");
    data.cells.forEach(function (c) {
      var band = FORECAST_BANDS.filter(function (b) { return c.top_share <= b[0] + 1e-9; })[0];
      if (!band || !c.boundary) return;
      var hex = L.polygon(c.boundary, { color: band[1], weight: 1, fillColor: band[1], fillOpacity: 0.35,
        className: "mw-forecast mw-forecast-" + band[2] });
      var expected = MW.formatNumber(c.expected, 3);
      var open = function () {
        openCard(t("forecast_cell"), [row(t("forecast_expected", { days: FORECAST_DAYS }), expected),
          row(t("forecast_top", { pct: band[2] + " %" }), "✓"), row(t("forecast_why"), why)]);
      };
      MWMap.hoverCard(hex, t("forecast_cell"), [[t("forecast_expected", { days: FORECAST_DAYS }), expected]]);
      hex.on("click", open);
      hex.addTo(layers.forecast);
      // A hexagon is a few km across: invisible at the national zoom. Each cell also has a
      // dot of constant size in pixels (a heat surface) that gives way to the hexagons from zoom 9.
      var centre = hex.getBounds().getCenter();
      var dot = L.circleMarker(centre, { radius: 14 - band[2] / 4, stroke: false, fillColor: band[1],
        fillOpacity: 0.55, className: "mw-forecast-dot mw-forecast-dot-" + band[2] });
      MWMap.hoverCard(dot, t("forecast_cell"), [[t("forecast_expected", { days: FORECAST_DAYS }), expected]]);
      dot.on("click", open);
      dot.addTo(layers.forecast);
      shown += 1;
    });
    setCount("forecast", shown);
    fadeForecast();
  }
  // Hexagons fade in from zoom 6 to 10 while the dots fade out; both stay clickable.
  function fadeForecast() {
    var zoom = map.getZoom();
    var hexShare = Math.max(0, Math.min(1, (zoom - 6) / 4));
    layers.forecast.eachLayer(function (item) {
      if (item instanceof L.CircleMarker) {
        item.setStyle({ fillOpacity: zoom >= 10 ? 0 : 0.55 * (1 - hexShare / 1.5) });
      } else {
        item.setStyle({ opacity: 0.15 + 0.85 * hexShare, fillOpacity: 0.05 + 0.3 * hexShare });
      }
    });
    element.setAttribute("data-forecast-zoom", String(zoom));
  }
  map.on("zoomend", fadeForecast);
  function loadForecast() {
    return MW.api("GET", "/api/v1/risk/forecast/?days=" + FORECAST_DAYS + "&resolution=7&geometry=true")
      .then(function (data) { drawForecast(data); element.setAttribute("data-forecast", "loaded"); })
      .catch(function () { element.setAttribute("data-forecast", "failed"); });
  }

  document.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-layer"), layer = layers[name];
      if (box.checked) map.addLayer(layer); else map.removeLayer(layer);
      if (name === "forecast" && box.checked) loadForecast();  // fresh each time it is shown
    });
  });
  document.getElementById("map-days").addEventListener("change", loadLayers);

  loadLayers();
  loadConvoys();
  loadAlerts();
  MW.startLive();
  // Without a live stream, poll; with one, a slow refresh still catches anything missed.
  setInterval(function () { loadConvoys(); loadAlerts(); }, MW.has("stream") ? 60000 : 15000);
  window.MWOpsMap = { map: map, layers: layers, reload: loadLayers, openCard: openCard, row: row };
})();
