"""The offline basemap of the maps: an organisation's PMTiles file, or the bundled layers.

An organisation that wants a detailed basemap without internet drops a PMTiles
archive (the format Protomaps publishes; a Peru extract of its OpenStreetMap
basemap is a few hundred MB) at the path of the ``basemap_pmtiles`` tunable,
``<data dir>/basemap.pmtiles`` by default. MineWatch serves it to logged-in users
with HTTP range requests (the browser's protomaps-leaflet reads only the byte
ranges of the tiles in view). The file is looked for on every request, so it can be
added or replaced without a restart. Without it the maps draw the bundled open
layers of ``geo/data/basemap/`` (see the README there).

The basemap is tenant-agnostic reference data, but it is only for logged-in users:
it is not published to the internet from a MineWatch server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.urls import reverse
from django.views.decorators.http import require_http_methods

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "geo" / "data" / "basemap"
# Drawn bottom to top: areas, then lines, then points.
BUNDLED_LAYERS = ("provinces", "lakes", "rivers", "places")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
BUNDLED_MAX_AGE_S = 86_400


def pmtiles_path() -> Path | None:
    """The organisation's PMTiles file, or None when it is not installed."""
    configured = str(settings.TUNABLES.get("basemap_pmtiles") or "").strip()
    if not configured:
        return None
    path = Path(configured).expanduser()
    if not path.is_absolute():
        path = Path(settings.DATA_DIR) / path
    return path if path.is_file() else None


def describe() -> dict[str, Any]:
    """What the browser should draw: the PMTiles URL, or the bundled layers' URLs."""
    path = pmtiles_path()
    return {
        "pmtiles": reverse("map-basemap-pmtiles") if path else None,
        "layers": {
            name: reverse("map-basemap-layer", kwargs={"name": name}) for name in BUNDLED_LAYERS
        },
    }


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range of a ``Range: bytes=a-b`` header within ``size`` bytes.

    Returns None when the header is not a single byte range (the whole file is then
    sent); raises ValueError when the range lies outside the file (HTTP 416).

    >>> parse_range("bytes=0-99", 1000), parse_range("bytes=990-", 1000)
    ((0, 99), (990, 999))
    >>> parse_range("bytes=-10", 1000), parse_range("bytes=0-5000", 1000)
    ((990, 999), (0, 999))
    """
    match = RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ValueError(f"range {header!r} is outside the file of {size} bytes")
    return start, end


def etag_of(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


@login_required
@require_http_methods(["GET", "HEAD"])
def basemap_descriptor(request: HttpRequest) -> JsonResponse:
    """Which basemap the maps draw (``/map/basemap.json``)."""
    response = JsonResponse(describe())
    response["Cache-Control"] = "private, max-age=0"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def basemap_pmtiles(request: HttpRequest) -> HttpResponse:
    """The PMTiles archive, whole or one byte range (HTTP 206), for logged-in users."""
    path = pmtiles_path()
    if path is None:
        return HttpResponse(status=404)
    size, etag = path.stat().st_size, etag_of(path)
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    try:
        wanted = parse_range(request.headers.get("Range", ""), size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response: HttpResponse = FileResponse(
            path.open("rb"), content_type="application/vnd.pmtiles"
        )
    else:
        start, end = wanted
        with path.open("rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        response = HttpResponse(body, status=206, content_type="application/vnd.pmtiles")
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def basemap_layer(request: HttpRequest, name: str) -> HttpResponse:
    """One bundled basemap layer as GeoJSON (``/map/basemap/<name>.geojson``)."""
    if name not in BUNDLED_LAYERS:
        return HttpResponse(status=404)
    body = (BUNDLED_DIR / f"{name}.geojson").read_bytes()
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = f"private, max-age={BUNDLED_MAX_AGE_S}"
    return response
