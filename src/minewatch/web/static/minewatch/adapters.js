// Normalise records of the tracking and alerts APIs (and their live events) into the few
// fields the screens draw. Kept in one place so a change in those serializers is one edit here.
// Tracking: /api/v1/devices/ (DeviceSerializer), /api/v1/trips/ (TripSerializer, with the
// flat progress copies), /api/v1/detections/, /api/v1/positions/, and the stream's
// "tracking.position" and "detection.<kind>" payloads (tracking/services/ingest.py).
(function () {
  "use strict";
  function first() {
    for (var i = 0; i < arguments.length; i++) {
      if (arguments[i] !== undefined && arguments[i] !== null && arguments[i] !== "") return arguments[i];
    }
    return null;
  }
  function num(value) {
    if (value === null || value === undefined || typeof value === "object") return null;
    var n = parseFloat(value); return isNaN(n) ? null : n;
  }
  function label(key, fallback) {
    var text = window.MW ? MW.t(key) : key;
    return text === key ? fallback : text;
  }

  function pointOf(record) {
    if (!record) return null;
    var geo = record.location || record.point || record.geometry;
    if (geo && geo.type === "Point" && geo.coordinates) {
      return { lat: num(geo.coordinates[1]), lon: num(geo.coordinates[0]) };
    }
    var lat = num(first(record.lat, record.latitude));
    var lon = num(first(record.lon, record.lng, record.longitude));
    return lat === null || lon === null ? null : { lat: lat, lon: lon };
  }

  var SEVERITY_RANK = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
  function severityRank(value) {
    if (typeof value === "number") return value;
    return SEVERITY_RANK[String(value || "").toLowerCase()] || num(value) || 3;
  }

  function alert(a) {
    var point = pointOf(a);
    return {
      id: a.id, point: point, raw: a,
      severity: a.severity, rank: severityRank(a.severity),
      severityLabel: first(a.severity_display, a.severity),
      status: a.status, statusLabel: first(a.status_display, a.status),
      kind: first(a.kind_display, a.kind, a.source), title: first(a.title, a.kind_display, a.kind),
      raisedAt: first(a.raised_at, a.created_at),
      site: first(a.site_name, a.site && a.site.name, a.site),
      trip: a.subject_type === "trip" ? a.subject_key : first(a.trip_reference, null),
      count: first(a.count, a.occurrences, 1),
      incident: first(a.incident, a.linked_incident),
      acknowledgedBy: first(a.acknowledged_by_name, a.acknowledged_by),
      escalationStep: first(a.escalation_step, a.current_step),
      nextEscalationAt: first(a.next_escalation_at, a.next_step_at),
      ladder: first(a.ladder, []),
      notifications: first(a.notifications, a.deliveries, [])
    };
  }

  // A device of /api/v1/devices/ ({..., vehicle, vehicle_plate, last_position, trip_reference})
  // or a "tracking.position" event ({id: device id, unique_id, vehicle_plate, fix_time, lat, ...}).
  function vehicle(d) {
    var fix = d.last_position || d;
    var point = pointOf(fix);
    return {
      id: d.id, point: point, raw: d,
      key: first(d.unique_id, null),
      vehicleId: first(d.vehicle, null),
      name: first(d.vehicle_plate, d.name, d.unique_id, "#" + d.id),
      course: num(fix.course),
      speed: num(fix.speed_kmh),
      fixTime: first(fix.fix_time, null),
      trip: first(d.trip_reference, null),
      alarm: !!(fix.attributes && fix.attributes.alarm)
    };
  }

  // A detection of /api/v1/detections/ (or a trip's "detections") or a "detection.<kind>" event
  // (whose "device" and "trip" are the tracker identifier and the trip reference).
  function detection(d) {
    return {
      id: d.id, raw: d, kind: d.kind,
      label: first(d.kind_display, label("det_" + d.kind, d.kind)),
      time: first(d.time, null),
      point: pointOf(d),
      deviceId: typeof d.device === "number" ? d.device : null,
      deviceKey: first(d.device_key, typeof d.device === "string" ? d.device : null),
      tripId: typeof d.trip === "number" ? d.trip : null,
      tripReference: first(d.trip_reference, typeof d.trip === "string" ? d.trip : null),
      details: d.details || {}
    };
  }

  function trip(tr) {
    var progress = tr.progress && typeof tr.progress === "object" ? tr.progress : {};
    return {
      id: tr.id, raw: tr,
      name: first(tr.reference, "#" + tr.id),
      status: tr.status, statusLabel: first(tr.status_display, tr.status),
      routeId: first(tr.route, null),
      route: first(tr.route_name, null),
      progress: num(first(tr.progress_pct, progress.progress_pct)),
      distanceDoneM: num(first(tr.distance_done_m, progress.distance_done_m)),
      distanceLeftM: num(first(tr.distance_left_m, progress.distance_left_m)),
      eta: first(tr.eta, progress.eta),
      departAt: first(tr.departed_at, tr.departure_after),
      departureAfter: first(tr.departure_after, null),
      arrivalBefore: first(tr.arrival_before, null),
      arrivedAt: first(tr.arrived_at, null),
      lastFixAt: first(tr.last_fix_at, progress.last_fix_at),
      escortDistanceM: num(first(tr.escort_distance_m, progress.escort_distance_m)),
      cargo: first(tr.cargo_material, null),
      tonnes: num(tr.cargo_tonnes),
      valueUsd: num(tr.declared_value_usd),
      seals: first(tr.seal_numbers, []),
      isSynthetic: !!tr.is_synthetic,
      vehicles: (tr.vehicles || []).map(function (m) {
        return { vehicleId: m.vehicle, plate: m.plate, kind: m.kind, role: m.role };
      }),
      detections: (tr.detections || []).map(detection)
    };
  }

  window.MWAdapt = { alert: alert, vehicle: vehicle, trip: trip, detection: detection,
    pointOf: pointOf, severityRank: severityRank, first: first };
})();
