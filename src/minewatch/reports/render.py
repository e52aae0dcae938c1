"""Render a report's figures to HTML and PDF from ONE template (xhtml2pdf for the PDF).

The charts and the map are PNG images embedded as ``data:`` URIs, so the HTML file is
self-contained and the PDF needs no network and no system library.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from functools import cache
from importlib import resources
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from xhtml2pdf import pisa

from minewatch.reports.engine import charts

FORMATS = ("html", "pdf")
# xhtml2pdf logs every CSS property it does not implement at WARNING; they are known here.
logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)


class RenderError(RuntimeError):
    """xhtml2pdf could not lay out the report."""


@cache
def _boundaries() -> dict:
    text = resources.files("minewatch.geo").joinpath("data/peru_admin1.geojson").read_text()
    return json.loads(text)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def monthly_charts(figures: dict[str, Any], site_points: list[charts.MapSite]) -> dict[str, str]:
    """The monthly report's images (threat bars, weekly bars, the map) as data URIs."""
    incidents = figures["incidents"]
    threat_rows = incidents["by_threat"]
    by_threat = charts.grouped_bars(
        [row["label"] for row in threat_rows],
        {figures["month"]: [row["current"] for row in threat_rows],
         figures["previous_month"]: [row["previous"] for row in threat_rows],
         figures["same_month_last_year"]: [row["last_year"] for row in threat_rows]},
        title=_("Incidents by threat"), ylabel=_("incidents"),
    )  # fmt: skip
    weekly = charts.weekly_bars(
        [_("week of %(day)s") % {"day": row["week_start"][5:]} for row in incidents["by_week"]],
        [row["count"] for row in incidents["by_week"]],
        title=_("Incidents by week"), ylabel=_("incidents"),
    )  # fmt: skip
    points = [charts.MapPoint(p["lat"], p["lon"], p["threat"]) for p in incidents["points"]]
    threat_labels = {row["key"]: row["label"] for row in threat_rows}
    incident_map = charts.incident_map(
        _boundaries(), points, site_points, title=_("Incidents of the month"),
        threat_labels=threat_labels, site_label=_("site"),
    )  # fmt: skip
    return {"by_threat": _data_uri(by_threat), "by_week": _data_uri(weekly),
            "map": _data_uri(incident_map)}  # fmt: skip


def render_html(template: str, context: dict[str, Any], *, language: str) -> str:
    """The report page in ``language`` (the same markup the PDF is made from)."""
    with translation.override(language):
        return render_to_string(template, {**context, "language": language})


def html_to_pdf(html: str) -> bytes:
    """Lay out ``html`` as a PDF with xhtml2pdf (pure Python on top of reportlab)."""
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8")
    if result.err:
        raise RenderError(f"the PDF could not be laid out ({result.err} error(s))")
    return output.getvalue()
