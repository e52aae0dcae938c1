// Shared behaviours of every page. No inline scripts: the CSP allows only our own files.
// window.MW holds the helpers the page scripts (map.js, console.js, ...) use.
(function () {
  "use strict";
  var body = document.body;
  var stringsNode = document.getElementById("mw-i18n");
  var strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  var lang = body.getAttribute("data-lang") || "es";
  var locale = lang === "en" ? "en-GB" : "es-PE";
  var timeZone = "America/Lima";
  var features = (body.getAttribute("data-features") || "").split(" ").filter(Boolean);

  function t(key, params) {
    var text = strings[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.replace("%(" + name + ")s", params[name]);
    });
    return text;
  }

  function has(feature) { return features.indexOf(feature) !== -1; }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // JSON over the REST API with the session cookie; rejects with {status, body}.
  function api(method, url, payload) {
    var options = { method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() } };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
        if (!response.ok) return Promise.reject({ status: response.status, body: data });
        return data;
      });
    });
  }

  // Every page of a paginated list endpoint ({count, next, results}) or a plain list.
  function apiAll(url, maxPages) {
    var items = [];
    function step(next, left) {
      return api("GET", next).then(function (data) {
        if (Array.isArray(data)) return items.concat(data);
        items = items.concat(data.results || []);
        if (data.next && left > 1) return step(data.next, left - 1);
        return items;
      });
    }
    return step(url, maxPages || 5);
  }

  function formatDateTime(value) {
    if (!value) return "—";
    return new Intl.DateTimeFormat(locale, { timeZone: timeZone, dateStyle: "medium",
      timeStyle: "short", hourCycle: "h23" }).format(new Date(value));
  }
  function formatTime(value) {
    return new Intl.DateTimeFormat(locale, { timeZone: timeZone, hour: "2-digit", hourCycle: "h23",
      minute: "2-digit", second: "2-digit" }).format(value ? new Date(value) : new Date());
  }
  function formatNumber(value, digits) {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: digits || 0 }).format(value);
  }
  function formatAge(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " " + t("seconds_short");
    if (seconds < 3600) return Math.floor(seconds / 60) + " " + t("minutes_short");
    var hours = Math.floor(seconds / 3600);
    return hours + " " + t("hours_short") + " " + Math.floor((seconds % 3600) / 60) + " " + t("minutes_short");
  }
  function escapeHtml(text) {
    return String(text === undefined || text === null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // A short two-tone alarm made with WebAudio (no sound file to ship). Browsers only
  // allow audio after a user gesture; the console's "sound on" button provides it.
  var audioContext = null;
  function unlockSound() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audioContext && Ctx) audioContext = new Ctx();
    if (audioContext && audioContext.state === "suspended") audioContext.resume();
    return !!audioContext;
  }
  function beep() {
    if (!audioContext || localStorage.getItem("mw-sound") === "off") return;
    [0, 0.28, 0.56].forEach(function (offset, i) {
      var osc = audioContext.createOscillator();
      var gain = audioContext.createGain();
      osc.type = "square";
      osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audioContext.destination);
      osc.start(audioContext.currentTime + offset);
      osc.stop(audioContext.currentTime + offset + 0.22);
    });
  }

  function showCritical(html) {
    var banner = document.getElementById("critical-banner");
    if (!banner) return;
    banner.innerHTML = html;
    banner.hidden = false;
  }

  // The live stream (server-sent events). EventSource reconnects by itself after a
  // dropped connection; when the server refuses or closes for good we retry with backoff.
  // Either way the banner tells the operator the picture may be stale.
  // EventSource delivers a named event only to a listener of that exact name, so these are
  // the names the apps publish (core.events): alerts/services, incidents/services,
  // tracking/services/ingest.py ("tracking.position", "detection.<kind>") and
  // tracking/services/fleet.py ("trip.<status>", "trip.saved", ...), alarms' guard tours.
  var EVENT_NAMES = ["message", "alert.raised", "alert.repeated", "alert.acknowledged",
    "alert.escalated", "alert.resolved", "alert.police_notified", "alert.incident_linked",
    "alert.delivery", "protocol.step_ticked", "incident.reported", "incident.updated",
    "incident.status_changed", "tracking.position", "trip.saved", "trip.en_route", "trip.arrived",
    "trip.aborted", "device.saved", "vehicle.saved", "tour.started", "tour.checkpoint_scanned"];
  // tracking.choices.DetectionKind
  var DETECTION_KINDS = ["zone_enter", "zone_exit", "route_deviation", "unscheduled_stop",
    "signal_loss", "signal_restored", "overspeed", "alarm", "convoy_split", "late_arrival"];
  DETECTION_KINDS.forEach(function (kind) { EVENT_NAMES.push("detection." + kind); });
  var live = { source: null, retryMs: 2000, connected: false, started: false };

  function setBanner(state) {
    var banner = document.getElementById("live-banner");
    var status = document.getElementById("live-status");
    if (status) {
      status.setAttribute("data-state", state);
      var label = status.querySelector(".label");
      if (label) label.textContent = t("live_" + (state === "ok" ? "ok" : state));
    }
    if (!banner) return;
    clearTimeout(live.bannerTimer);
    if (state === "lost") {
      // A short grace period: a reconnect within a second or two is not worth a banner.
      live.bannerTimer = setTimeout(function () {
        if (live.connected) return;
        banner.textContent = t("live_lost");
        banner.hidden = false;
      }, 1500);
    } else {
      banner.hidden = true;
    }
  }

  function dispatchLive(name, raw) {
    var data = raw;
    try { data = JSON.parse(raw); } catch (e) { /* plain text payload */ }
    if (data && typeof data === "object" && data.name && data.payload !== undefined) {
      name = data.name; data = data.payload;
    } else if (data && typeof data === "object" && name === "message" && data.event) {
      name = data.event;
    }
    document.dispatchEvent(new CustomEvent("mw:event", { detail: { name: name, data: data } }));
  }

  function connect(url) {
    var source = new EventSource(url, { withCredentials: true });
    live.source = source;
    source.onopen = function () {
      live.connected = true; live.retryMs = 2000; setBanner("ok");
      document.dispatchEvent(new CustomEvent("mw:live-open"));
    };
    source.onerror = function () {
      live.connected = false; setBanner("lost");
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { connect(url); }, live.retryMs);
        live.retryMs = Math.min(live.retryMs * 2, 30000);
      }
    };
    EVENT_NAMES.forEach(function (name) {
      source.addEventListener(name, function (event) { dispatchLive(name, event.data); });
    });
  }

  function startLive() {
    if (live.started) return;
    live.started = true;
    var url = body.getAttribute("data-stream-url");
    if (!url || !window.EventSource) { setBanner("unavailable"); return; }
    setBanner("connecting");
    connect(url);
  }

  function tickClock() {
    var clock = document.getElementById("clock");
    if (clock) clock.textContent = formatTime() + " PET";
  }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll(".js-hide").forEach(function (node) { node.hidden = true; });
  tickClock();
  setInterval(tickClock, 1000);

  window.MW = { t: t, has: has, api: api, apiAll: apiAll, locale: locale, lang: lang,
    formatDateTime: formatDateTime, formatTime: formatTime, formatNumber: formatNumber,
    formatAge: formatAge, escapeHtml: escapeHtml, startLive: startLive, live: live,
    unlockSound: unlockSound, beep: beep, showCritical: showCritical, csrfToken: csrfToken };
})();
