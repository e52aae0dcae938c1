"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

The server is the real one (``minewatch serve``: uvicorn, ASGI, so the live stream
works) in a subprocess, on a throw-away SQLite file holding the test world. Skipped
when Chromium or Playwright is missing, unless MINEWATCH_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minewatch.core import crypto
from minewatch.testing.plugin import port_open, services_required
from minewatch.testing.world import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MINEWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
# Inside the Pataz concession of the test world (site a1).
PATAZ = {"latitude": -7.74, "longitude": -77.52, "accuracy": 15}
SETUP_WORLD = (
    "from minewatch.cli.base import setup_django, run_migrations\n"
    "setup_django(migrated=False); run_migrations()\n"
    "from minewatch.testing.world import build_world\n"
    "build_world()\n"
)


def skip_or_fail(message: str) -> None:
    if services_required():
        pytest.fail(message + " (MINEWATCH_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``minewatch serve`` on a free port over a fresh database with the test world."""
    yield from serve(SETUP_WORLD)


def server_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ, "MINEWATCH_DATA_DIR": str(data_dir), "MINEWATCH_TESTING": "1",
        "MINEWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'browser.sqlite3'}",
        "MINEWATCH_LANGUAGE": "es", "MINEWATCH_DEBUG": "false",
    }  # fmt: skip


_MIGRATED: list[Path] = []


def migrated_database() -> Path:
    """An empty, migrated SQLite file, made once per test process: each server starts from
    a copy (its setup's own ``run_migrations()`` then finds nothing to do)."""
    if not _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="minewatch-browser-template-"))
        migrate = "from minewatch.cli.base import setup_django, run_migrations\n" \
                  "setup_django(migrated=False); run_migrations()\n"  # fmt: skip
        subprocess.run([sys.executable, "-c", migrate], env=server_env(folder), check=True,
                       timeout=300)  # fmt: skip
        _MIGRATED.append(folder / "browser.sqlite3")
    return _MIGRATED[0]


