// The alarm console as a queue: one request (/console/queue.json) brings every open alert
// with its ladder, checklists, deliveries, notes, nearest site and convoy. The table sorts
// and filters in the browser; j/k move, a/e/r/i act on the selected alert; the live stream
// reloads the queue; a new critical alert sounds (unless muted) and shows the banner.
(function () {
  "use strict";
  var table = document.getElementById("alert-list");
  if (!table) { MW.startLive(); return; }
  var tbody = document.getElementById("q-body");
  var pane = document.getElementById("q-pane");
  var empty = document.getElementById("q-empty");
  var filters = document.getElementById("q-filters");
  var canOperate = table.getAttribute("data-can-operate") === "1";
  var t = MW.t, esc = MW.escapeHtml;
  var alerts = [], byId = {}, known = null, selectedId = null;
  var sort = { key: "severity", dir: -1 };
  var miniMap = null, miniLayer = null;

  function sevLabel(rank) { return t("sev_" + rank) + " (" + rank + "/5)"; }
  function ageSeconds(a) { return (Date.now() - new Date(a.raised_at)) / 1000; }
  function siteName(a) { return a.site ? a.site.name : ""; }
  function sourceText(a) {
    return a.kind_label && a.kind_label !== a.source_label ? a.source_label + ": " + a.kind_label : a.source_label;
  }
  // 24-hour times in Lima, like the clock.
  function when(value) {
    if (!value) return "—";
    return new Intl.DateTimeFormat(MW.locale, { timeZone: "America/Lima", day: "2-digit", month: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(value));
  }

  var SORTERS = {
    severity: function (a, b) { return a.severity - b.severity || new Date(b.raised_at) - new Date(a.raised_at); },
    reference: function (a, b) { return a.reference.localeCompare(b.reference); },
    title: function (a, b) { return a.title.localeCompare(b.title); },
    status: function (a, b) { return a.status.localeCompare(b.status); },
    site: function (a, b) { return siteName(a).localeCompare(siteName(b)); },
    source: function (a, b) { return sourceText(a).localeCompare(sourceText(b)); },
    age: function (a, b) { return new Date(b.raised_at) - new Date(a.raised_at); }
  };

  function visible() {
    var f = {};
    new FormData(filters).forEach(function (value, key) { f[key] = String(value).trim(); });
    var q = (f.q || "").toLowerCase();
    return alerts.filter(function (a) {
      if (f.severity && a.severity < Number(f.severity)) return false;
      if (f.status && a.status !== f.status) return false;
      if (f.site && String(a.site ? a.site.id : "") !== f.site) return false;
      if (f.source && a.source !== f.source) return false;
      if (f.age) {
        var hours = ageSeconds(a) / 3600, limit = Number(f.age);
        if (limit > 0 && hours >= limit) return false;
        if (limit < 0 && hours <= -limit) return false;
      }
      if (q && (a.reference + " " + a.title + " " + siteName(a) + " " + (a.place || "")).toLowerCase().indexOf(q) < 0) return false;
      return true;
    }).sort(function (a, b) { return sort.dir * SORTERS[sort.key](a, b); });
  }

  function fillSelect(name, options) {
    var select = filters.querySelector("select[name=" + name + "]");
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    options.forEach(function (o) { select.add(new Option(o[1], o[0])); });
    select.value = current;
  }

  function refreshFilterOptions() {
    var sites = {}, sources = {};
    alerts.forEach(function (a) {
      if (a.site) sites[a.site.id] = a.site.name;
      sources[a.source] = a.source_label;
    });
    fillSelect("site", Object.keys(sites).map(function (k) { return [k, sites[k]]; })
      .sort(function (x, y) { return x[1].localeCompare(y[1]); }));
    fillSelect("source", Object.keys(sources).map(function (k) { return [k, sources[k]]; }));
  }

  function renderTable() {
    var rows = visible();
    tbody.innerHTML = "";
    if (!rows.length) {
      tbody.innerHTML = '<tr class="notice"><td colspan="7">' + esc(alerts.length ? t("no_match") : t("no_alerts")) + "</td></tr>";
    }
    rows.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.id = "alert-" + a.id;
      tr.className = "alert-item rank-" + a.severity + " status-" + a.status;
      tr.setAttribute("data-id", a.id);
      tr.tabIndex = a.id === selectedId ? 0 : -1;
      tr.setAttribute("aria-selected", a.id === selectedId ? "true" : "false");
      tr.innerHTML = '<td><span class="sev sev-' + a.severity + '">' + a.severity + "</span></td>" +
        "<td>" + esc(a.reference) + "</td><td>" + esc(a.title) + (a.occurrences > 1 ? " ×" + a.occurrences : "") +
        (a.incident ? ' <span class="badge">' + esc(a.incident.reference) + "</span>" : "") + "</td>" +
        '<td><span class="q-status">' + esc(a.status_label) + "</span></td><td>" + esc(siteName(a) || "—") + "</td>" +
        "<td>" + esc(sourceText(a)) + '</td><td class="age" data-since="' + esc(a.raised_at) + '"></td>';
      tbody.appendChild(tr);
    });
    if (rows.length && !rows.some(function (a) { return a.id === selectedId; })) {
      var first = tbody.querySelector("tr.alert-item");
      if (first) first.tabIndex = 0;
    }
    table.querySelectorAll("th").forEach(function (th) {
      var button = th.querySelector("[data-sort]");
      if (!button) return;
      if (button.getAttribute("data-sort") === sort.key) th.setAttribute("aria-sort", sort.dir < 0 ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    tick();
  }

  function updateStats() {
    function count(test) { return alerts.filter(test).length; }
    document.getElementById("stat-critical").textContent = count(function (a) { return a.severity >= 5; });
    document.getElementById("stat-open").textContent = count(function (a) { return a.status === "open"; });
    document.getElementById("stat-ack").textContent = count(function (a) { return a.status === "acknowledged"; });
    document.getElementById("stat-escalated").textContent = count(function (a) { return a.status === "escalated"; });
    var nav = document.getElementById("nav-alert-count");
    if (nav) { nav.textContent = alerts.length; nav.hidden = !alerts.length; }
  }

  function ladderHtml(a) {
    if (!a.ladder) return "<li>" + esc(t("no_ladder")) + "</li>";
    var nextFound = false;
    return a.ladder.steps.map(function (step) {
      var isNext = step.state === "due" && !nextFound;
      if (isNext) nextFound = true;
      var cls = step.state === "fired" ? "done" : isNext ? "current" : "";
      var stamp = step.state === "fired" ? "✓ " + esc(when(step.fired_at)) + (step.fired_by ? " · " + esc(step.fired_by) : "")
        : step.expected_at ? (isNext ? esc(t("next_step_in")) + " " : "+") + "<span data-until='" + esc(step.expected_at) + "'></span>" : "";
      return '<li class="' + cls + '">' + (step.index + 1) + ". " + esc(step.name) +
        (step.notify_site_police ? " · " + esc(t("police")) : "") + (stamp ? " · " + stamp : "") + "</li>";
    }).join("");
  }

  function checklistHtml(a) {
    if (!a.checklists.length) return '<p class="help">' + esc(t("no_checklist")) + "</p>";
    return a.checklists.map(function (c) {
      return '<div class="checklist" data-checklist="' + c.id + '"><h4>' + esc(c.title) + "</h4><ol class=\"protocol\">" +
        c.items.map(function (item) {
          var done = !!item.ticked_at;
          var status = done ? t("done_by", { who: item.ticked_by || "?", when: when(item.ticked_at) }) : t("not_done");
          return '<li class="step ' + (done ? "done" : "open") + '" data-code="' + esc(item.code) + '" data-item="' + item.id + '">' +
            "<label><input type=\"checkbox\" class=\"q-tick\"" + (done ? " checked" : "") + (c.can_tick ? "" : " disabled") + "> " +
            "<strong>" + esc(item.code) + "</strong> " + esc(item.text) + "</label>" +
            ' <span class="help">· ' + esc(item.role) + " · " + esc(t("due")) + " " + esc(when(item.due_at)) +
            (item.notifies_police ? " · " + esc(t("police")) : "") + "</span>" +
            '<p class="step-status">' + esc(status) + (item.note ? ' · <em class="step-note">' + esc(item.note) + "</em>" : "") + "</p></li>";
        }).join("") + "</ol></div>";
    }).join("");
  }

  function deliveriesHtml(a) {
    if (!a.deliveries.length) return "<li>" + esc(t("nobody_notified")) + "</li>";
    return a.deliveries.map(function (d) {
      return '<li class="delivery-' + esc(d.status) + '"><time>' + esc(when(d.at)) + "</time> " + esc(d.text) + "</li>";
    }).join("");
  }

  function notesHtml(a) {
    if (!a.notes.length) return "<li>—</li>";
    return a.notes.map(function (n) {
      return "<li><time>" + esc(when(n.at)) + "</time> " + (n.to ? "<strong>" + (n.from ? esc(n.from) + " → " : "") + esc(n.to) + "</strong> · " + esc(n.actor) : "") +
        (n.note ? " <em>" + esc(n.note) + "</em>" : "") + "</li>";
    }).join("");
  }

  function drawMap(a) {
    var element = document.getElementById("q-map");
    var note = document.getElementById("q-map-note");
    if (!window.L || !window.MWMap) return;
    if (!miniMap) { miniMap = MWMap.createMap(element).map; miniLayer = L.layerGroup().addTo(miniMap); }
    miniLayer.clearLayers();
    var points = [], words = [];
    if (a.lat !== null && a.lon !== null) {
      L.marker([a.lat, a.lon], { icon: MWMap.alertIcon(a.severity), keyboard: false, title: a.title }).addTo(miniLayer);
      points.push([a.lat, a.lon]);
    }
    if (a.nearest_site) {
      L.marker([a.nearest_site.lat, a.nearest_site.lon], { icon: MWMap.siteIcon(), keyboard: false, title: a.nearest_site.name }).addTo(miniLayer);
      points.push([a.nearest_site.lat, a.nearest_site.lon]);
      words.push(t("nearest_site") + ": " + a.nearest_site.name +
        (a.nearest_site.distance_km !== null ? " (" + MW.formatNumber(a.nearest_site.distance_km, 1) + " " + t("km") + ")" : ""));
    }
    if (a.convoy) {
      a.convoy.vehicles.forEach(function (v) {
        L.marker([v.lat, v.lon], { icon: MWMap.vehicleIcon(0, "alarm"), keyboard: false, title: v.plate }).addTo(miniLayer);
        points.push([v.lat, v.lon]);
      });
      words.push(t("trip") + ": " + a.convoy.reference + " (" + a.convoy.status + ")");
    }
    note.textContent = words.join(" · ") || (points.length ? "" : t("no_position"));
    miniMap.invalidateSize();
    if (points.length === 1) miniMap.setView(points[0], 11);
    else if (points.length) miniMap.fitBounds(points, { padding: [20, 20], maxZoom: 13 });
  }

  function renderPane() {
    var a = byId[selectedId];
    empty.hidden = !!a; pane.hidden = !a;
    if (!a) return;
    pane.setAttribute("data-id", a.id);
    pane.querySelector(".sev-label").textContent = sevLabel(a.severity);
    var ref = pane.querySelector(".ref");
    ref.textContent = a.reference; ref.href = a.url;
    pane.querySelector(".status").textContent = a.status_label;
    pane.querySelector(".age").setAttribute("data-since", a.raised_at);
    pane.querySelector(".title").textContent = a.title + (a.occurrences > 1 ? " ×" + a.occurrences : "");
    pane.querySelector(".where").textContent = [siteName(a), a.place, sourceText(a)].filter(Boolean).join(" · ");
    var buttons = pane.querySelector(".alert-actions");
    if (buttons) {
      ["ack", "escalate", "resolve"].forEach(function (name) {
        buttons.querySelector('[data-action="' + name + '"]').disabled = a.actions.indexOf(name) < 0;
      });
      buttons.querySelector('[data-action="incident"] .label').textContent = a.incident ? t("view_incident") : t("open_incident");
    }
    document.getElementById("q-ladder").innerHTML = ladderHtml(a);
    document.getElementById("q-checklists").innerHTML = checklistHtml(a);
    document.getElementById("q-deliveries").innerHTML = deliveriesHtml(a);
    document.getElementById("q-notes").innerHTML = notesHtml(a);
    var box = document.getElementById("q-snapshot-box"), img = document.getElementById("q-snapshot");
    box.hidden = !a.snapshot_url;
    if (a.snapshot_url && img.getAttribute("src") !== a.snapshot_url) img.src = a.snapshot_url;
    drawMap(a);
    tick();
  }

  function select(id, focus) {
    var changed = selectedId !== id;
    selectedId = id;
    tbody.querySelectorAll("tr.alert-item").forEach(function (tr) {
      var on = Number(tr.getAttribute("data-id")) === id;
      tr.setAttribute("aria-selected", on ? "true" : "false");
      tr.tabIndex = on ? 0 : -1;
      if (on && focus) tr.focus();
    });
    if (changed) pane.querySelectorAll("form").forEach(function (f) { f.hidden = true; });
    renderPane();
  }

  function move(step) {
    var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.alert-item"));
    if (!rows.length) return;
    var index = rows.findIndex(function (tr) { return Number(tr.getAttribute("data-id")) === selectedId; });
    var next = index < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, index + step));
    select(Number(rows[next].getAttribute("data-id")), true);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("#alert-list [data-since], #q-pane [data-since]").forEach(function (node) {
      node.textContent = MW.formatAge((now - new Date(node.getAttribute("data-since"))) / 1000);
    });
    pane.querySelectorAll("[data-until]").forEach(function (node) {
      var left = (new Date(node.getAttribute("data-until")) - now) / 1000;
      node.textContent = left > 0 ? MW.formatAge(left) : t("overdue");
    });
  }

  // The sound file is ours (static/minewatch/sounds), so it works offline; muting is remembered.
  var sound = document.getElementById("sound-toggle");
  var audio = new Audio(sound.getAttribute("data-sound"));
  function muted() { return localStorage.getItem("mw-sound") === "off"; }
  function showSound() {
    sound.setAttribute("aria-pressed", muted() ? "false" : "true");
    sound.textContent = muted() ? "✕ " + t("sound_off") : "♪ " + t("sound_on");
  }
  function playAlarm() {
    if (muted()) return;
    document.body.setAttribute("data-alarm-played", String(Number(document.body.getAttribute("data-alarm-played") || 0) + 1));
    try { audio.currentTime = 0; var p = audio.play(); if (p && p.catch) p.catch(function () {}); } catch (e) { /* no audio device */ }
  }
  sound.addEventListener("click", function () {
    localStorage.setItem("mw-sound", muted() ? "on" : "off");
    showSound();
    if (!muted()) playAlarm();
  });
  showSound();

  function announceCritical(fresh) {
    var critical = fresh.filter(function (a) { return a.severity >= 5; });
    if (!critical.length) return;
    var a = critical[0];
    MW.showCritical("⚠ " + esc(t("critical_alert")) + ": " + esc(a.title) + (a.site ? " · " + esc(a.site.name) : "") +
      ' <a href="#alert-' + a.id + '">' + esc(t("details")) + "</a>");
    playAlarm();
  }

  var loading = null, again = false;
  function load() {
    if (loading) { again = true; return loading; }
    loading = MW.api("GET", table.getAttribute("data-queue-url")).then(function (data) {
      var next = data.alerts;
      if (known !== null) announceCritical(next.filter(function (a) { return !known[a.id]; }));
      known = {}; byId = {};
      next.forEach(function (a) { known[a.id] = true; byId[a.id] = a; });
      alerts = next;
      refreshFilterOptions();
      updateStats();
      var hadFocus = document.activeElement && document.activeElement.closest && document.activeElement.closest("#q-body");
      renderTable();
      if (selectedId && !byId[selectedId]) selectedId = null;
      if (selectedId) select(selectedId, !!hadFocus); else renderPane();
      // How many loads have rendered: lets tests (and anyone) wait for a fresh picture.
      table.setAttribute("data-loads", String(Number(table.getAttribute("data-loads") || 0) + 1));
    }).catch(function () {}).then(function () {
      loading = null;
      if (again) { again = false; load(); }
    });
    return loading;
  }

  function showError(problem) {
    var error = pane.querySelector(".action-error");
    var body = problem.body || {};
    var text = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ");
    error.textContent = t("error") + ": " + (text || problem.status);
    error.hidden = false;
  }

  function act(action, value) {
    var a = byId[selectedId];
    if (!a) return;
    pane.querySelector(".action-error").hidden = true;
    var request;
    if (action === "incident") {
      if (a.incident) { window.location = "/incidents/" + a.incident.id + "/"; return; }
      request = MW.api("POST", "/api/v1/alerts/" + a.id + "/create-incident/", { incident_type: value }).then(function (incident) {
        window.location = "/incidents/" + incident.id + "/";
      });
    } else {
      request = MW.api("POST", "/api/v1/alerts/" + a.id + "/" + action + "/", { note: value || "" }).then(load);
    }
    request.catch(showError);
  }

  function command(action) {
    var a = byId[selectedId];
    if (!a || !canOperate) return;
    if (action === "resolve") {
      if (a.actions.indexOf("resolve") < 0) return;
      var form = pane.querySelector(".resolve-form");
      form.hidden = false; form.querySelector("input").focus();
    } else if (action === "incident") {
      if (a.incident) { act("incident"); return; }
      var incidentForm = pane.querySelector(".incident-form");
      var selectNode = incidentForm.querySelector("select");
      selectNode.value = a.incident_type || "";
      incidentForm.hidden = false; selectNode.focus();
    } else if (a.actions.indexOf(action) >= 0) {
      act(action);
    }
  }

  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr.alert-item");
    if (tr) select(Number(tr.getAttribute("data-id")), true);
  });
  table.querySelector("thead").addEventListener("click", function (e) {
    var button = e.target.closest("[data-sort]");
    if (!button) return;
    var key = button.getAttribute("data-sort");
    sort = { key: key, dir: sort.key === key ? -sort.dir : (key === "severity" ? -1 : 1) };
    renderTable();
  });
  filters.addEventListener("input", renderTable);
  filters.addEventListener("submit", function (e) { e.preventDefault(); });

  pane.addEventListener("click", function (e) {
    var button = e.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-cancel")) { button.closest("form").hidden = true; return; }
    var action = button.getAttribute("data-action");
    if (action) command(action);
  });
  pane.addEventListener("submit", function (e) {
    e.preventDefault();
    if (e.target.classList.contains("incident-form")) {
      var type = e.target.querySelector("select").value;
      if (type) act("incident", type); else e.target.querySelector("select").focus();
      return;
    }
    var input = e.target.querySelector("input[name=note]");
    var note = input.value.trim();
    if (!note) { input.focus(); return; }
    input.value = "";
    e.target.hidden = true;
    act("resolve", note);
  });
  // Ticking a step goes to the checklist API (the same check of the role as the incident page).
  pane.addEventListener("change", function (e) {
    if (!e.target.classList.contains("q-tick")) return;
    var step = e.target.closest("[data-item]");
    var checklist = e.target.closest("[data-checklist]");
    e.target.disabled = true;
    MW.api("POST", "/api/v1/protocol-checklists/" + checklist.getAttribute("data-checklist") + "/tick/",
      { item: Number(step.getAttribute("data-item")), undo: !e.target.checked }).then(load).catch(function (problem) {
      e.target.checked = !e.target.checked; e.target.disabled = false; showError(problem);
    });
  });

  document.addEventListener("keydown", function (e) {
    var tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) return;
    var key = e.key.toLowerCase();
    if (key === "j" || e.key === "ArrowDown") { move(1); e.preventDefault(); return; }
    if (key === "k" || e.key === "ArrowUp") { move(-1); e.preventDefault(); return; }
    var action = { a: "ack", e: "escalate", r: "resolve", i: "incident" }[key];
    if (action && selectedId) { e.preventDefault(); command(action); }
  });

  var reload = null;
  document.addEventListener("mw:event", function (e) {
    var name = e.detail.name || "";
    if (name.indexOf("alert.") !== 0 && name.indexOf("protocol.") !== 0) return;
    clearTimeout(reload);
    reload = setTimeout(load, 250);
  });
  // A reconnect may have missed events: reload then (the first opening races the first load).
  var opened = false;
  document.addEventListener("mw:live-open", function () { if (opened) load(); opened = true; });

  load();
  setInterval(tick, 1000);
  setInterval(load, MW.has("stream") ? 60000 : 10000);
  MW.startLive();
})();
