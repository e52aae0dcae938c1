"""Capture the screenshots in docs/screenshots/ from a running demo.

    minewatch demo                      # in one terminal (serves http://127.0.0.1:8000/)
    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000]

Drives Debian's Chromium with Playwright, logs in as the demo users, raises two
alerts through the API (a manual one and a guard's panic) so the console has
something to show, and writes one PNG per main screen at 1366×768 (with the convoys
screen and a finished demo trip's page when the tracking app is installed), the incident
form, the setup pages and the liaison's home (the phone screens at 360 and 390 px wide).
PNGs are re-saved with a 256-colour palette when Pillow is installed, to keep them small. It changes the demo database: run it on a demo, never
on real data.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
    "--lang=es-PE",  # the browser's own widgets (date and time inputs) in Peru's 24-hour style
]  # fmt: skip
PASSWORD = "minewatch-demo"  # noqa: S105 - the documented, printed demo password
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
LAS_BAMBAS = {"latitude": -14.07, "longitude": -72.31, "accuracy": 12}


def new_page(
    browser: Any, url: str, user: str, phone: bool = False, lang: str = "es-PE", width: int = 360
) -> Any:
    viewport = {"width": width, "height": 780 if width == 360 else 844} if phone else {
        "width": 1366, "height": 768}  # fmt: skip
    context = browser.new_context(viewport=viewport, locale=lang, geolocation=LAS_BAMBAS,
                                  permissions=["geolocation"], is_mobile=phone)  # fmt: skip
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def post(page: Any, address: str, data: dict[str, Any]) -> Any:
    """POST JSON with the page's session and CSRF token."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(address, data=data, headers={"X-CSRFToken": token})


def shoot(page: Any, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(900)
    page.screenshot(path=str(OUT / name), full_page=full_page)
    shrink(OUT / name)
    print("wrote", OUT / name)


def capture(url: str, browser: Any) -> None:
    operator = new_page(browser, url, "operator")
    operator.wait_for_selector("#map[data-loaded=true]")
    operator.wait_for_selector("#map[data-basemap]")  # the offline basemap (docs/map.md)
    shoot(operator, "map.png")
    operator.evaluate("window.MWOpsMap.map.setView([-15.3, -71.9], 8)")
    shoot(operator, "map-southern-corridor.png")
    if operator.locator("input[data-layer=forecast]:not([disabled])").count():
        operator.uncheck("input[data-layer=incidents]")
        operator.check("input[data-layer=forecast]")
        operator.wait_for_selector("#map[data-forecast=loaded]")
        operator.evaluate("window.MWOpsMap.map.setView([-14.1, -72.25], 10)")
        shoot(operator, "map-forecast.png")
        operator.uncheck("input[data-layer=forecast]")
        operator.check("input[data-layer=incidents]")

    guard = new_page(browser, url, "guard", phone=True)
    shoot(guard, "field-report-phone.png", full_page=True)
    if "panic" in (guard.locator("body").get_attribute("data-features") or ""):
        post(operator, f"{url}/api/v1/alerts/", {
            "title": "Camión detenido fuera de parada autorizada (Velille)", "severity": 4,
            "kind": "unscheduled_stop", "lat": -14.51, "lon": -71.88, "place": "Velille, Cusco",
        })  # fmt: skip
        guard.on("dialog", lambda dialog: dialog.accept())
        guard.click("#panic-button")
        guard.wait_for_selector("#panic-button.sent")
    operator.goto(f"{url}/console/")
    operator.wait_for_selector(".alert-item, .notice")
    shoot(operator, "console.png")
    operator.goto(f"{url}/incidents/")
    shoot(operator, "incidents.png")
    operator.click("table tbody tr:first-child a")
    shoot(operator, "incident-detail.png")
    operator.goto(f"{url}/dashboard/")
    shoot(operator, "dashboard.png")
    if "trips" in (operator.locator("body").get_attribute("data-features") or ""):
        capture_convoys(url, operator)
    operator.goto(f"{url}/incidents/new/")
    shoot(operator, "incident-form.png", full_page=True)
    capture_setup(url, browser)
    english = new_page(browser, url, "manager", lang="en-GB")
    english.select_option("#language-select", "en")
    english.wait_for_selector("#map[data-loaded=true]")
    shoot(english, "map-english.png")
    english.select_option("#language-select", "es")


def capture_setup(url: str, browser: Any) -> None:
    """The setup pages (users as the administrator, alerting as the security manager),
    the liaison's community home and a guard's pages on a phone (390 px)."""
    admin = new_page(browser, url, "admin")
    admin.goto(f"{url}/setup/")
    shoot(admin, "setup.png")
    admin.goto(f"{url}/setup/users/")
    shoot(admin, "setup-users.png", full_page=True)
    manager = new_page(browser, url, "manager")
    for slug in ("alert-rules", "escalation-policies", "channels", "sites"):
        manager.goto(f"{url}/setup/{slug}/")
        first = manager.locator("table tbody tr:first-child a")
        if first.count():
            first.first.click()
            manager.wait_for_load_state("networkidle")
        shoot(manager, f"setup-{slug}.png", full_page=True)
    manager.goto(f"{url}/map/")
    manager.click(".navgroup summary")
    shoot(manager, "menu-open.png")
    liaison = new_page(browser, url, "liaison")
    liaison.goto(f"{url}/community/")
    shoot(liaison, "liaison-home.png")
    guard = new_page(browser, url, "guard", phone=True, width=390)
    guard.goto(f"{url}/incidents/")
    shoot(guard, "guard-reports-phone.png", full_page=True)


def shrink(path: Path) -> None:
    """Re-save a screenshot with a 256-colour palette (a third of the size, same look)."""
    try:
        from PIL import Image
    except ImportError:  # Pillow is optional: keep the full-colour PNG
        return
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )


def capture_convoys(url: str, operator: Any) -> None:
    """The convoys en route, and the page of a finished demo trip (track and detections)."""
    operator.goto(f"{url}/convoys/")
    operator.wait_for_selector(
        "#trip-rows tr[data-trip] .det-timeline, #trip-rows tr[data-trip] .help"
    )
    shoot(operator, "convoys.png", full_page=True)
    finished = operator.request.get(f"{url}/api/v1/trips/?status=arrived&ordering=reference").json()
    trips = sorted(finished["results"], key=lambda trip: trip["reference"])
    if trips:
        operator.goto(f"{url}/convoys/{trips[0]['id']}/")
        operator.wait_for_selector("#trip[data-loaded=true]")
        shoot(operator, "trip-detail.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            capture(args.url.rstrip("/"), browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
