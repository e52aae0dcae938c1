"""Time of the monthly security report for the demo's last month (target: under 5 s).

Loads the demo into a scratch SQLite database (about two minutes; reuse one with
``--data-dir DIR``, the directory a ``MINEWATCH_DATA_DIR`` demo lives in), then builds
the report of the demo company with the most incidents for the previous calendar month:
the figures, the charts and map, and the PDF, in this process (the first run includes
loading matplotlib and xhtml2pdf) and again warm. Prints wall-clock seconds per stage and
the process's CPU seconds (the fairer number on a shared, loaded machine).

Run: ``.venv/bin/python benchmarks/report.py [--data-dir /tmp/demo] [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _setup(data_dir: Path) -> None:
    os.environ.update(MINEWATCH_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="minewatch.settings")
    os.environ.pop("MINEWATCH_DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from minewatch.core.demo import is_loaded, load_demo

    if not is_loaded():
        started = time.perf_counter()
        load_demo()
        print(f"demo loaded in {time.perf_counter() - started:.1f} s")


def _one_run(organisation, month) -> dict[str, float]:  # noqa: ANN001 - Django objects
    from django.utils import timezone, translation

    from minewatch.reports import render
    from minewatch.reports.engine import charts
    from minewatch.reports.monthly import monthly_figures
    from minewatch.reports.scope import ReportScope

    now = timezone.now()
    scope = ReportScope(organisation=organisation, site=None, month=month, language="es")
    times: dict[str, float] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    with translation.override("es"):
        figures = monthly_figures(scope, now=now)
        times["figures"] = time.perf_counter() - started
        mark = time.perf_counter()
        sites = [charts.MapSite(s.lat, s.lon, s.name) for s in scope.organisation_sites()]
        images = render.monthly_charts(figures, sites)
        times["charts+map"] = time.perf_counter() - mark
    mark = time.perf_counter()
    html = render.render_html("reports/monthly.html", {"r": figures, "images": images,
                                                       "for_pdf": True}, language="es")  # fmt: skip
    times["html"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pdf = render.html_to_pdf(html)
    times["pdf"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["cpu"] = time.process_time() - cpu_started
    times["pdf_kb"] = len(pdf) / 1024
    times["incidents"] = figures["incidents"]["total"]["current"]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an existing demo's MINEWATCH_DATA_DIR")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="minewatch-report-bench-"))
    _setup(data_dir)
    from django.conf import settings
    from django.db.models import Count
    from django.utils import timezone

    from minewatch.core.models import Organisation
    from minewatch.reports.engine.periods import previous_month

    organisation = Organisation.objects.annotate(n=Count("incidents")).order_by("-n").first()
    month = previous_month(timezone.now(), settings.TIME_ZONE)
    print(f"monthly report of {organisation.name}, {month.label} (PDF, Spanish), cores: "
          f"{os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")  # fmt: skip
    for run in range(args.runs):
        times = _one_run(organisation, month)
        label = "first (cold)" if run == 0 else f"run {run + 1} (warm)"
        stages = "  ".join(f"{k} {v:5.2f} s" for k, v in times.items()
                           if k not in ("pdf_kb", "incidents"))  # fmt: skip
        print(f"{label:14} {stages}  ({times['incidents']:.0f} incidents, "
              f"{times['pdf_kb']:.0f} KiB)")  # fmt: skip


if __name__ == "__main__":
    main()
