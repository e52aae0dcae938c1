// The alarm console: open alerts (most severe, then oldest, first) from /api/v1/alerts/,
// their escalation ladder and deliveries from the detail endpoint, the operator's actions,
// live refresh from the event stream, a sound and a banner for critical alerts.
(function () {
  "use strict";
  var list = document.getElementById("alert-list");
  if (!list) { MW.startLive(); return; }
  var template = document.getElementById("alert-template");
  var canOperate = list.getAttribute("data-can-operate") === "1";
  var t = MW.t, esc = MW.escapeHtml;
  var alerts = [], details = {}, known = null, focusedId = null;

  // Where the alert came from, in words (the API translates source and kind codes).
  function sourceLabel(raw) {
    var source = raw.source_display || raw.source || "";
    var kind = raw.kind_display || raw.kind || "";
    return kind && kind !== source ? source + (source ? ": " : "") + kind : source;
  }
  function sevLabel(rank) { return t("sev_" + rank) + " (" + rank + "/5)"; }

  function sortAlerts(items) {
    return items.sort(function (a, b) {
      return b.rank - a.rank || new Date(a.raisedAt) - new Date(b.raisedAt);
    });
  }

  function ladderHtml(detail) {
    if (!detail || !detail.ladder) return "";
    var nextFound = false;
    return detail.ladder.steps.map(function (step) {
      var isNext = step.state === "due" && !nextFound;
      if (isNext) nextFound = true;
      var cls = step.state === "fired" ? "done" : isNext ? "current" : "";
      var when = step.state === "fired" ? "✓ " + MW.formatTime(step.fired_at)
        : step.expected_at ? (isNext ? t("next_step_in") + " " : "+") +
          "<span data-until='" + esc(step.expected_at) + "'></span>" : "";
      return '<li class="' + cls + '">' + (step.index + 1) + ". " + esc(step.name) +
        (step.notify_site_police ? " · " + esc(t("police")) : "") + (when ? " · " + when : "") + "</li>";
    }).join("");
  }

  function notifiedHtml(detail) {
    if (!detail || !detail.ladder) return "";
    var rows = [];
    detail.ladder.steps.forEach(function (step) {
      step.deliveries.forEach(function (d) {
        rows.push(esc(d.recipient_label || d.target) + " (" + esc(d.channel_kind) + ", " + esc(d.status) + ")");
      });
    });
    return esc(t("notified")) + ": " + (rows.length ? rows.join(" · ") : esc(t("nobody_notified")));
  }

  function render() {
    list.innerHTML = "";
    if (!alerts.length) {
      list.innerHTML = '<li class="notice">' + esc(t("no_alerts")) + "</li>";
    }
    alerts.forEach(function (a) {
      var node = template.content.firstElementChild.cloneNode(true);
      node.id = "alert-" + a.id;
      node.setAttribute("data-id", a.id);
      node.classList.add("rank-" + a.rank, "status-" + a.status);
      node.setAttribute("aria-label", sevLabel(a.rank) + ": " + a.title);
      node.querySelector(".sev-label").textContent = sevLabel(a.rank);
      node.querySelector(".ref").textContent = a.raw.reference || "#" + a.id;
      node.querySelector(".status").textContent = t("status_" + a.status);
      node.querySelector(".age").setAttribute("data-since", a.raisedAt);
      node.querySelector(".title").textContent = a.title + (a.count > 1 ? " ×" + a.count : "");
      node.querySelector(".where").textContent = [a.site, a.raw.place, sourceLabel(a.raw)].filter(Boolean).join(" · ");
      node.querySelector(".ladder").innerHTML = ladderHtml(details[a.id]);
      node.querySelector(".notified").innerHTML = notifiedHtml(details[a.id]);
      var buttons = node.querySelector(".alert-actions");
      if (!canOperate) { buttons.remove(); } else {
        if (a.status !== "open") buttons.querySelector('[data-action="ack"]').disabled = true;
        if (a.incident) buttons.querySelector('[data-action="incident"]').textContent = t("view_incident");
      }
      list.appendChild(node);
    });
    updateStats();
    tick();
    if (focusedId) {
      var again = document.getElementById("alert-" + focusedId);
      if (again) again.focus();
    }
  }

  function updateStats() {
    function count(test) { return alerts.filter(test).length; }
    document.getElementById("stat-critical").textContent = count(function (a) { return a.rank >= 5; });
    document.getElementById("stat-open").textContent = count(function (a) { return a.status === "open"; });
    document.getElementById("stat-ack").textContent = count(function (a) { return a.status === "acknowledged"; });
    document.getElementById("stat-escalated").textContent = count(function (a) { return a.status === "escalated"; });
    var nav = document.getElementById("nav-alert-count");
    if (nav) { nav.textContent = alerts.length; nav.hidden = !alerts.length; }
  }

  function tick() {
    var now = Date.now();
    list.querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = MW.formatAge((now - new Date(node.getAttribute("data-since"))) / 1000);
    });
    list.querySelectorAll("[data-until]").forEach(function (node) {
      var left = (new Date(node.getAttribute("data-until")) - now) / 1000;
      node.textContent = left > 0 ? MW.formatAge(left) : t("overdue");
    });
  }

  function announceCritical(fresh) {
    var critical = fresh.filter(function (a) { return a.rank >= 5; });
    if (!critical.length) return;
    var a = critical[0];
    MW.showCritical("⚠ " + esc(t("critical_alert")) + ": " + esc(a.title) + (a.site ? " · " + esc(a.site) : "") +
      ' <a href="#alert-' + a.id + '">' + esc(t("details")) + "</a>");
    MW.beep();
  }

  function load() {
    return MW.apiAll("/api/v1/alerts/?is_open=true&page_size=200", 3).then(function (items) {
      var next = sortAlerts(items.map(MWAdapt.alert));
      if (known !== null) {
        announceCritical(next.filter(function (a) { return !known[a.id]; }));
      }
      known = {};
      next.forEach(function (a) { known[a.id] = true; });
      alerts = next;
      render();
      // How many loads have rendered: lets tests (and anyone) wait for the first picture.
      list.setAttribute("data-loads", String(Number(list.getAttribute("data-loads") || 0) + 1));
      return Promise.all(alerts.slice(0, 40).map(function (a) {
        return MW.api("GET", "/api/v1/alerts/" + a.id + "/").then(function (detail) {
          details[a.id] = detail;
          var node = document.getElementById("alert-" + a.id);
          if (node) {
            node.querySelector(".ladder").innerHTML = ladderHtml(detail);
            node.querySelector(".notified").innerHTML = notifiedHtml(detail);
          }
        }).catch(function () {});
      })).then(tick);
    });
  }

  function act(node, action, note) {
    var id = node.getAttribute("data-id");
    var error = node.querySelector(".action-error");
    error.hidden = true;
    var a = alerts.filter(function (x) { return String(x.id) === id; })[0];
    var request;
    if (action === "incident") {
      if (a && a.incident) { window.location = "/incidents/" + a.incident + "/"; return; }
      request = MW.api("POST", "/api/v1/alerts/" + id + "/create-incident/", {}).then(function (incident) {
        window.location = "/incidents/" + incident.id + "/";
      });
    } else {
      request = MW.api("POST", "/api/v1/alerts/" + id + "/" + action + "/", { note: note || "" }).then(load);
    }
    request.catch(function (problem) {
      var body = problem.body || {};
      var text = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ");
      error.textContent = t("error") + ": " + (text || problem.status);
      error.hidden = false;
    });
  }

  function startResolve(node) {
    var form = node.querySelector(".resolve-form");
    form.hidden = false;
    form.querySelector("input").focus();
  }

  list.addEventListener("click", function (e) {
    var button = e.target.closest("button");
    var node = e.target.closest(".alert-item");
    if (!button || !node) return;
    focusedId = node.getAttribute("data-id");
    if (button.hasAttribute("data-cancel")) { node.querySelector(".resolve-form").hidden = true; return; }
    var action = button.getAttribute("data-action");
    if (action === "resolve") startResolve(node);
    else if (action) act(node, action);
  });
  list.addEventListener("submit", function (e) {
    e.preventDefault();
    var node = e.target.closest(".alert-item");
    var note = e.target.querySelector("input").value.trim();
    if (!note) { e.target.querySelector("input").focus(); return; }
    act(node, "resolve", note);
  });
  list.addEventListener("focusin", function (e) {
    var node = e.target.closest(".alert-item");
    if (node) focusedId = node.getAttribute("data-id");
  });
  list.addEventListener("keydown", function (e) {
    var node = e.target.closest(".alert-item");
    if (!node || e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "j" || e.key === "k") {
      var next = e.key === "ArrowDown" || e.key === "j" ? node.nextElementSibling : node.previousElementSibling;
      if (next) { next.focus(); e.preventDefault(); }
      return;
    }
    var button = canOperate && node.querySelector('[data-key="' + e.key.toLowerCase() + '"]');
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  });

  var sound = document.getElementById("sound-toggle");
  function showSound() {
    var on = MW.soundReady && localStorage.getItem("mw-sound") !== "off";
    sound.setAttribute("aria-pressed", on ? "true" : "false");
    sound.textContent = on ? "♪ " + t("sound_on") : t("sound_off");
  }
  sound.addEventListener("click", function () {
    var on = sound.getAttribute("aria-pressed") === "true";
    if (on) { localStorage.setItem("mw-sound", "off"); } else {
      localStorage.setItem("mw-sound", "on");
      MW.soundReady = MW.unlockSound();
      MW.beep();
    }
    showSound();
  });

  var reload = null;
  document.addEventListener("mw:event", function (e) {
    if (e.detail.name.indexOf("alert.") !== 0) return;
    clearTimeout(reload);
    reload = setTimeout(load, 250);
  });
  document.addEventListener("mw:live-open", function () { load(); });

  load();
  setInterval(tick, 1000);
  setInterval(load, MW.has("stream") ? 60000 : 10000);
  MW.startLive();
})();
