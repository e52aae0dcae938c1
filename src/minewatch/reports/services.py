"""Build a report: figures in the chosen language, then HTML or PDF from the one template."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from minewatch.core.errors import InvalidInput
from minewatch.reports import annual, render
from minewatch.reports.engine import charts
from minewatch.reports.monthly import monthly_figures
from minewatch.reports.scope import ReportScope

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True)
class RenderedReport:
    """A report file: its bytes, content type and a file name."""

    content: bytes
    content_type: str
    filename: str
    figures: dict[str, Any]


def check_format(value: Any) -> str:
    fmt = str(value or "").strip().lower()
    if fmt not in render.FORMATS:
        from django.utils.translation import gettext as _

        raise InvalidInput(_("format %(value)r is not one of html, pdf") % {"value": value},
                           field="format")  # fmt: skip
    return fmt


def monthly_report(scope: ReportScope, *, now: dt.datetime) -> dict[str, Any]:
    """The monthly report's figures, labels in the scope's language."""
    with translation.override(scope.language):
        return monthly_figures(scope, now=now)


def annual_report(scope: ReportScope, *, now: dt.datetime) -> dict[str, Any]:
    """The annual VPSHR/ICoCA report's figures, labels in the scope's language."""
    with translation.override(scope.language):
        return annual.annual_figures(scope, now=now)


def _filename(scope: ReportScope, kind: str, period: str, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in scope.organisation.name).strip("-").lower()
    if scope.site is not None:
        slug += "-" + "".join(c if c.isalnum() else "-" for c in scope.site.name).lower()
    return f"{kind}-{slug}-{period}.{fmt}"


def render_monthly(scope: ReportScope, *, now: dt.datetime, fmt: str) -> RenderedReport:
    """The monthly report as an HTML page or a PDF file."""
    figures = monthly_report(scope, now=now)
    sites = [scope.site] if scope.site is not None else list(scope.organisation_sites())
    with translation.override(scope.language):
        images = render.monthly_charts(
            figures, [charts.MapSite(s.lat, s.lon, s.name) for s in sites if s.lat is not None]
        )
    html = render.render_html("reports/monthly.html", {"r": figures, "images": images,
                                                       "for_pdf": fmt == "pdf"},
                              language=scope.language)  # fmt: skip
    content = render.html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    return RenderedReport(content, CONTENT_TYPES[fmt],
                          _filename(scope, "monthly", scope.month.label, fmt), figures)  # fmt: skip


def render_annual(scope: ReportScope, *, now: dt.datetime, fmt: str) -> RenderedReport:
    """The annual VPSHR/ICoCA report as an HTML page or a PDF file."""
    figures = annual_report(scope, now=now)
    html = render.render_html("reports/annual.html", {"r": figures, "for_pdf": fmt == "pdf"},
                              language=scope.language)  # fmt: skip
    content = render.html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    return RenderedReport(content, CONTENT_TYPES[fmt],
                          _filename(scope, "vpshr-icoca", str(scope.year), fmt), figures)  # fmt: skip
