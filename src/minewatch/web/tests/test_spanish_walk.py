"""Walk every page as every role in Spanish: no string left in English, no raw code shown.

The walk starts at each role's home and the pages of the menu, follows the links it finds
(at most two pages per URL name, so one list and one detail of each kind), and reads what
a person sees: text, and the title, aria-label, placeholder and alt attributes. It fails on

* a text that is an English message of the catalogue with a Spanish translation (the
  Spanish catalogue's msgids: so a page that forgot ``{% translate %}`` or a label built
  from a code is caught), and
* a raw code: a snake_case identifier (``security_manager``, ``under_investigation``).
"""

from __future__ import annotations

import gettext
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

import minewatch
from minewatch.testing.world import PASSWORD

# Page text does not depend on the database engine: the PostgreSQL pass skips this walk.
pytestmark = [pytest.mark.django_db, pytest.mark.any_database]

CATALOGUE = Path(minewatch.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.mo"
SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
SKIP_PREFIXES = ("/api/", "/admin/", "/i18n/", "/metrics", "/accounts/logout", "/static/",
                 "/media/", "/contrast/")  # fmt: skip
# Pages that answer with something other than a page (files, JSON, streams).
NOT_PAGES = re.compile(
    r"\.(json|geojson|csv|pdf|jpg|jpeg|png|zip|gpx|kml|txt)$|/export|/download|/photo/|/snapshot"
)
# Words that are the same in both languages or names, though the catalogue has them.
SAME_IN_BOTH = {"MineWatch", "API", "Total", "Error", "No", "Sí", "OK"}
ROLES = ("admin", "security_manager", "analyst", "operator", "guard", "liaison", "auditor",
         "psc-operator")  # fmt: skip
MAX_PER_NAME = 2
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}  # fmt: skip


def english_messages() -> set[str]:
    """The English msgids of the compiled Spanish catalogue whose translation differs."""
    with CATALOGUE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    english = set()
    for key, translated in catalogue.items():
        if isinstance(key, tuple) or not key or "\x04" in key:
            continue  # plural forms and messages with a context
        text = key.strip()
        if (translated.strip() != text and "%(" not in text and "{" not in text
                and text not in SAME_IN_BOTH and re.search(r"[A-Za-z]{3}", text)):  # fmt: skip
            english.add(text)
    return english


class Reader(HTMLParser):
    """What a person reads on a page, and the links it offers."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        # Elements marked translate="no" (HTML's own attribute: names, recorded text such as
        # the audit log's object descriptions) are not checked; the stack finds their end.
        self._open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in VOID_TAGS:
            verbatim = values.get("translate") == "no"
            self._open.append((tag, verbatim))
            if verbatim:
                self._skip += 1
        if tag in ("script", "style", "template", "noscript"):
            self._skip += 1
        if values.get("hidden") is not None and tag not in ("input",):
            pass  # hidden now, shown by a script later: still read
        for name in ("title", "aria-label", "placeholder", "alt"):
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "noscript") and self._skip:
            self._skip -= 1
        if any(name == tag for name, _verbatim in self._open):
            while self._open:
                name, verbatim = self._open.pop()
                if verbatim and self._skip:
                    self._skip -= 1
                if name == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data)


def problems_on(html: str, english: set[str]) -> tuple[list[str], list[str]]:
    reader = Reader()
    reader.feed(html)
    found = []
    for raw in reader.texts:
        text = " ".join(raw.split()).strip(" :·,.*()←→—")
        if text in english:
            found.append(f"English: {text!r}")
        for code in SNAKE.findall(raw):
            found.append(f"raw code: {code!r} in {' '.join(raw.split())[:80]!r}")
    return found, reader.links


def page_name(path: str) -> str | None:
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    # one kind of record per slug (/setup/<slug>/…): each is its own page
    return f"{match.view_name}:{match.kwargs.get('slug', '')}"


def walk(client: Client, starts: list[str], english: set[str]) -> tuple[dict[str, list[str]], int]:
    """Problems by page, and how many pages were read."""
    seen_paths: set[str] = set()
    per_name: dict[str, int] = {}
    queue = deque(starts)
    report: dict[str, list[str]] = {}
    read = 0
    while queue:
        path = queue.popleft()
        path = path.split("#")[0]
        if not path.startswith("/") or path.startswith("//") or path in seen_paths:
            continue
        if path.startswith(SKIP_PREFIXES) or NOT_PAGES.search(path.split("?")[0]):
            continue
        name = page_name(path)
        if name is None or per_name.get(name, 0) >= MAX_PER_NAME:
            continue
        seen_paths.add(path)
        per_name[name] = per_name.get(name, 0) + 1
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        found, links = problems_on(response.content.decode(), english)
        if found:
            report[path] = sorted(set(found))
        read += 1
        queue.extend(link for link in links if "?" not in link)
    return report, read


MENU = ["/", "/map/", "/console/", "/convoys/", "/dashboard/", "/incidents/", "/incidents/field/",
        "/intel/", "/people/", "/risk/", "/inventory/", "/accountability/grievances/",
        "/accountability/use-of-force/", "/accountability/contractors/",
        "/accountability/agreements/", "/setup/", "/community/", "/reclamos/"]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_spanish_as_each_role(world: Any, role: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    assert client.login(username=world.users[role].username, password=PASSWORD)
    report, read = walk(client, MENU, english_messages())
    assert read >= (5 if role == "guard" else 15), f"only {read} pages read"
    lines = [f"{path}: {problem}" for path, found in report.items() for problem in found]
    assert not lines, f"{len(lines)} untranslated or raw strings:\n" + "\n".join(lines)


def test_the_walk_finds_an_english_string_and_a_raw_code() -> None:
    english = english_messages()
    assert "Alarm console" in english
    found, _links = problems_on("<p>Alarm console</p><td>security_manager</td>", english)
    assert len(found) == 2
    clean, _links = problems_on(
        "<p>Consola de alarmas</p><a href='mailto:a_b@x.pe'>a_b@x.pe</a>", english
    )
    assert clean == []
