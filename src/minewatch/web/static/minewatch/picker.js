// Location picker of the report forms: the phone's GPS, or a tap on the map.
// Fills the latitude/longitude inputs; the server validates them like any other value.
// The map shows the basemap (map-basemap.js) with the user's own sites and zones; choosing
// a site in the form centres the map on it.
(function () {
  "use strict";
  var element = document.querySelector("[data-pick-map]");
  var latInput = document.getElementById("id_lat");
  var lonInput = document.getElementById("id_lon");
  if (!element || !latInput || !lonInput || !window.L) return;
  var status = document.getElementById("loc-status");
  var built = MWMap.createMap(element);
  var map = built.map, marker = null;

  function say(text) { if (status) status.textContent = text; }
  function place(lat, lon, zoom) {
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    if (!marker) marker = L.marker([lat, lon], { keyboard: false }).addTo(map);
    marker.setLatLng([lat, lon]);
    map.setView([lat, lon], zoom || Math.max(map.getZoom(), 8));
  }
  // How precise a point set by clicking is follows the zoom it was clicked at: at national
  // zoom one pixel is kilometres, so the click is a region, not "Exact (GPS)".
  var precisionInput = document.getElementById("id_location_precision");
  function precisionForZoom(zoom) {
    if (zoom >= 15) return "exact";
    if (zoom >= 12) return "approximate";
    if (zoom >= 9) return "district";
    return "region";
  }
  function setPrecision(value) { if (precisionInput) precisionInput.value = value; }
  map.on("click", function (e) {
    var zoom = map.getZoom();
    place(e.latlng.lat, e.latlng.lng);
    setPrecision(precisionForZoom(zoom));
    element.setAttribute("data-clicked-zoom", String(zoom));
    say(MW.t("tapped"));
  });

  function locate() {
    if (!navigator.geolocation) { say(MW.t("locate_failed")); return; }
    say(MW.t("locating"));
    navigator.geolocation.getCurrentPosition(function (position) {
      place(position.coords.latitude, position.coords.longitude, 8);
      setPrecision(position.coords.accuracy <= 100 ? "exact" : "approximate");
      say(MW.t("located", { m: Math.round(position.coords.accuracy) }));
    }, function () { say(MW.t("locate_failed")); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  var button = document.getElementById("use-gps");
  if (button) button.addEventListener("click", locate);
  [latInput, lonInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (!isNaN(lat) && !isNaN(lon)) place(lat, lon);
    });
  });
  if (latInput.value && lonInput.value) {
    place(parseFloat(latInput.value), parseFloat(lonInput.value), 9);
  } else if (element.hasAttribute("data-auto-gps")) {
    locate();
  }

  // The user's sites and zones (what map/layers.json lets them see), as text-only cards.
  var siteLayer = L.featureGroup().addTo(map), sitesById = {};
  var siteSelect = document.getElementById("id_site");
  function centreOnSite() {
    var site = siteSelect && sitesById[siteSelect.value];
    if (site && !(latInput.value && lonInput.value)) map.setView(site, Math.max(map.getZoom(), 13));
    else if (site) map.panTo(site);
  }
  var layersUrl = element.getAttribute("data-layers-url");
  if (layersUrl) {
    fetch(layersUrl + "?days=1", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        (data.zones && data.zones.features || []).forEach(function (z) {
          var shape = L.geoJSON(z, { interactive: true, style: { color: "#f59e0b", weight: 1,
            fillOpacity: 0.08 } }).addTo(siteLayer);
          MWMap.hoverCard(shape, z.properties.name, [[null, z.properties.kind_label]]);
          shape.on("click", function (e) { map.fire("click", e); });
        });
        (data.sites && data.sites.features || []).forEach(function (s) {
          var latlng = [s.geometry.coordinates[1], s.geometry.coordinates[0]];
          sitesById[String(s.properties.id)] = latlng;
          var marker = L.marker(latlng, { icon: MWMap.siteIcon(), keyboard: false }).addTo(siteLayer);
          MWMap.hoverCard(marker, s.properties.name, [[null, s.properties.kind_label]]);
          marker.on("click", function (e) { map.fire("click", e); });
        });
        element.setAttribute("data-sites", String(Object.keys(sitesById).length));
        if (!(latInput.value && lonInput.value) && siteSelect && sitesById[siteSelect.value]) centreOnSite();
      });
  }
  if (siteSelect) siteSelect.addEventListener("change", centreOnSite);
  window.MWPicker = { map: map, place: place, locate: locate, precisionForZoom: precisionForZoom };
})();
