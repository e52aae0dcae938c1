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
    "setup_django(); run_migrations()\n"
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
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}; apt-get install chromium")
    data_dir = Path(tempfile.mkdtemp(prefix="minewatch-browser-"))
    env = {
        **os.environ, "MINEWATCH_DATA_DIR": str(data_dir), "MINEWATCH_TESTING": "1",
        "MINEWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'browser.sqlite3'}",
        "MINEWATCH_LANGUAGE": "es", "MINEWATCH_DEBUG": "false",
    }  # fmt: skip
    subprocess.run([sys.executable, "-c", SETUP_WORLD], env=env, check=True, timeout=180)
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
    assert page.locator(".mw-site-icon").count() == 2
    assert page.locator(".mw-threat-icon").count() == 2
    page.locator(".mw-site-icon").first.focus()  # markers are keyboard-operable
    page.keyboard.press("Enter")
    assert page.locator("#map-card h2").inner_text() in {"Pataz", "Las Bambas"}
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


def test_live_alert_arrives_without_reload_and_is_acknowledged(browser: Any, server: str) -> None:
    operator = open_page(browser, DESKTOP)
    log_in(operator, server, "a-operator")
    operator.goto(f"{server}/console/")
    if "alerts" not in (operator.locator("body").get_attribute("data-features") or ""):
        operator.context.close()
        pytest.skip("the alerts app is not installed: no console to test")
    operator.wait_for_selector("#live-status[data-state=ok]")
    # Count only once the console has drawn its first list: before that the counts are 0,
    # and an alert in the first list is not "new" (no banner). A condition, not a sleep.
    operator.wait_for_selector("#alert-list[data-loads]")
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
    # Oldest first within a severity: the panic is the last open critical alert.
    item = operator.locator(".alert-item.rank-5.status-open").last
    item.focus()
    operator.keyboard.press("a")
    expect(acknowledged).to_have_count(acknowledged_before + 1)
    assert operator.evaluate("window.notReloaded") is True
    assert operator.errors == [] and guard.errors == []
    guard.context.close()
    operator.context.close()


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
    plan = ConvoyPlan(trip["reference"], ["ESC-A", "TRK-A"], [tuple(p[:2]) for p in
                      line["coordinates"]], speed_kmh=120.0, distance_m=1000.0)  # fmt: skip
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
