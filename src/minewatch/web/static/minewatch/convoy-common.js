// Convoy building blocks shared by the operations map, the convoys screen and the trip page:
// the state of a vehicle (colour AND shape/text), detection symbols, a detection timeline
// and readable detection details. Needs base.js (MW), adapters.js and map-common.js.
(function () {
  "use strict";
  var t = MW.t, esc = MW.escapeHtml;
  var STALE_S = 600; // no fix for 10 min: shown grey ("no recent fix"); the detector's gap is 5 min
  var WARNING_S = 1800; // a worrying detection in the last 30 min colours the convoy amber
  var HIDE_IDLE_S = 6 * 3600; // vehicles on no trip en route vanish from the map after 6 h
  var WORRYING = ["route_deviation", "unscheduled_stop", "signal_loss", "overspeed", "convoy_split",
    "late_arrival"];

  // Symbol (text, so colour is never the only signal) and colour per detection kind.
  var DETECTION_STYLE = {
    alarm: { symbol: "!", color: "#ef4444" },
    convoy_split: { symbol: "⇹", color: "#f97316" },
    route_deviation: { symbol: "↯", color: "#f59e0b" },
    unscheduled_stop: { symbol: "■", color: "#facc15" },
    signal_loss: { symbol: "⌀", color: "#c084fc" },
    signal_restored: { symbol: "✓", color: "#34d399" },
    overspeed: { symbol: "»", color: "#fb923c" },
    late_arrival: { symbol: "⏱", color: "#f472b6" },
    zone_enter: { symbol: "→", color: "#94a3b8" },
    zone_exit: { symbol: "←", color: "#94a3b8" }
  };
  function detectionStyle(kind) { return DETECTION_STYLE[kind] || { symbol: "•", color: "#94a3b8" }; }
  function isMinor(kind) { return kind === "zone_enter" || kind === "zone_exit"; }

  function ageOf(when) { return when ? (Date.now() - new Date(when).getTime()) / 1000 : null; }

  // ok | alarm | warning | stale | idle, from the vehicle's last fix and its trip (if any).
  function vehicleState(v, trip, recentDetections) {
    var age = ageOf(v.fixTime);
    if (v.alarm) return "alarm";
    if (!trip || trip.status !== "en_route") return "idle";
    if (age === null || age > STALE_S) return "stale";
    var worrying = (recentDetections || []).some(function (d) {
      var dAge = ageOf(d.time);
      return WORRYING.indexOf(d.kind) >= 0 && dAge !== null && dAge < WARNING_S;
    });
    return worrying ? "warning" : "ok";
  }
  function isHidden(v, trip) {
    var age = ageOf(v.fixTime);
    return !(trip && trip.status === "en_route") && (age === null || age > HIDE_IDLE_S);
  }

  function detectionIcon(kind) {
    var style = detectionStyle(kind);
    return L.divIcon({ className: "mw-detection-icon det-" + kind, iconSize: [22, 22], iconAnchor: [11, 11],
      html: '<span style="background:' + style.color + '">' + esc(style.symbol) + "</span>" });
  }

  function formatSeconds(s) { return MW.formatAge(s); }
  function formatMetres(m) { return m >= 1000 ? MW.formatNumber(m / 1000, 1) + " km" : MW.formatNumber(m) + " m"; }

  // "Duration 11 min · Distance 1,5 km · Zone Perímetro" from an engine detection's details.
  function detailsText(details) {
    var parts = [];
    Object.keys(details || {}).forEach(function (key) {
      var value = details[key];
      if (value === null || value === undefined || typeof value === "object") return;
      if (key === "zone_name") parts.push(t("zone") + " " + value);
      else if (/(^|_)(gap|duration|stopped|stop)_s$/.test(key) || key === "duration_s") parts.push(t("duration") + " " + formatSeconds(value));
      else if (/_m$/.test(key) && key !== "buffer_m" && typeof value === "number") parts.push(t("distance") + " " + formatMetres(value));
      else if (/_kmh$/.test(key) && typeof value === "number") parts.push(MW.formatNumber(value) + " km/h");
    });
    return parts.join(" · ");
  }

  // A horizontal strip from ``start`` to ``end`` with one symbol per detection at its time.
  function timelineHtml(detections, start, end) {
    if (!detections.length) return '<span class="help">' + esc(t("no_detections")) + "</span>";
    var t0 = new Date(start || detections[0].time).getTime();
    var t1 = new Date(end || Date.now()).getTime();
    var span = Math.max(t1 - t0, 60000);
    return '<div class="det-timeline" role="list">' + detections.map(function (d) {
      var at = new Date(d.time).getTime();
      var pct = Math.max(0, Math.min(100, 100 * (at - t0) / span));
      var style = detectionStyle(d.kind);
      var text = d.label + " · " + MW.formatDateTime(d.time) + (detailsText(d.details) ? " · " + detailsText(d.details) : "");
      return '<span role="listitem" class="tl-dot det-' + esc(d.kind) + (isMinor(d.kind) ? " minor" : "") +
        '" style="left:' + pct.toFixed(1) + "%;background:" + style.color + '" title="' + esc(text) +
        '" aria-label="' + esc(text) + '">' + esc(style.symbol) + "</span>";
    }).join("") + '</div><div class="tl-scale"><span>' + esc(t("departure") + " " + MW.formatTime(t0).slice(0, 5)) +
      "</span><span>" + esc(end ? MW.formatTime(t1).slice(0, 5) : t("now")) + "</span></div>";
  }


  // The live fleet on a Leaflet layer: trips en route (status, progress, recent detections),
  // every device's marker turned to its heading, moved by "tracking.position" events.
  // ``onSelect(vehicle, tripInfo)`` is called when a marker is clicked or entered.
  function Fleet(layer, options) {
    this.layer = layer;
    this.options = options || {};
    this.markers = {};   // device id → marker
    this.devices = {};   // device id → adapted vehicle (merged with later events)
    this.trips = {};     // trip id → adapted trip
    this.byVehicle = {}; // vehicle id → {trip, role}
    this.byReference = {};
  }
  Fleet.prototype.tripOf = function (v) {
    var link = v.vehicleId !== null ? this.byVehicle[v.vehicleId] : null;
    if (link) return link;
    var trip = v.trip ? this.byReference[v.trip] : null;
    return trip ? { trip: trip, role: null } : null;
  };
  Fleet.prototype.setTrips = function (trips) {
    var self = this;
    self.trips = {}; self.byVehicle = {}; self.byReference = {};
    trips.forEach(function (trip) {
      self.trips[trip.id] = trip;
      self.byReference[trip.name] = trip;
      trip.vehicles.forEach(function (m) { self.byVehicle[m.vehicleId] = { trip: trip, role: m.role }; });
    });
    Object.keys(self.devices).forEach(function (id) { self.place(self.devices[id]); });
  };
  Fleet.prototype.place = function (incoming) {
    var known = this.devices[incoming.id];
    var v = incoming;
    if (known) { // a position event carries no vehicle id nor trip: keep what the list said
      v.vehicleId = v.vehicleId !== null ? v.vehicleId : known.vehicleId;
      v.trip = v.trip || known.trip;
      v.key = v.key || known.key;
      if (!v.point) v.point = known.point;
    }
    this.devices[v.id] = v;
    if (!v.point) return;
    var link = this.tripOf(v);
    var trip = link ? link.trip : null;
    var marker = this.markers[v.id];
    if (MWConvoy.isHidden(v, trip)) {
      if (marker) { this.layer.removeLayer(marker); delete this.markers[v.id]; }
      return;
    }
    var state = vehicleState(v, trip, trip ? trip.detections : []);
    var title = v.name + (trip ? " · " + trip.name : "") + " · " + t("vehicle_" + state);
    var icon = MWMap.vehicleIcon(v.course, state, link ? link.role : null);
    if (!marker) {
      marker = L.marker([v.point.lat, v.point.lon], { icon: icon, title: title, keyboard: true, zIndexOffset: 1500 });
      MWMap.keyboardClick(marker);
      marker.addTo(this.layer);
      this.markers[v.id] = marker;
    } else {
      marker.setLatLng([v.point.lat, v.point.lon]);
      marker.setIcon(icon);
      var element = marker.getElement && marker.getElement();
      if (element) element.setAttribute("title", title);
    }
    marker.options.title = title;
    marker.deviceId = v.id;
    var self = this;
    marker.off("click").on("click", function () {
      if (self.options.onSelect) self.options.onSelect(self.devices[v.id], self.tripOf(self.devices[v.id]));
    });
    if (this.options.onCount) this.options.onCount(Object.keys(this.markers).length);
  };
  Fleet.prototype.load = function () {
    var self = this;
    var trips = MW.has("trips") ? MW.apiAll("/api/v1/trips/?status=en_route&page_size=200", 2)
      .then(function (items) { self.setTrips(items.map(MWAdapt.trip)); return items; }) : Promise.resolve([]);
    return trips.then(function () {
      if (!MW.has("devices")) return null;
      return MW.apiAll("/api/v1/devices/?is_active=true&page_size=1000", 2).then(function (items) {
        items.map(MWAdapt.vehicle).forEach(function (v) { self.place(v); });
      });
    }).catch(function () { /* an empty layer; the next refresh tries again */ });
  };
  // Feed it every "mw:event"; returns true when the event was about the fleet.
  Fleet.prototype.handle = function (name, data) {
    if (name === "tracking.position") { this.place(MWAdapt.vehicle(data || {})); return true; }
    if (name.indexOf("detection.") === 0) {
      var d = MWAdapt.detection(data || {});
      var trip = d.tripReference ? this.byReference[d.tripReference] : null;
      if (trip) {
        trip.detections.unshift(d);
        var self = this;
        trip.vehicles.forEach(function (m) {
          Object.keys(self.devices).forEach(function (id) {
            if (self.devices[id].vehicleId === m.vehicleId) self.place(self.devices[id]);
          });
        });
      }
      return true;
    }
    return name.indexOf("trip.") === 0;
  };

  window.MWConvoy = { STALE_S: STALE_S, detectionStyle: detectionStyle, detectionIcon: detectionIcon,
    vehicleState: vehicleState, isHidden: isHidden, isMinor: isMinor, detailsText: detailsText,
    timelineHtml: timelineHtml, formatMetres: formatMetres, ageOf: ageOf, Fleet: Fleet };
})();
