// Field report (phone): the type list follows the chosen threat; the panic button sends
// an alert with the current position to the control room.
(function () {
  "use strict";
  var mapNode = document.getElementById("type-threats");
  var typeSelect = document.getElementById("id_incident_type");
  var typeThreats = mapNode ? JSON.parse(mapNode.textContent) : {};

  function filterTypes(threat) {
    if (!typeSelect || !threat) return;
    var firstVisible = null;
    Array.prototype.forEach.call(typeSelect.querySelectorAll("optgroup"), function (group) {
      var match = Array.prototype.some.call(group.children, function (o) { return typeThreats[o.value] === threat; });
      group.hidden = !match; group.disabled = !match;
      if (match && !firstVisible) firstVisible = group.querySelector("option");
    });
    var current = typeSelect.value;
    // Nothing preselected: the guard picks the type within the threat.
    if (typeThreats[current] !== threat && firstVisible) typeSelect.value = "";
  }
  document.querySelectorAll("input[name=threat]").forEach(function (radio) {
    radio.addEventListener("change", function () { filterTypes(radio.value); });
    if (radio.checked) filterTypes(radio.value);
  });

  var panic = document.getElementById("panic-button");
  var status = document.getElementById("panic-status");
  function say(text) { status.textContent = text; }
  function send(position) {
    // No free text: the server writes the alert's words in the organisation's language.
    var payload = {};
    if (position) {
      payload.lat = position.coords.latitude; payload.lon = position.coords.longitude;
      payload.accuracy_m = Math.round(position.coords.accuracy);
    } else {
      var lat = parseFloat(document.getElementById("id_lat").value);
      var lon = parseFloat(document.getElementById("id_lon").value);
      if (!isNaN(lat) && !isNaN(lon)) { payload.lat = lat; payload.lon = lon; }
    }
    MW.api("POST", "/api/v1/alerts/panic/", payload).then(function () {
      say(MW.t("panic_sent")); panic.classList.add("sent");
    }).catch(function () { say(MW.t("panic_failed")); });
  }
  if (panic) {
    panic.addEventListener("click", function () {
      if (panic.hasAttribute("data-missing")) { say(MW.t("panic_missing")); return; }
      if (!window.confirm(MW.t("panic_confirm"))) return;
      say(MW.t("locating"));
      if (!navigator.geolocation) { send(null); return; }
      navigator.geolocation.getCurrentPosition(send, function () { send(null); },
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 });
    });
  }
})();
