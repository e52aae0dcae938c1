"""Layout in a real browser: the menu on one line at 1280 px, its drop-down groups, the
high-contrast switch, and every page a guard uses on a phone (390×844) without sideways
scrolling. Same server and Chromium as test_browser.py."""

from __future__ import annotations

from typing import Any

import pytest

from minewatch.web.tests import test_browser as shared

pytestmark = pytest.mark.browser

server = shared.server
browser = shared.browser
PHONE_390 = {"width": 390, "height": 844}
WIDE_1280 = {"width": 1280, "height": 800}


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("username", ["a-admin", "a-security_manager", "a-operator", "a-liaison"])
def test_the_menu_fits_one_line_at_1280(browser: Any, server: str, username: str) -> None:
    page = shared.open_page(browser, WIDE_1280)
    shared.log_in(page, server, username)
    page.goto(f"{server}/incidents/")
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] < 60, f"the top bar wraps: {bar}"
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('.topbar > *')).map(e => e.getBoundingClientRect().top)"
    )
    assert max(tops) - min(tops) < 12, tops  # brand, menu, clock, language, user: one row
    assert overflow(page) <= 0
    assert page.errors == []


def test_menu_groups_open_one_at_a_time_and_close_with_escape(browser: Any, server: str) -> None:
    page = shared.open_page(browser, WIDE_1280)
    shared.log_in(page, server, "a-security_manager")
    groups = page.locator(".navgroup")
    groups.nth(0).locator("summary").click()
    shared.expect(groups.nth(0).locator(".navmenu a").first).to_be_visible()
    groups.nth(1).locator("summary").click()
    assert (
        page.evaluate(
            "Array.from(document.querySelectorAll('.navgroup')).filter(g => g.open).length"
        )
        == 1
    )
    page.keyboard.press("Escape")
    assert (
        page.evaluate(
            "Array.from(document.querySelectorAll('.navgroup')).filter(g => g.open).length"
        )
        == 0
    )
    # the setup group leads to the setup pages
    page.locator(".navgroup", has_text="Configuración").locator("summary").click()
    page.locator(".navmenu a[href='/setup/']").click()
    shared.expect(page.locator("h1")).to_have_text("Configuración")


def test_high_contrast_switch_is_kept_across_pages(browser: Any, server: str) -> None:
    page = shared.open_page(browser, WIDE_1280)
    shared.log_in(page, server, "a-operator")
    page.goto(f"{server}/incidents/")
    background = "getComputedStyle(document.body).backgroundColor"
    normal = page.evaluate(background)
    page.locator(".contrast-form button").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.className") == "contrast-high"
    assert page.evaluate(background) == "rgb(0, 0, 0)" != normal
    page.goto(f"{server}/map/")
    assert page.evaluate("document.documentElement.className") == "contrast-high"


GUARD_PAGES = ["/incidents/field/", "/incidents/", "/accountability/use-of-force/",
               "/accountability/use-of-force/new/", "/people/gate/"]  # fmt: skip


def test_every_guard_page_fits_a_phone(browser: Any, server: str) -> None:
    page = shared.open_page(browser, PHONE_390, is_mobile=True, has_touch=True)
    shared.log_in(page, server, "a-guard")
    visited = list(GUARD_PAGES)
    page.goto(f"{server}/incidents/")
    first = page.locator("table tbody tr a, .incident-list a[href^='/incidents/']").first
    if first.count():
        visited.append(first.get_attribute("href"))
    for path in visited:
        page.goto(f"{server}{path}")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(path), f"{path} sent the guard to {page.url}"
        assert overflow(page) <= 0, f"{path} scrolls sideways on a 390 px phone"
        # every link and button of the menu can be reached on screen
        for box in page.locator(".mainnav a").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"
        ):
            assert box <= 390, f"{path}: a menu entry is off screen"
    assert page.errors == []
