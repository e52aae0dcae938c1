"""The operations map in a real browser (issue #14): where it opens, the offline basemap
(bundled layers, then an organisation's PMTiles file), escaped hover cards, and drawing.

Same harness as test_browser.py: ``minewatch serve`` over a fresh SQLite database with
the test world, driven by Debian's Chromium through Playwright.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minewatch.web.tests.test_browser import DESKTOP, browser, expect, log_in, open_page, serve

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with test_browser.py

pytestmark = pytest.mark.browser

XSS_NAME = '<img src=x onerror="window.__xss=1">'
CONTRACTOR_SITES = (("Mina Norte", -15.60, -71.95), ("Mina Sur", -15.90, -71.80),
                    ("Planta Chivay", -15.70, -71.60))  # fmt: skip
SETUP_MAP_WORLD = f"""
from minewatch.cli.base import setup_django, run_migrations
setup_django(migrated=False); run_migrations()
from minewatch.testing.world import build_world, PASSWORD
from minewatch.core import services as core_services
from minewatch.core.choices import OrganisationKind, Role
from minewatch.geo import services as geo_services
w = build_world()
manager = w.users[Role.SECURITY_MANAGER]
psc3 = core_services.create_organisation(actor=None, name="Org psc3",
    kind=OrganisationKind.SECURITY_CONTRACTOR)
core_services.create_user(actor=None, username="psc3-operator", password=PASSWORD,
    organisation=psc3, role=Role.OPERATOR)
for name, lat, lon in {CONTRACTOR_SITES!r}:
    site = geo_services.save_site(actor=manager, organisation=w.orgs["a"], name=name,
        kind="mine", lat=lat, lon=lon)
    geo_services.assign_contractor(actor=manager, site=site, contractor=psc3)
geo_services.save_zone(actor=manager, organisation=w.orgs["a"], name={XSS_NAME!r},
    kind="high_risk", site=w.sites["a1"], center_lat=-7.70, center_lon=-77.50, radius_m=3000)
