// Drawing and editing sites, zones, routes (with their corridor) and authorised stops on the
// operations map, for the roles that may change them (capability manage_sites; the page
// includes this file and its panel only for them). Shapes are drawn with leaflet-geoman and
// saved through the REST API (/api/v1/sites|zones|routes/), which validates them exactly as
// for any other client; its errors ({field: [message]}) are shown under the form, each with
// the field's name in the page's language.
(function () {
  "use strict";
  var panel = document.getElementById("draw-panel");
  if (!panel || !window.MWOpsMap || !L.PM) return;
  var map = MWOpsMap.map;
  var form = document.getElementById("draw-form");
  var hint = document.getElementById("draw-hint");
  var status = document.getElementById("draw-status");
  var errors = document.getElementById("draw-errors");
  var lang = (document.documentElement.getAttribute("lang") || "es").slice(0, 2);
  if (map.pm.setLang) map.pm.setLang(lang === "en" ? "en" : "es");

  var GEOMAN_SHAPE = { site: "Marker", zone: "Polygon", "zone-circle": "Circle", route: "Line", stop: "Circle" };
  var FIELDS = { site: ["site-kind"], zone: ["zone-kind", "site", "route"], route: ["origin", "buffer"],
    stop: ["route", "site"] };
  var state = null;  // {mode, model, layer, id (when editing), buffer}
  var data = { sites: [], routes: [] };

  function msg(name) { return panel.getAttribute("data-msg-" + name) || name; }
  function label(field) { return panel.getAttribute("data-label-" + field) || field; }
  function setHint(text) { hint.textContent = text || ""; }
  function setStatus(text) { status.textContent = text || ""; }
  function pressed(mode) {
    panel.querySelectorAll("[data-draw]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-draw") === mode ? "true" : "false");
    });
  }

  function fillSelect(name, items, keep) {
    var select = form.elements[name];
    var current = keep !== undefined ? String(keep === null ? "" : keep) : select.value;
    while (select.options.length > 1) select.remove(1);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = String(item.id);
      option.textContent = item.name;
      select.appendChild(option);
    });
    select.value = current;
  }
  document.addEventListener("mw:map-layers", function (e) {
    data.sites = e.detail.sites.features.map(function (f) { return f.properties; });
    data.routes = e.detail.routes.features.map(function (f) { return f.properties; });
    fillSelect("site", data.sites); fillSelect("origin", data.sites); fillSelect("route", data.routes);
  });

  function showErrors(list) {
    errors.textContent = "";
    list.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      errors.appendChild(item);
    });
  }

  function showFields(kind) {
    var wanted = kind === "zone-circle" ? FIELDS.zone : FIELDS[kind] || [];
    form.querySelectorAll("label[data-for]").forEach(function (node) {
      node.hidden = wanted.indexOf(node.getAttribute("data-for")) < 0;
    });
  }

  // The corridor of a route, drawn to scale: a translucent line as wide as twice the buffer.
  function metresPerPixel(lat) {
    return 40075016.686 * Math.cos(lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
  }
  function updateBuffer() {
    if (!state || state.kind !== "route" || !state.layer) return;
    var buffer = parseFloat(form.elements.buffer_m.value) || 0;
    var latlngs = state.layer.getLatLngs();
    if (!state.buffer) {
      state.buffer = L.polyline(latlngs, { color: "#fde047", opacity: 0.25, interactive: false,
        lineCap: "round", lineJoin: "round", className: "mw-route-buffer" }).addTo(map);
    }
    state.buffer.setLatLngs(latlngs);
    var lat = state.layer.getBounds().getCenter().lat;
    state.buffer.setStyle({ weight: Math.min(400, Math.max(2, 2 * buffer / metresPerPixel(lat))) });
  }
  map.on("zoomend", updateBuffer);
  form.elements.buffer_m.addEventListener("input", updateBuffer);

  function reset() {
    map.pm.disableDraw();
    if (state && state.layer) { state.layer.pm && state.layer.pm.disable(); map.removeLayer(state.layer); }
    if (state && state.buffer) map.removeLayer(state.buffer);
    state = null;
    form.hidden = true;
    form.reset();
    showErrors([]);
    pressed(null);
    setHint("");
    panel.removeAttribute("data-state");
  }

  function watchLayer(layer) {
    layer.on("pm:edit pm:markerdragend pm:vertexadded pm:vertexremoved pm:dragend", updateBuffer);
  }

  function startDraw(kind) {
    reset();
    setStatus("");
    state = { kind: kind, layer: null, id: null };
    pressed(kind);
    showFields(kind);
    if (kind === "stop") form.elements.zone_kind.value = "authorised_stop";
    map.pm.enableDraw(GEOMAN_SHAPE[kind], { snappable: true, allowSelfIntersection: false,
      templineStyle: { color: "#fbbf24" }, hintlineStyle: { color: "#fbbf24", dashArray: "5 5" },
      pathOptions: { color: "#fbbf24", weight: 2, fillOpacity: 0.15 } });
    panel.setAttribute("data-state", "drawing");
  }

  map.on("pm:create", function (e) {
    if (!state || state.layer) { map.removeLayer(e.layer); return; }
    e.layer.setStyle && e.layer.setStyle({ className: "mw-draft" });
    state.layer = e.layer;
    e.layer.pm.enable({ allowSelfIntersection: false });
    watchLayer(e.layer);
    form.hidden = false;
    panel.setAttribute("data-state", "form");
    updateBuffer();
    form.elements.name.focus();
  });

  // Edit mode: the next click on a site, zone or route (map.js asks MWDraw.pick) edits it.
  function startEdit() {
    reset();
    setStatus("");
    state = { kind: "pick" };
    pressed("edit");
    setHint(msg("pick"));
    panel.setAttribute("data-state", "picking");
  }

  function pick(layer) {
    if (!state || state.kind !== "pick" || !layer.mwRecord) return false;
    var record = layer.mwRecord, f = record.feature, p = f.properties, copy, kind;
    if (record.model === "sites") {
      kind = "site";
      copy = L.marker(layer.getLatLng(), { draggable: true });
    } else if (record.model === "routes") {
      kind = "route";
      copy = L.polyline(L.GeoJSON.coordsToLatLngs(f.geometry.coordinates), { color: "#fbbf24", weight: 3 });
    } else if (p.shape === "circle") {
      kind = p.kind === "authorised_stop" && p.route ? "stop" : "zone-circle";
      copy = L.circle([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: p.radius_m, color: "#fbbf24" });
    } else {
      kind = p.kind === "authorised_stop" && p.route ? "stop" : "zone";
      copy = L.geoJSON(f.geometry).getLayers()[0];
      copy.setStyle({ color: "#fbbf24" });
    }
    state = { kind: kind, layer: copy.addTo(map), id: p.id, model: record.model };
    copy.pm.enable({ allowSelfIntersection: false });
    watchLayer(copy);
    showFields(kind);
    form.elements.name.value = p.name;
    if (record.model === "sites") form.elements.site_kind.value = p.kind;
    if (record.model === "zones") {
      form.elements.zone_kind.value = p.kind;
      fillSelect("site", data.sites, p.site_id);
      fillSelect("route", data.routes, p.route_id);
    }
    if (record.model === "routes") {
      form.elements.buffer_m.value = p.buffer_m;
      fillSelect("origin", data.sites, p.origin_id);
    }
    form.hidden = false;
    setHint("");
    panel.setAttribute("data-state", "form");
    updateBuffer();
    return true;
  }

  function idOrNull(value) { return value ? parseInt(value, 10) : null; }

  function payload() {
    var kind = state.kind, layer = state.layer, f = form.elements, body = { name: f.name.value.trim() };
    if (kind === "site") {
      var at = layer.getLatLng();
      body.kind = f.site_kind.value; body.lat = +at.lat.toFixed(6); body.lon = +at.lng.toFixed(6);
      return ["sites", body];
    }
    if (kind === "route") {
      body.geometry = layer.toGeoJSON().geometry;
      body.buffer_m = f.buffer_m.value === "" ? null : f.buffer_m.value;
      body.origin = idOrNull(f.origin.value);
      return ["routes", body];
    }
    body.kind = kind === "stop" ? "authorised_stop" : f.zone_kind.value;
    body.site = idOrNull(f.site.value);
    body.route = idOrNull(f.route.value);
    if (layer instanceof L.Circle) {
      var c = layer.getLatLng();
      body.center_lat = +c.lat.toFixed(6); body.center_lon = +c.lng.toFixed(6);
      body.radius_m = Math.round(layer.getRadius() * 10) / 10;
    } else {
      body.geometry = layer.toGeoJSON().geometry;
    }
    return ["zones", body];
  }

  function errorLines(body) {
    if (!body || typeof body !== "object") return [msg("failed")];
    var lines = [];
    Object.keys(body).forEach(function (field) {
      var value = body[field];
      var texts = Array.isArray(value) ? value : [value];
      texts.forEach(function (text) {
        if (text && typeof text === "object") text = JSON.stringify(text);
        lines.push(label(field) + ": " + text);
      });
    });
    return lines.length ? lines : [msg("failed")];
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!state || !state.layer) { showErrors([msg("draw-first")]); return; }
    var built = payload(), url = "/api/v1/" + built[0] + "/";
    var method = state.id ? "PATCH" : "POST";
    if (state.id) url += state.id + "/";
    showErrors([]);
    panel.setAttribute("data-state", "saving");
    MW.api(method, url, built[1]).then(function (saved) {
      reset();
      setStatus(msg("saved") + " " + saved.name);
      panel.setAttribute("data-saved", built[0] + ":" + saved.id);
      return MWOpsMap.reload();
    }).catch(function (error) {
      panel.setAttribute("data-state", "form");
      if (error && error.status === 403) showErrors([msg("denied")]);
      else showErrors(errorLines(error && error.body));
    });
  });

  panel.querySelectorAll("[data-draw]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-draw");
      if (kind === "edit") startEdit(); else startDraw(kind);
    });
  });
  form.querySelector("[data-draw-cancel]").addEventListener("click", reset);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && state) reset(); });

  window.MWDraw = { pick: pick, reset: reset };
})();