def serve(setup: str) -> Iterator[str]:
    """Run ``setup`` (Python) on a fresh database, then serve it; yields the base URL."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}; apt-get install chromium")
    data_dir = Path(tempfile.mkdtemp(prefix="minewatch-browser-"))
    env = server_env(data_dir)
    template = migrated_database()
    shutil.copyfile(template, data_dir / "browser.sqlite3")
    for key in (crypto.FERNET_KEY_FILE, crypto.HMAC_KEY_FILE):  # made by the migration
        shutil.copy2(template.with_name(key), data_dir / key)
    subprocess.run([sys.executable, "-c", setup], env=env, check=True, timeout=180)
    port = free_port()
    command = [str(Path(sys.executable).with_name("minewatch")), "serve", "--port", str(port),
               "--no-migrate"]  # fmt: skip
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + (data_dir / "server.log").read_text())
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    options.setdefault("locale", "es-PE")
    context = browser.new_context(viewport=viewport, geolocation=PATAZ,
                                  permissions=["geolocation"], **options)  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def log_in(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_operator_logs_in_and_sees_the_company_sites_on_the_map(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    assert page.url == f"{server}/map/"
    page.wait_for_selector("#map[data-loaded=true]")
    # company A's two mines, and the port and explosives magazine of its concentrate chain
    assert page.locator(".mw-site-icon").count() == 4
    assert page.locator(".mw-threat-icon").count() == 2
    page.locator(".mw-site-icon").first.focus()  # markers are keyboard-operable
    page.keyboard.press("Enter")
    assert page.locator("#map-card h2").inner_text() in {
        "Pataz",
        "Las Bambas",
        "Puerto a",
        "Polvorín a",
    }
    assert page.errors == []
    page.context.close()


def test_the_risk_forecast_layer_draws_the_top_of_the_area_on_demand(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.wait_for_selector("#map[data-loaded=true]")
    assert page.locator("path.mw-forecast").count() == 0  # a model, off until asked for
    page.check("input[data-layer=forecast]")
    page.wait_for_selector("#map[data-forecast=loaded]")
    hexes = page.locator("path.mw-forecast")
    assert hexes.count() > 0
    assert page.locator("path.mw-forecast-5").count() > 0  # the top 5 % band is drawn
    assert page.locator('[data-count="forecast"]').inner_text() == f"({hexes.count()})"
    hexes.first.dispatch_event("click")
    assert page.locator("#map-card h2").inner_text() == "Celda del pronóstico"
    assert "Incidentes esperados, próximos 7 días" in page.locator("#map-card").inner_text()
    page.uncheck("input[data-layer=forecast]")
    assert page.locator("path.mw-forecast").count() == 0
    assert page.errors == []
    page.context.close()


def test_guard_reports_an_incident_from_the_phone_form(browser: Any, server: str) -> None:
    page = open_page(browser, PHONE, is_mobile=True, has_touch=True)
    log_in(page, server, "a-guard")
    assert page.url == f"{server}/incidents/field/"
    page.locator("label[for=id_threat_2]").click()  # illegal mining, by its icon
    page.select_option("#id_incident_type", "concession_invasion")
    expect(page.locator("#id_lat")).not_to_have_value("")  # filled from the phone's GPS
    page.fill("#id_assailants", "15")
    page.check("input[name=weapons][value=firearm]")
    page.fill("#id_narrative", "Invasores abren socavón")
    page.click("button.submit-big")
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    assert "Invasión de concesión" in page.locator("h1").inner_text()
    assert page.locator(".messages li").count() == 1
    assert page.errors == []
    page.context.close()


def open_console(page: Any, server: str) -> None:
    page.goto(f"{server}/console/")
    if "alerts" not in (page.locator("body").get_attribute("data-features") or ""):
        page.context.close()
        pytest.skip("the alerts app is not installed: no console to test")
    page.wait_for_selector("#alert-list[data-loads]")


def test_live_alert_arrives_without_reload_and_is_acknowledged(browser: Any, server: str) -> None:
    operator = open_page(browser, DESKTOP)
    log_in(operator, server, "a-operator")
    requests: list[str] = []
    operator.on("request", lambda request: requests.append(request.url))
    open_console(operator, server)
    operator.wait_for_selector("#live-status[data-state=ok]")
    # One request for the whole queue: no per-alert fetch.
    assert [u for u in requests if "/api/v1/alerts/" in u] == []
    assert len([u for u in requests if u.endswith("/console/queue.json")]) == 1
    operator.evaluate("window.notReloaded = true")
    guard = open_page(browser, PHONE, is_mobile=True, has_touch=True)
    log_in(guard, server, "a-guard")
    guard.on("dialog", lambda dialog: dialog.accept())
    # The test world may already hold critical alerts (its trackers sent an SOS): wait for one more.
    critical = operator.locator(".alert-item.rank-5")
    acknowledged = operator.locator(".alert-item.rank-5.status-acknowledged")
    before, acknowledged_before = critical.count(), acknowledged.count()
    guard.click("#panic-button")
    expect(guard.locator("#panic-button")).to_have_class(re.compile("sent"))
    expect(critical).to_have_count(before + 1)
    expect(operator.locator("#critical-banner")).to_be_visible()
    expect(operator.locator("body")).to_have_attribute("data-alarm-played", re.compile(r"[1-9]"))
    # Oldest first within a severity: the panic is the last open critical alert.
    operator.locator(".alert-item.rank-5.status-open").last.click()
    operator.keyboard.press("a")
    expect(acknowledged).to_have_count(acknowledged_before + 1)
    assert operator.evaluate("window.notReloaded") is True
    assert operator.errors == [] and guard.errors == []
    guard.context.close()
    operator.context.close()


RAISE = """async (title) => {
  const alert = await MW.api("POST", "/api/v1/alerts/", {title: title, severity: 2,
    kind: "manual", lat: -7.74, lon: -77.52});
  return alert.id;
}"""


def test_queue_keyboard_flow_moves_acknowledges_and_resolves(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    open_console(page, server)
    first = page.evaluate(RAISE, "Teclado uno")
    second = page.evaluate(RAISE, "Teclado dos")
    expect(page.locator(f"#alert-{second}")).to_have_count(1)
    page.fill("#q-filters input[name=q]", "Teclado")  # the filter narrows the queue to these two
    expect(page.locator("tr.alert-item")).to_have_count(2)
    page.click("h1")  # out of the search box: keys go to the queue
    page.keyboard.press("j")  # the first row
    expect(page.locator(f"#alert-{first}")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(page.locator(f"#alert-{second}")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#q-pane .title")).to_have_text("Teclado dos")
    page.keyboard.press("k")
    expect(page.locator(f"#alert-{first}")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("a")
    expect(page.locator(f"#alert-{first}.status-acknowledged")).to_have_count(1)
    expect(page.locator("#q-notes")).to_contain_text("Abierta → Atendida")
    page.keyboard.press("r")
    expect(page.locator("#q-pane .resolve-form input")).to_be_focused()
    page.keyboard.type("Falsa alarma, ronda verificó")
    page.keyboard.press("Enter")
    expect(page.locator(f"#alert-{first}")).to_have_count(0)  # resolved: out of the queue
    # Sorting by age puts the newest first.
    page.click("button[data-sort=age]")
    expect(page.locator("tr.alert-item").first).to_have_attribute("id", f"alert-{second}")
    assert page.errors == []
    page.context.close()


RAISE_AND_ESCALATE = """async () => {
  const alert = await MW.api("POST", "/api/v1/alerts/", {title: "Escalada en consola",
    severity: 4, kind: "manual"});
  await MW.api("POST", "/api/v1/alerts/" + alert.id + "/escalate/", {note: ""});
  return alert.id;
}"""


def test_escalated_alert_can_be_acknowledged_in_the_console(browser: Any, server: str) -> None:
    """Acknowledging stops the ladder at any unresolved step, not only while ``open``."""
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    open_console(page, server)
    alert_id = page.evaluate(RAISE_AND_ESCALATE)
    item = page.locator(f"#alert-{alert_id}.status-escalated")
    expect(item).to_have_count(1)
    item.click()
    button = page.locator('#q-pane [data-action="ack"]')
    expect(button).to_be_enabled()
    expect(page.locator("#q-ladder li.done").first).to_be_visible()  # the steps fired so far
    button.click()
    expect(page.locator(f"#alert-{alert_id}.status-acknowledged")).to_have_count(1)
    expect(page.locator('#q-pane [data-action="ack"]')).to_be_disabled()
    expect(page.locator('#q-pane [data-action="resolve"]')).to_be_enabled()
    assert page.errors == []
    page.context.close()


def test_operator_chooses_the_incident_type_when_opening_an_incident(
    browser: Any, server: str
) -> None:
    """An alert that suggests no type asks for one; nothing defaults to an internal threat."""
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    open_console(page, server)
    alert_id = page.evaluate(
        """() => MW.api("POST", "/api/v1/alerts/", {title: "Ruido en el socavón", severity: 3,
             kind: "manual", lat: -7.74, lon: -77.52}).then(a => a.id)"""
    )
    item = page.locator(f"#alert-{alert_id}")
    expect(item).to_have_count(1)
    item.click()
    page.keyboard.press("i")
    form = page.locator("#q-pane .incident-form")
    expect(form).to_be_visible()
    expect(form.locator("select")).to_have_value("")
    form.locator("select").select_option("ore_theft")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    assert "Robo de mineral" in page.locator("main").inner_text()
    assert page.errors == []
    page.context.close()


OPEN_INVASION_CASE = """async () => {
  const alert = await MW.api("POST", "/api/v1/alerts/", {title: "Invasores en el tajo",
    severity: 4, kind: "manual", incident_type: "concession_invasion", lat: -7.74, lon: -77.52});
  const incident = await MW.api("POST", "/api/v1/alerts/" + alert.id + "/create-incident/", {});
  return incident.id;
}"""


def test_operator_ticks_a_protocol_step_on_the_incident_page(browser: Any, server: str) -> None:
    """The checklist is worked from the incident page: the tick shows who and when."""
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.goto(f"{server}/console/")
    if "protocols" not in (page.locator("body").get_attribute("data-features") or ""):
        page.context.close()
        pytest.skip("the alerts app is not installed: no protocols to tick")
    incident_id = page.evaluate(OPEN_INVASION_CASE)
    page.goto(f"{server}/incidents/{incident_id}/")
    step = page.locator("#checklists li.step[data-code=INV-04]")
    expect(step).to_have_class(re.compile(r"\bopen\b"))
    step.locator("input[name=note]").fill("Comisaría de Pataz, suboficial Quispe")
    step.locator("button[value=tick]").click()
    page.wait_for_load_state("networkidle")
    step = page.locator("#checklists li.step[data-code=INV-04]")
    expect(step).to_have_class(re.compile(r"\bdone\b"))
    expect(step.locator(".step-status")).to_contain_text("Hecho por a-operator")
    expect(step.locator(".step-note")).to_have_text("Comisaría de Pataz, suboficial Quispe")
    # The PNP step was ticked: the incident records when the police were told.
    assert "—" not in page.locator("dt:text('Policía avisada el') + dd").first.inner_text()
    step.locator("button[value=untick]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#checklists li.step[data-code=INV-04]")).to_have_class(
        re.compile(r"\bopen\b")
    )
    assert page.errors == []
    page.context.close()


OPEN_INVASION_ALERT = """async () => {
  const alert = await MW.api("POST", "/api/v1/alerts/", {title: "Invasores en la cancha",
    severity: 4, kind: "manual", incident_type: "concession_invasion", lat: -7.74, lon: -77.52});
  const incident = await MW.api("POST", "/api/v1/alerts/" + alert.id + "/create-incident/", {});
  return [alert.id, incident.id];
}"""


def test_ticking_a_step_in_the_queue_shows_in_the_incident_dossier(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    open_console(page, server)
    if "protocols" not in (page.locator("body").get_attribute("data-features") or ""):
        page.context.close()
        pytest.skip("the alerts app is not installed: no protocols to tick")
    alert_id, incident_id = page.evaluate(OPEN_INVASION_ALERT)
    page.locator(f"#alert-{alert_id}").click()
    step = page.locator("#q-checklists li.step[data-code=INV-04]")
    expect(step).to_have_class(re.compile(r"\bopen\b"))
    step.locator("input.q-tick").check()
    step = page.locator("#q-checklists li.step[data-code=INV-04]")
    expect(step).to_have_class(re.compile(r"\bdone\b"))
    expect(step.locator(".step-status")).to_contain_text("Hecho por a-operator")
    page.goto(f"{server}/incidents/{incident_id}/")
    dossier_step = page.locator("#checklists li.step[data-code=INV-04]")
    expect(dossier_step).to_have_class(re.compile(r"\bdone\b"))
    expect(dossier_step.locator(".step-status")).to_contain_text("Hecho por a-operator")
    assert page.errors == []
    page.context.close()


def wait_for_zoom(page: Any, zoom: int) -> None:
    """Poll the picker's zoom (the CSP forbids wait_for_function's eval)."""
    seen = None
    for _attempt in range(150):
        seen = page.evaluate("MWPicker.map.getZoom()")
        if seen == zoom:
            return
        page.wait_for_timeout(100)
    pytest.fail(f"the map never reached zoom {zoom} (it is at {seen})")


def test_a_click_at_national_zoom_is_recorded_as_region_precision(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.goto(f"{server}/incidents/new/")
    expect(page.locator("#id_incident_type")).to_have_value("")  # nothing preselected
    page.locator("[data-pick-map]").click()  # the map opens on all of Peru
    expect(page.locator("#id_lat")).not_to_have_value("")
    expect(page.locator("#id_location_precision")).to_have_value("region")
    # Placing the point zoomed the map in; then the operator zooms to a district.
    wait_for_zoom(page, 8)
    # A setView during the click's zoom animation is undone when the animation ends
    # (slow on a loaded machine): set the view until it holds.
    for _attempt in range(50):
        page.evaluate("MWPicker.map.setView([-7.74, -77.52], 10, {animate: false}) && null")
        page.wait_for_timeout(200)
        if page.evaluate("MWPicker.map.getZoom()") == 10:
            break
    wait_for_zoom(page, 10)
    page.locator("[data-pick-map]").click(position={"x": 220, "y": 130})  # beside the marker
    expect(page.locator("#id_location_precision")).to_have_value("district")
    assert page.errors == []
    page.context.close()


def test_the_picker_shows_the_basemap_and_own_sites_and_centres_on_the_chosen_site(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.goto(f"{server}/incidents/new/")
    picker = page.locator("[data-pick-map]")
    expect(picker).to_have_attribute("data-basemap", "bundled")
    options = page.locator("#id_site option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    expect(picker).to_have_attribute("data-sites", str(len(options)))
    page.select_option("#id_site", options[-1])
    centre = None
    for _attempt in range(100):
        centre = page.evaluate("[MWPicker.map.getCenter().lat, MWPicker.map.getCenter().lng]")
        if page.evaluate("MWPicker.map.getZoom()") >= 13:
            break
        page.wait_for_timeout(100)
    site = page.evaluate(
        "id => fetch('/api/v1/sites/' + id + '/').then(r => r.json())", options[-1]
    )
    assert abs(centre[0] - site["lat"]) < 0.01 and abs(centre[1] - site["lon"]) < 0.01, (
        centre, site["lat"], site["lon"])  # fmt: skip
    assert page.errors == []
    page.context.close()


def test_lost_stream_shows_the_reconnecting_banner(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.route("**/api/v1/stream/", lambda route: route.fulfill(status=503, body="down"))
    page.goto(f"{server}/map/")
    if not page.locator("body").get_attribute("data-stream-url"):
        page.context.close()
        pytest.skip("the live stream is not installed")
    page.wait_for_selector("#live-banner:not([hidden])")
    assert page.locator("#live-status").get_attribute("data-state") == "lost"
    page.context.close()


def test_language_switches_between_spanish_and_english(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-analyst")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator(".side-title").inner_text() == "Mapa de operaciones"
    page.select_option("#language-select", "en")
    page.wait_for_selector("html[lang=en]")
    assert page.locator(".side-title").inner_text() == "Operations map"
    page.context.close()


MARKER_OF_PLATE = """plate => {
  let found = null;
  window.MWOpsMap.layers.convoys.eachLayer(m => {
    if ((m.options.title || '').startsWith(plate + ' ')) found = m.getLatLng();
  });
  return found && [found.lat, found.lng];
}"""


def test_convoy_marker_moves_on_the_map_without_reload(browser: Any, server: str) -> None:
    """The demo's convoy simulator drives the test world's trip over the real OsmAnd endpoint."""
    from minewatch.tracking.simulator import ConvoyPlan, ConvoySimulator

    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    if "trips" not in (page.locator("body").get_attribute("data-features") or ""):
        page.context.close()
        pytest.skip("the tracking app is not installed: no convoys to move")
    trip = page.request.get(f"{server}/api/v1/trips/?status=en_route").json()["results"][0]
    routes = page.request.get(f"{server}/map/layers.json?days=1").json()["routes"]["features"]
    line = next(f for f in routes if f["properties"]["id"] == trip["route"])["geometry"]
    from minewatch.tracking.testing import TEST_SECRET

    plan = ConvoyPlan(trip["reference"], ["ESC-A", "TRK-A"], [tuple(p[:2]) for p in
                      line["coordinates"]], speed_kmh=120.0, distance_m=1000.0,
                      secrets={"ESC-A": TEST_SECRET, "TRK-A": TEST_SECRET})  # fmt: skip
    page.wait_for_selector("#live-status[data-state=ok]")
    page.wait_for_selector(".mw-vehicle-icon")
    page.evaluate("window.notReloaded = true")
    before = page.evaluate(MARKER_OF_PLATE, "A1-100")
    assert before is not None
    simulator = ConvoySimulator(server, [plan], interval_s=1.0)
    simulator.start()
    try:
        page.wait_for_function(
            f"(before) => {{ const now = ({MARKER_OF_PLATE})('A1-100');"
            " return now && (now[0] !== before[0] || now[1] !== before[1]); }",
            arg=before, timeout=20_000,
        )  # fmt: skip
    finally:
        simulator.stop()
    assert page.evaluate("window.notReloaded") is True
    assert simulator.sent > 0 and simulator.failed == 0
    title = page.locator(".mw-vehicle-icon.state-ok").first.get_attribute("title") or ""
    assert trip["reference"] in title
    assert page.errors == []
    page.context.close()


def test_trip_page_warns_about_a_tracker_that_sends_without_a_secret(
    browser: Any, server: str
) -> None:
    """Issue #12 item 2: a legacy tracker (secret opt-out) is shown as a warning."""
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-security_manager")
    devices = page.request.get(f"{server}/api/v1/devices/?page_size=100").json()["results"]
    escort = next(d for d in devices if d["unique_id"] == "ESC-A")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": csrf, "Referer": server + "/"}
    url = f"{server}/api/v1/devices/{escort['id']}/"
    assert page.request.patch(url, data={"accepts_unauthenticated": True},
                              headers=headers).status == 200  # fmt: skip
    try:
        trip = page.request.get(f"{server}/api/v1/trips/?status=en_route").json()["results"][0]
        page.goto(f"{server}/convoys/{trip['id']}/")
        warning = page.locator("#trip-device-warnings")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("ESC-A")
        expect(page.locator("#trip-device-warnings li")).to_have_count(1)  # TRK-A has its secret
    finally:
        page.request.patch(url, data={"accepts_unauthenticated": False}, headers=headers)
        page.context.close()