"""


@pytest.fixture(scope="module")
def basemap_file() -> Iterator[Path]:
    """Where the server looks for the PMTiles basemap (absent until a test writes it)."""
    folder = Path(tempfile.mkdtemp(prefix="minewatch-basemap-"))
    path = folder / "peru.pmtiles"
    before = os.environ.get("MINEWATCH_BASEMAP_PMTILES")
    os.environ["MINEWATCH_BASEMAP_PMTILES"] = str(path)
    yield path
    if before is None:
        os.environ.pop("MINEWATCH_BASEMAP_PMTILES", None)
    else:
        os.environ["MINEWATCH_BASEMAP_PMTILES"] = before
    path.unlink(missing_ok=True)
    folder.rmdir()


@pytest.fixture(scope="module")
def server(basemap_file: Path) -> Iterator[str]:
    yield from serve(SETUP_MAP_WORLD)


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def write_pmtiles(path: Path, max_zoom: int = 6) -> int:
    """A small vector PMTiles archive over Peru: each tile is half water, half land.

    Layers follow the Protomaps basemap schema (``earth``, ``water``) that
    protomaps-leaflet's flavours paint. Returns the number of tiles written.
    """
    import mapbox_vector_tile
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    extent = 4096
    land = {"geometry": f"POLYGON(({extent // 2} 0, {extent} 0, {extent} {extent}, {extent // 2} {extent}, {extent // 2} 0))",
            "properties": {"kind": "earth"}}  # fmt: skip
    water = {"geometry": f"POLYGON((0 0, {extent // 2} 0, {extent // 2} {extent}, 0 {extent}, 0 0))",
             "properties": {"kind": "ocean"}}  # fmt: skip
    data = mapbox_vector_tile.encode(
        [{"name": "earth", "features": [land]}, {"name": "water", "features": [water]}],
        default_options={"extents": extent},
    )
    tiles = {}
    for zoom in range(max_zoom + 1):
        x0, y0 = tile_of(-0.03, -81.4, zoom)
        x1, y1 = tile_of(-18.4, -68.6, zoom)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                tiles[zxy_to_tileid(zoom, x, y)] = data
    with path.open("wb") as handle:
        writer = Writer(handle)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        writer.finalize(
            {"tile_type": TileType.MVT, "tile_compression": Compression.NONE,
             "min_zoom": 0, "max_zoom": max_zoom, "min_lon_e7": -814000000,
             "min_lat_e7": -184000000, "max_lon_e7": -686000000, "max_lat_e7": -3000000,
             "center_zoom": 5, "center_lon_e7": -750000000, "center_lat_e7": -95000000},
            {"vector_layers": [{"id": "earth", "fields": {}}, {"id": "water", "fields": {}}]},
        )  # fmt: skip
    return len(tiles)


MAP_BOUNDS = """() => { const b = window.MWOpsMap.map.getBounds();
  return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"""


def test_map_opens_on_the_contractors_three_sites(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "psc3-operator")
    page.wait_for_selector("#map[data-loaded=true]")
    expect(page.locator(".mw-site-icon")).to_have_count(3)
    south, west, north, east = page.evaluate(MAP_BOUNDS)
    for name, lat, lon in CONTRACTOR_SITES:
        assert south < lat < north and west < lon < east, name
    # The extent of its three sites, not all of Peru (≈ 18° by 13°).
    assert north - south < 3 and east - west < 3
    # The last view is remembered for this user: after panning away, a reload comes back there.
    page.evaluate("window.MWOpsMap.map.setView([-12.05, -77.04], 9, {animate: false})")
    page.reload()
    page.wait_for_selector("#map[data-loaded=true]")
    centre = page.evaluate(
        "(() => { const c = window.MWOpsMap.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    assert abs(centre[0] + 12.05) < 0.01 and abs(centre[1] + 77.04) < 0.01
    assert page.evaluate("window.MWOpsMap.map.getZoom()") == 9
    assert page.errors == []
    page.context.close()


def test_without_a_pmtiles_file_the_bundled_layers_are_drawn(
    browser: Any, server: str, basemap_file: Path
) -> None:
    assert not basemap_file.exists()
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.wait_for_selector("#map[data-basemap=bundled]")
    assert page.locator("path.mw-base-province").count() > 100  # provinces, not only regions
    assert page.locator("path.mw-base-river").count() > 5
    assert page.locator("path.mw-base-lake").count() >= 1  # Titicaca
    labels = page.locator(".mw-place-label").all_inner_texts()
    assert "Lima" in labels and "Arequipa" in labels
    assert page.errors == []
    page.context.close()


PAINTED_COLOURS = """() => {
  const colours = new Set();
  document.querySelectorAll('#map canvas').forEach(canvas => {
    if (!canvas.width || !canvas.height) return;
    const context = canvas.getContext('2d');
    const step = Math.max(1, Math.floor(canvas.width / 16));
    for (let x = 0; x < canvas.width; x += step) {
      for (let y = 0; y < canvas.height; y += step) {
        const p = context.getImageData(x, y, 1, 1).data;
        if (p[3] > 0) colours.add(p[0] + ',' + p[1] + ',' + p[2]);
      }
    }
  });
  return colours.size;
}"""


def test_the_basemap_comes_from_the_organisations_pmtiles_file(
    browser: Any, server: str, basemap_file: Path
) -> None:
    assert write_pmtiles(basemap_file) > 10
    page = open_page(browser, DESKTOP)
    ranges: list[int] = []
    page.on(
        "response",
        lambda r: ranges.append(r.status) if r.url.endswith("/map/basemap.pmtiles") else None,
    )
    log_in(page, server, "a-operator")
    page.wait_for_selector("#map[data-basemap=pmtiles]")
    page.evaluate("window.MWOpsMap.map.setView([-9.5, -75.0], 5, {animate: false})")
    # protomaps-leaflet paints the tiles on canvases: land and water in different colours.
    page.wait_for_function(f"({PAINTED_COLOURS})() >= 2", timeout=20_000)
    assert ranges and all(status == 206 for status in ranges)  # byte ranges, not the file
    # Logged-out, the file is not served.
    anonymous = browser.new_context()
    response = anonymous.request.get(f"{server}/map/basemap.pmtiles", max_redirects=0)
    assert response.status == 302
    anonymous.close()
    assert page.errors == []
    page.context.close()


def test_hover_card_shows_a_hostile_zone_name_as_text(browser: Any, server: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.wait_for_selector("#map[data-loaded=true]")
    page.evaluate("window.MWOpsMap.map.setView([-7.70, -77.50], 12, {animate: false})")
    zone = None
    card = page.locator(".leaflet-tooltip .mw-hover-card strong")
    # The layers may still be redrawing after setView, and a tooltip opens a moment after
    # the pointer arrives: wait for each hover's card, and go over the paths again if the
    # zone's was not among them yet.
    for _attempt in range(3):
        for candidate in page.locator("path.leaflet-interactive").all():
            try:
                candidate.hover(force=True, timeout=2000)
                card.first.wait_for(timeout=1000)
            except PlaywrightTimeout:
                continue
            if card.first.inner_text() == XSS_NAME:
                zone = candidate
                break
        if zone is not None:
            break
        page.wait_for_timeout(500)
    assert zone is not None, "no hover card showed the zone's name as text"
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("window.__xss === undefined")
    assert page.errors == []
    page.context.close()


def click_map(page: Any, points: list[tuple[float, float]]) -> None:
    box = page.locator("#map").bounding_box()
    for fx, fy in points:
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def test_manager_draws_a_zone_and_it_is_saved(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-security_manager")
    page.wait_for_selector("#map[data-loaded=true]")
    page.evaluate("window.MWOpsMap.map.setView([-7.80, -77.45], 12, {animate: false})")
    page.click("[data-draw=zone]")
    square = [(0.45, 0.45), (0.6, 0.45), (0.6, 0.6), (0.45, 0.6)]
    click_map(page, [*square, square[0]])  # back to the first vertex closes the polygon
    expect(page.locator("#draw-panel")).to_have_attribute("data-state", "form")
    # The API's validation comes back into the form, in Spanish field names: no name.
    page.select_option("#draw-form select[name=zone_kind]", "high_risk")
    page.click("#draw-form button[type=submit]")
    expect(page.locator("#draw-errors li")).to_contain_text("Nombre")
    page.fill("#draw-form input[name=name]", "Bocamina ilegal Norte")
    page.select_option("#draw-form select[name=site]", label="Pataz")
    page.click("#draw-form button[type=submit]")
    expect(page.locator("#draw-status")).to_contain_text("Bocamina ilegal Norte")
    saved = page.locator("#draw-panel").get_attribute("data-saved") or ""
    assert saved.startswith("zones:")
    zone = page.request.get(f"{server}/api/v1/zones/{saved.split(':')[1]}/").json()
    assert zone["name"] == "Bocamina ilegal Norte" and zone["kind"] == "high_risk"
    assert zone["shape"] == "polygon" and zone["geometry"]["type"] == "Polygon"
    ring = zone["geometry"]["coordinates"][0]
    assert all(-8.0 < lat < -7.6 and -77.7 < lon < -77.2 for lon, lat in ring)
    assert page.errors == []
    page.context.close()


def test_drawing_tools_only_for_roles_that_may_change_sites(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-operator")
    page.wait_for_selector("#map[data-loaded=true]")
    assert page.locator("#draw-panel").count() == 0
    page.context.close()


def test_route_with_too_wide_a_corridor_is_refused_in_spanish_then_saved(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-security_manager")
    page.wait_for_selector("#map[data-loaded=true]")
    page.evaluate("window.MWOpsMap.map.setView([-7.80, -77.45], 11, {animate: false})")
    page.click("[data-draw=route]")
    click_map(
        page, [(0.3, 0.3), (0.5, 0.4), (0.6, 0.7), (0.6, 0.7)]
    )  # a last click twice ends the line
    expect(page.locator("#draw-panel")).to_have_attribute("data-state", "form")
    expect(page.locator("path.mw-route-buffer")).to_have_count(1)  # the corridor, to scale
    page.fill("#draw-form input[name=name]", "Pataz → Trujillo")
    page.fill("#draw-form input[name=buffer_m]", "900000")
    page.click("#draw-form button[type=submit]")
    expect(page.locator("#draw-errors li")).to_have_text(
        "Semiancho del corredor (m): el semiancho del corredor debe estar entre 1 y 50 000 m"
    )
    page.fill("#draw-form input[name=buffer_m]", "750")
    page.select_option("#draw-form select[name=origin]", label="Pataz")
    page.click("#draw-form button[type=submit]")
    expect(page.locator("#draw-status")).to_contain_text("Pataz → Trujillo")
    route_id = (page.locator("#draw-panel").get_attribute("data-saved") or "").split(":")[1]
    route = page.request.get(f"{server}/api/v1/routes/{route_id}/").json()
    assert route["buffer_m"] == 750 and len(route["geometry"]["coordinates"]) == 3
    assert route["origin"] is not None
    assert page.errors == []
    page.context.close()


def test_manager_edits_a_site_picked_on_the_map(browser: Any, server: str) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-security_manager")
    page.wait_for_selector("#map[data-loaded=true]")
    page.evaluate("window.MWOpsMap.map.setView([-15.75, -71.8], 9, {animate: false})")
    page.click("[data-draw=edit]")
    expect(page.locator("#draw-panel")).to_have_attribute("data-state", "picking")
    page.locator(".mw-site-icon[title='Mina Sur']").click()
    expect(page.locator("#draw-form input[name=name]")).to_have_value("Mina Sur")
    page.fill("#draw-form input[name=name]", "Mina Sur (tajo 2)")
    page.click("#draw-form button[type=submit]")
    expect(page.locator("#draw-status")).to_contain_text("Mina Sur (tajo 2)")
    site_id = (page.locator("#draw-panel").get_attribute("data-saved") or "").split(":")[1]
    site = page.request.get(f"{server}/api/v1/sites/{site_id}/").json()
    assert site["name"] == "Mina Sur (tajo 2)"
    assert (site["lat"], site["lon"]) == (-15.90, -71.80)  # not moved: only renamed
    expect(page.locator(".mw-site-icon[title='Mina Sur (tajo 2)']")).to_have_count(1)
    assert page.errors == []
    page.context.close()


def test_sidebar_fits_the_window_and_scrolls_to_the_end_of_the_legend(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-security_manager")  # the longest sidebar: it has the drawing panel
    page.wait_for_selector("#map[data-loaded=true]")
    viewport_height = DESKTOP["height"]
    assert page.evaluate("document.scrollingElement.scrollHeight") <= viewport_height
    side = page.locator(".ops-side")
    assert page.evaluate("(el) => el.scrollHeight > el.clientHeight", side.element_handle())
    page.locator("#feed-title").scroll_into_view_if_needed()
    box = page.locator("#feed-title").bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport_height
    legend_end = page.locator(".legend li").last.bounding_box()
    assert legend_end is not None and legend_end["y"] + legend_end["height"] <= viewport_height
    page.context.close()
