// Adds the phone's position to a checkpoint scan when the browser allows it.
(function () {
  "use strict";
  var lat = document.getElementById("scan-lat");
  var lon = document.getElementById("scan-lon");
  var status = document.getElementById("scan-gps");
  if (!lat || !navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (position) {
    lat.value = position.coords.latitude.toFixed(6);
    lon.value = position.coords.longitude.toFixed(6);
    if (status) { status.textContent = "GPS ±" + Math.round(position.coords.accuracy) + " m"; }
  }, function () { /* no position: the scan is still recorded */ }, {timeout: 8000, maximumAge: 60000});
})();
