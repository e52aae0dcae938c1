// Location picker of the report forms: the phone's GPS, or a tap on the map.
// Fills the latitude/longitude inputs; the server validates them like any other value.
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
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); say(MW.t("tapped")); });

  function locate() {
    if (!navigator.geolocation) { say(MW.t("locate_failed")); return; }
    say(MW.t("locating"));
    navigator.geolocation.getCurrentPosition(function (position) {
      place(position.coords.latitude, position.coords.longitude, 8);
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
  window.MWPicker = { map: map, place: place, locate: locate };
})();
