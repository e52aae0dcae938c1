// Normalise records of the tracking and alerts APIs into the few fields the screens draw.
// Kept in one place so a change in those serializers is one edit here.
(function () {
  "use strict";
  function first() {
    for (var i = 0; i < arguments.length; i++) {
      if (arguments[i] !== undefined && arguments[i] !== null && arguments[i] !== "") return arguments[i];
    }
    return null;
  }
  function num(value) { var n = parseFloat(value); return isNaN(n) ? null : n; }

  function pointOf(record) {
    if (!record) return null;
    var geo = record.location || record.place || record.point || record.geometry;
    if (geo && geo.type === "Point" && geo.coordinates) {
      return { lat: num(geo.coordinates[1]), lon: num(geo.coordinates[0]) };
    }
    var lat = num(first(record.lat, record.latitude, geo && geo.lat));
    var lon = num(first(record.lon, record.lng, record.longitude, geo && (geo.lon || geo.lng)));
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
      severityLabel: first(a.severity_display, a.get_severity_display, a.severity),
      status: a.status, statusLabel: first(a.status_display, a.status),
      kind: first(a.kind_display, a.kind, a.source), title: first(a.title, a.summary, a.kind_display, a.kind),
      raisedAt: first(a.raised_at, a.created_at, a.at, a.time),
      site: first(a.site_name, a.site && a.site.name, a.site),
      trip: first(a.trip_name, a.trip_reference, a.trip),
      count: first(a.count, a.occurrences, 1),
      incident: first(a.incident, a.linked_incident),
      acknowledgedBy: first(a.acknowledged_by_name, a.acknowledged_by),
      escalationStep: first(a.escalation_step, a.step, a.current_step),
      nextEscalationAt: first(a.next_escalation_at, a.next_step_at, a.escalate_at),
      ladder: first(a.ladder, a.escalation_ladder, a.steps, []),
      notifications: first(a.notifications, a.deliveries, a.notified, [])
    };
  }

  function lastFix(record) {
    return first(record.last_position, record.last_fix, record.position, record.latest_position);
  }

  function vehicle(d) {
    var fix = lastFix(d) || d;
    var point = pointOf(fix);
    return {
      id: d.id, point: point, raw: d,
      name: first(d.vehicle_plate, d.plate, d.vehicle_name, d.name, d.identifier, d.unique_id, d.id),
      course: num(first(fix.course, fix.course_deg, fix.heading, fix.bearing)),
      speed: num(first(fix.speed_kmh, fix.speed)),
      fixTime: first(fix.fix_time, fix.fixed_at, fix.time, fix.timestamp),
      trip: first(d.trip_reference, d.trip_name, d.trip && (d.trip.reference || d.trip.name), d.trip),
      alarm: !!(fix.attributes && fix.attributes.alarm)
    };
  }

  function trip(tr) {
    return {
      id: tr.id, raw: tr,
      name: first(tr.reference, tr.name, tr.code, "#" + tr.id),
      status: tr.status, statusLabel: first(tr.status_display, tr.status),
      route: first(tr.route_name, tr.route && tr.route.name, tr.route),
      progress: num(first(tr.progress_pct, tr.progress_percent, tr.progress)),
      eta: first(tr.eta, tr.estimated_arrival, tr.arrival_eta),
      departAt: first(tr.departed_at, tr.departure_at, tr.planned_departure),
      lastFixAt: first(tr.last_fix_at, tr.last_position_at, lastFix(tr) && (lastFix(tr).fix_time || lastFix(tr).time)),
      escortDistanceM: num(first(tr.escort_distance_m, tr.escort_gap_m)),
      cargo: first(tr.cargo_material, tr.material, tr.cargo && tr.cargo.material),
      tonnes: num(first(tr.cargo_tonnes, tr.tonnes, tr.cargo && tr.cargo.tonnes)),
      vehicles: first(tr.vehicles, tr.members, []),
      detections: first(tr.detections, tr.recent_detections, [])
    };
  }

  window.MWAdapt = { alert: alert, vehicle: vehicle, trip: trip, pointOf: pointOf,
    severityRank: severityRank, first: first };
})();
