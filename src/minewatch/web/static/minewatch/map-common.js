// Map building blocks shared by the operations map, the incident page, the field report
// and the convoys screen. Works offline: Peru's regions are the base layer; a tile
// server is added only when the operator configured MINEWATCH_TILE_URL.
(function () {
  "use strict";
  var PERU_BOUNDS = [[-18.4, -81.4], [-0.03, -68.6]];

  // Shape AND colour per threat (colour is never the only signal); mirrors _threat_symbol.html.
  var THREAT_STYLE = {
    terrorism: { color: "#ef4444", path: '<path d="M12 2 L22.5 21 L1.5 21 Z"/>' },
    social_conflict: { color: "#f59e0b", path: '<rect x="3" y="3" width="18" height="18" rx="2"/>' },
    illegal_mining: { color: "#84cc16", path: '<path d="M12 1 L23 12 L12 23 L1 12 Z"/>' },
    organised_crime: { color: "#c084fc", path: '<circle cx="12" cy="12" r="10"/>' },
    internal: { color: "#22d3ee", path: '<path d="M6.5 2.5 L17.5 2.5 L23 12 L17.5 21.5 L6.5 21.5 L1 12 Z"/>' }
  };
  var ZONE_COLOR = { perimeter: "#60a5fa", concession: "#93c5fd", authorised_stop: "#34d399",
    high_risk: "#f87171", illegal_mining_hotspot: "#a3e635", community: "#fbbf24", restricted: "#f472b6" };
  var RISKY_ZONES = ["high_risk", "illegal_mining_hotspot", "restricted"];
  var SEVERITY_COLOR = { 1: "#94a3b8", 2: "#38bdf8", 3: "#facc15", 4: "#fb923c", 5: "#ef4444",
    low: "#38bdf8", medium: "#facc15", high: "#fb923c", critical: "#ef4444" };

  function threatIcon(threat, severity) {
    var style = THREAT_STYLE[threat] || THREAT_STYLE.internal;
    var size = 12 + 2 * (severity || 3);
    return L.divIcon({
      className: "mw-threat-icon", iconSize: [size, size], iconAnchor: [size / 2, size / 2],
      html: '<svg viewBox="0 0 24 24" width="' + size + '" height="' + size + '" fill="' +
        style.color + '" stroke="#0b1220" stroke-width="2">' + style.path + "</svg>"
    });
  }

  function siteIcon() {
    return L.divIcon({ className: "mw-site-icon", iconSize: [22, 22], iconAnchor: [11, 11],
      html: '<svg viewBox="0 0 24 24" width="22" height="22"><rect x="1" y="1" width="22" height="22" rx="5" fill="#1d4ed8" stroke="#e2e8f0" stroke-width="2"/><path d="M4 18 L10 8 L13 13 L15 10 L20 18 Z" fill="#e2e8f0"/></svg>' });
  }

  // An arrow turned to the heading; colour by state and a ring for escorts. The state is also
  // a class (state-ok, state-alarm, ...) and the marker's title says it in words.
  var VEHICLE_COLOR = { ok: "#22d3ee", alarm: "#ef4444", warning: "#f59e0b", stale: "#94a3b8", idle: "#64748b" };
  function vehicleIcon(course, status, role) {
    var color = VEHICLE_COLOR[status] || VEHICLE_COLOR.ok;
    var ring = role === "escort" ? '<circle cx="12" cy="12" r="11" fill="none" stroke="' + color +
      '" stroke-width="1.5" stroke-dasharray="3 2"/>' : "";
    var dash = status === "stale" ? ' stroke-dasharray="2 2"' : "";
    return L.divIcon({ className: "mw-vehicle-icon state-" + (status || "ok"), iconSize: [28, 28], iconAnchor: [14, 14],
      html: '<svg viewBox="0 0 24 24" width="28" height="28">' + ring + '<g style="transform:rotate(' + (course || 0) +
        'deg);transform-origin:12px 12px"><path d="M12 3 L18.5 20 L12 16 L5.5 20 Z" fill="' + color +
        '" stroke="#0b1220" stroke-width="1.5"' + dash + "/></g></svg>" });
  }

  function alertIcon(severity) {
    var color = SEVERITY_COLOR[severity] || "#ef4444";
    return L.divIcon({ className: "mw-alert-icon sev-pulse-" + severity, iconSize: [30, 30], iconAnchor: [15, 15],
      html: '<span class="pulse" style="border-color:' + color + '"></span><span class="core" style="background:' +
        color + '">!</span>' });
  }

  // Markers are focusable (Leaflet's keyboard option); Enter or Space opens their card.
  function keyboardClick(layer) {
    layer.on("add", function () {
      var element = layer.getElement && layer.getElement();
      if (!element || element.getAttribute("data-keys")) return;
      element.setAttribute("data-keys", "1");
      element.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); layer.fire("click"); }
      });
    });
    return layer;
  }

  // Names on the map come from users (a zone, a site, a route) and are text, never markup:
  // Leaflet puts a string tooltip or popup in with innerHTML, so a zone named
  // <img src=x onerror=...> would insert an element. Every overlay of every map therefore
  // shows a string as text (the root fix); structured cards are built with hoverCard below.
  if (!L.DivOverlay.prototype._mwTextOnly) {
    var updateContent = L.DivOverlay.prototype._updateContent;
    L.DivOverlay.prototype._updateContent = function () {
      if (typeof this._content === "string") {
        var node = document.createElement("span");
        node.textContent = this._content;
        this._content = node;
      }
      return updateContent.call(this);
    };
    L.DivOverlay.prototype._mwTextOnly = true;
  }

  // A hover card: a title and "label: value" lines, all set as text (textContent).
  function cardElement(title, lines) {
    var box = document.createElement("div");
    box.className = "mw-hover-card";
    var head = document.createElement("strong");
    head.textContent = title === null || title === undefined ? "" : String(title);
    box.appendChild(head);
    (lines || []).forEach(function (line) {
      if (!line || line[1] === null || line[1] === undefined || line[1] === "") return;
      var row = document.createElement("div");
      row.textContent = line[0] ? line[0] + ": " + line[1] : String(line[1]);
      box.appendChild(row);
    });
    return box;
  }
  function hoverCard(layer, title, lines, options) {
    layer.bindTooltip(cardElement(title, lines),
      Object.assign({ sticky: true, className: "mw-tooltip" }, options || {}));
    return layer;
  }

  function regionsLayer(url) {
    var layer = L.geoJSON(null, {
      style: { color: "#475569", weight: 1, fillColor: "#1e293b", fillOpacity: 0.35 },
      onEachFeature: function (featureItem, item) {
        hoverCard(item, featureItem.properties.name, []);
      }
    });
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (data) { layer.addData(data); layer.bringToBack(); });
    return layer;
  }

  // A Leaflet map on ``element`` with Peru's regions and a basemap: the online tile server
  // when MINEWATCH_TILE_URL is set, else the offline one of map-basemap.js when the page
  // loads it (the organisation's PMTiles file, or the bundled provinces, rivers, places).
  function createMap(element, options) {
    options = options || {};
    var map = L.map(element, { zoomControl: true, attributionControl: true, minZoom: 4, maxZoom: 18,
      maxBounds: [[-25, -90], [5, -60]], preferCanvas: false });
    if (options.view) map.setView(options.view.center, options.view.zoom);
    else map.fitBounds(options.bounds || PERU_BOUNDS, { maxZoom: options.maxZoom || 18, padding: options.padding || [0, 0] });
    var tileUrl = document.body.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 18, attribution: "© OpenStreetMap contributors" }).addTo(map);
    }
    map.attributionControl.setPrefix("Leaflet");
    var regionsUrl = element.getAttribute("data-regions-url") || "/map/regions.geojson";
    var regions = regionsLayer(regionsUrl);
    regions.addTo(map);
    var basemap = !tileUrl && window.MWBasemap ? window.MWBasemap.add(map, element) : null;
    // Over a full PMTiles basemap the regions are outlines only, so the basemap shows through.
    if (basemap) basemap.then(function () {
      if (element.getAttribute("data-basemap") !== "pmtiles") return;
      var outline = { color: "#94a3b8", weight: 1.2, fillOpacity: 0.03 };
      regions.options.style = Object.assign({}, regions.options.style, outline);
      regions.setStyle(outline);
    });
    return { map: map, regions: regions, basemap: basemap };
  }

  window.MWMap = { PERU_BOUNDS: PERU_BOUNDS, THREAT_STYLE: THREAT_STYLE, ZONE_COLOR: ZONE_COLOR,
    RISKY_ZONES: RISKY_ZONES, SEVERITY_COLOR: SEVERITY_COLOR, threatIcon: threatIcon,
    siteIcon: siteIcon, vehicleIcon: vehicleIcon, VEHICLE_COLOR: VEHICLE_COLOR, alertIcon: alertIcon, createMap: createMap,
    keyboardClick: keyboardClick, hoverCard: hoverCard, cardElement: cardElement };
})();
