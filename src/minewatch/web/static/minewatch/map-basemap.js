// The offline basemap (web/basemap.py): the organisation's PMTiles file drawn by
// protomaps-leaflet when one is installed, else the bundled open layers of Peru
// (provinces, lakes, rivers, populated places) drawn with Leaflet. Loaded before
// map-common.js's createMap is called; it sets data-basemap on the map element to
// "pmtiles" or "bundled" once drawn, so tests and screenshots can wait for it.
(function () {
  "use strict";
  var descriptorUrl = "/map/basemap.json";
  var cached = null;

  function descriptor() {
    if (!cached) {
      cached = fetch(descriptorUrl, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error("basemap " + r.status);
        return r.json();
      });
    }
    return cached;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  // Its own pane, under the overlays (sites, zones, routes, incidents) and the regions.
  function pane(map, name, zIndex) {
    if (!map.getPane(name)) {
      map.createPane(name);
      map.getPane(name).style.zIndex = zIndex;
      map.getPane(name).style.pointerEvents = "none";
    }
    return name;
  }

  function addPmtiles(map, element, url) {
    var lang = (document.documentElement.getAttribute("lang") || "es").slice(0, 2);
    var layer = protomapsL.leafletLayer({ url: url, flavor: "dark", lang: lang,
      pane: pane(map, "mw-basemap", 150), attribution: "© OpenStreetMap contributors · Protomaps" });
    layer.addTo(map);
    element.setAttribute("data-basemap", "pmtiles");
    return layer;
  }

  function isMajorPlace(p) {
    return p.capital === "national" || p.capital === "region" || (p.population || 0) >= 100000;
  }

  function addBundled(map, element, urls) {
    var group = L.layerGroup().addTo(map);
    var areas = pane(map, "mw-basemap", 150), labels = pane(map, "mw-basemap-labels", 390);
    var minorPlaces = L.layerGroup();
    var requests = [
      getJson(urls.provinces).then(function (data) {
        L.geoJSON(data, { pane: areas, interactive: false,
          style: { color: "#64748b", weight: 0.6, opacity: 0.7, fill: false, dashArray: "2 3",
            className: "mw-base-province" } }).addTo(group);
      }),
      getJson(urls.lakes).then(function (data) {
        L.geoJSON(data, { pane: areas, interactive: false,
          style: { color: "#1d4ed8", weight: 0.8, fillColor: "#1e3a8a", fillOpacity: 0.8,
            className: "mw-base-lake" } }).addTo(group);
      }),
      getJson(urls.rivers).then(function (data) {
        L.geoJSON(data, { pane: areas, interactive: false,
          style: function (f) {
            return { color: "#3b82f6", opacity: 0.75, weight: (f.properties.rank || 9) <= 4 ? 2 : 1.2,
              className: "mw-base-river" };
          } }).addTo(group);
      }),
      getJson(urls.places).then(function (data) {
        data.features.forEach(function (f) {
          var p = f.properties, c = f.geometry.coordinates, major = isMajorPlace(p);
          var dot = L.circleMarker([c[1], c[0]], { pane: labels, interactive: false,
            radius: p.capital === "national" ? 4 : major ? 3 : 2, weight: 1, color: "#0b1220",
            fillColor: "#cbd5e1", fillOpacity: 0.9, className: "mw-base-place" });
          dot.bindTooltip(String(p.name), { permanent: true, direction: "right", offset: [4, 0],
            className: "mw-place-label" + (major ? " major" : ""), pane: labels });
          dot.addTo(major ? group : minorPlaces);
        });
      })
    ];
    // Provincial capitals and small towns only from zoom 8, so the national view stays legible.
    function showMinor() {
      if (map.getZoom() >= 8) { if (!group.hasLayer(minorPlaces)) group.addLayer(minorPlaces); }
      else if (group.hasLayer(minorPlaces)) group.removeLayer(minorPlaces);
    }
    map.on("zoomend", showMinor);
    showMinor();
    Promise.all(requests).then(function () {
      element.setAttribute("data-basemap", "bundled");
    }).catch(function () { element.setAttribute("data-basemap", "failed"); });
    map.attributionControl.addAttribution("Natural Earth · INEI");
    return group;
  }

  // Adds the basemap to ``map``; returns a promise of the layer.
  function add(map, element) {
    return descriptor().then(function (info) {
      if (info.pmtiles && window.protomapsL) return addPmtiles(map, element, info.pmtiles);
      return addBundled(map, element, info.layers);
    }).catch(function () { element.setAttribute("data-basemap", "failed"); });
  }

  window.MWBasemap = { add: add };
})();
