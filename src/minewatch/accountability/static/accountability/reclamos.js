// The public grievance form: "use my position" fills the hidden latitude/longitude.
// Without JavaScript (or GPS) the place name is enough; the server checks either.
(function () {
  "use strict";
  var button = document.getElementById("use-gps");
  var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
  var status = document.getElementById("loc-status");
  if (!button || !lat || !lon) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = button.dataset.failed; return; }
    status.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      status.textContent = button.dataset.located + " " + lat.value + ", " + lon.value;
    }, function () { status.textContent = button.dataset.failed; },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
}());
