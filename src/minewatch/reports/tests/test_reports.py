"""The monthly and annual reports end to end: API figures, the PDF's text, HTML, CLI, web, tenancy."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from typer.testing import CliRunner

from minewatch.accountability.testing import make_grievance
from minewatch.alerts.services.alerts import (
    acknowledge_alert,
    open_alert,
    record_police_notified,
)
from minewatch.alerts.testing import make_input
from minewatch.cli import app
from minewatch.core.choices import Role
from minewatch.reports.engine.periods import Month, previous_month
from minewatch.reports.templatetags.report_format import figure
from minewatch.testing.world import PASSWORD, make_incident

runner = CliRunner()


def report_month() -> Month:
    """Two months back: complete, and its previous month and last year are in the past too."""
    return previous_month(timezone.now(), settings.TIME_ZONE).previous()


def at(month: Month, day: int, hour: int = 12) -> dt.datetime:
    return month.start + dt.timedelta(days=day - 1, hours=hour)


@pytest.fixture
def reported(world: Any) -> dict[str, Any]:
    """Company A's month: 3 incidents (1 the month before, 2 a year before), 2 acknowledged
    alerts (7 and 13 min), one with the police told after 23 min, one grievance."""
    month = report_month()
    manager, site = world.users[Role.SECURITY_MANAGER], world.sites["a1"]
    for day, kind in ((3, "extortion"), (9, "extortion"), (17, "road_blockade")):
        make_incident(manager, site, occurred_at=at(month, day), incident_type=kind)
    make_incident(manager, site, occurred_at=at(month.previous(), 12), incident_type="extortion")
    for _ in range(2):
        make_incident(manager, site, occurred_at=at(month.a_year_before(), 5),
                      incident_type="road_blockade")  # fmt: skip
    make_incident(world.users["b-manager"], world.sites["b1"], occurred_at=at(month, 4))
    for day, ack_min, police_min in ((5, 7, 23), (20, 13, None)):
        raised = at(month, day)
        alert = open_alert(make_input(site, occurred_at=raised), now=raised)
        acknowledge_alert(alert, actor=world.users[Role.OPERATOR],
                          now=raised + dt.timedelta(minutes=ack_min))  # fmt: skip
        if police_min:
            record_police_notified(alert, actor=world.users[Role.OPERATOR],
                                   at=raised + dt.timedelta(minutes=police_min))  # fmt: skip
    make_grievance(manager, received_at=at(month, 8), category="use_of_force")
    return {"month": month, "manager": manager}


def api_figures(client: Any, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/reports/monthly/", params)
    assert response.status_code == 200, response.content
    return response.json()


def pdf_text(content: bytes) -> str:
    assert content[:5] == b"%PDF-"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


def test_api_figures_count_the_month_against_previous_and_last_year(reported, api_client) -> None:
    month = reported["month"]
    r = api_figures(api_client(reported["manager"]), month=month.label, lang="en")
    assert r["month"] == month.label and r["organisation"] == "Org a"
    assert r["incidents"]["total"] == {"current": 3, "reference": 1, "difference": 2,
                                       "percent": 200.0}  # fmt: skip
    assert r["incidents"]["total_vs_last_year"]["reference"] == 2
    extortion = next(row for row in r["incidents"]["by_type"] if row["key"] == "extortion")
    assert (extortion["current"], extortion["previous"], extortion["last_year"]) == (2, 1, 0)
    assert sum(w["count"] for w in r["incidents"]["by_week"]) == 3
    assert r["alerts"]["raised"] == 2
    assert r["alerts"]["acknowledge_min"] == {"p50": 10.0, "p90": 12.4, "count": 2}
    assert r["alerts"]["police_min"] == {"p50": 23.0, "p90": 23.0, "count": 1}
    assert r["accountability"]["grievances_received"] == 1
    assert len(r["incidents"]["points"]) == 3  # company B's incident is not here


def test_pdf_holds_the_figures_the_api_gives(reported, api_client) -> None:
    client, month = api_client(reported["manager"]), reported["month"].label
    r = api_figures(client, month=month, lang="en")
    response = client.get("/api/v1/reports/monthly/", {"month": month, "lang": "en",
                                                       "output": "pdf"})  # fmt: skip
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Monthly security report {month}" in text
    expected = {
        "Total incidents": r["incidents"]["total"]["current"],
        "Alerts raised": r["alerts"]["raised"],
        "Time to acknowledge, p50 (min)": figure(r["alerts"]["acknowledge_min"]["p50"]),
        "Time to acknowledge, p90 (min)": figure(r["alerts"]["acknowledge_min"]["p90"]),
        "Time to tell the police, p50 (min)": figure(r["alerts"]["police_min"]["p50"]),
        "Failed deliveries": r["alerts"]["failed_deliveries"],
        "Grievances received": r["accountability"]["grievances_received"],
        "Active personnel": r["people"]["active_personnel"],
    }
    for label, value in expected.items():
        assert re.search(rf"{re.escape(label)} {re.escape(str(value))}\b", text), (label, value)
    assert "10 12.4 23" in text.replace(" min", "") or "12.4" in text


def test_spanish_is_the_default_and_english_the_option(reported, api_client) -> None:
    client, month = api_client(reported["manager"]), reported["month"].label
    spanish = client.get("/api/v1/reports/monthly/", {"month": month, "output": "html"})
    assert spanish.status_code == 200 and spanish["Content-Type"].startswith("text/html")
    page = spanish.content.decode()
    assert f"Informe mensual de seguridad {month}" in page and 'lang="es"' in page
    assert 'src="data:image/png;base64,' in page  # charts and the map travel inside the page
    english = client.get("/api/v1/reports/monthly/", {"month": month, "output": "html",
                                                      "lang": "en"}).content.decode()  # fmt: skip
    assert f"Monthly security report {month}" in english


def test_site_report_counts_only_that_site(reported, world, api_client) -> None:
    manager, month = reported["manager"], reported["month"]
    make_incident(manager, world.sites["a2"], occurred_at=at(month, 11))
    client = api_client(manager)
    whole = api_figures(client, month=month.label)
    one = api_figures(client, month=month.label, site=str(world.sites["a2"].pk))
    assert whole["incidents"]["total"]["current"] == 4
    assert one["incidents"]["total"]["current"] == 1 and one["site"] == "Las Bambas"


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"month": "2026-13"}, "month", "not a real month"),
    ({"month": "nov-2026"}, "month", "YYYY-MM"),
    ({"month": "2999-01"}, "month", "in the future"),
    ({}, "month", "required"),
    ({"month": "2026-01", "site": "999999"}, "site", "unknown site"),
    ({"month": "2026-01", "site": "99999999999999999999"}, "site", "unknown site"),
    ({"month": "2026-01", "site": "²"}, "site", "unknown site"),
    ({"month": "2026-01", "site": "Pa\x00taz"}, "site", "unknown site"),
    ({"month": "２０２６-０１"}, "month", "YYYY-MM"),
    ({"month": "2026-01", "organisation": "Org\x00 b"}, "organisation", "unknown"),
    ({"month": "2026-01", "lang": "fr"}, "lang", "es, en"),
    ({"month": "2026-01", "output": "docx"}, "format", "html, pdf"),
])  # fmt: skip
def test_bad_input_is_400_naming_the_field(world, api_client, params, field, words) -> None:
    response = api_client(world.users[Role.SECURITY_MANAGER]).get(
        "/api/v1/reports/monthly/", {"lang": "en", **params}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    assert words.lower() in " ".join(response.json()[field]).lower()


def test_bad_month_is_explained_in_spanish_to_a_spanish_user(world, api_client) -> None:
    client = api_client(world.users[Role.SECURITY_MANAGER])
    response = client.get("/api/v1/reports/monthly/", {"month": "2999-01"},
                          HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert response.status_code == 400
    assert "futuro" in response.json()["month"][0]


def test_a_user_reports_only_on_their_own_organisation(reported, world, api_client) -> None:
    month = reported["month"].label
    other = api_client(world.users["b-manager"])
    for params in ({"organisation": str(world.orgs["a"].pk)}, {"organisation": "Org a"},
                   {"site": str(world.sites["a1"].pk)}):  # fmt: skip
        response = other.get("/api/v1/reports/monthly/", {"month": month, **params},
                             HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
        assert response.status_code == 400, params
        assert "unknown" in str(response.json()).lower()
    own = api_figures(other, month=month)
    assert own["organisation"] == "Org b" and own["incidents"]["total"]["current"] == 1
    contractor = api_client(world.users["psc-operator"])
    assert contractor.get("/api/v1/reports/monthly/", {"month": month}).status_code == 403


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ANALYST, Role.GUARD, Role.LIAISON])
def test_only_managers_get_reports(world, api_client, role) -> None:
    response = api_client(world.users[role]).get("/api/v1/reports/annual/", {"year": "2026"})
    assert response.status_code == 403


def test_annual_report_sections_each_say_where_their_numbers_come_from(reported, api_client):
    client = api_client(reported["manager"])
    year = str(reported["month"].year)
    response = client.get("/api/v1/reports/annual/", {"year": year, "lang": "en"})
    assert response.status_code == 200, response.content
    r = response.json()
    sections = ("risk_assessment", "public_security", "private_security", "training",
                "use_of_force", "grievances", "allegations")  # fmt: skip
    for section in sections:
        assert r[section]["source"], section
    assert r["grievances"]["received"] >= 1
    assert any(a["category"] == "Use of force" for a in r["allegations"]["allegations"])
    pdf = client.get("/api/v1/reports/annual/", {"year": year, "lang": "en", "output": "pdf"})
    text = pdf_text(pdf.content)
    assert f"Annual VPSHR / ICoCA report {year}" in text
    assert "Allegations of abuse and how each was handled" in text
    assert text.count("Source:") == len(sections)
    ancient = client.get("/api/v1/reports/annual/", {"year": "0000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert ancient.status_code == 400 and "not a real year" in ancient.json()["year"][0]
    future = client.get("/api/v1/reports/annual/", {"year": "2999"})
    assert future.status_code == 400 and "futuro" in future.json()["year"][0]


def test_cli_writes_pdf_and_html_and_names_bad_options(reported, tmp_path) -> None:
    month = reported["month"].label
    target = tmp_path / "informe.pdf"
    result = runner.invoke(app, ["report", "monthly", "--org", "Org a", "--month", month,
                                 "-o", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Informe mensual de seguridad {month}" in pdf_text(target.read_bytes())
    html = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "monthly", "--org", "Org a", "--month", month,
                                 "--site", "Pataz", "--lang", "en", "-o", str(html)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Pataz" in html.read_text() and "Monthly security report" in html.read_text()
    annual = tmp_path / "vp.pdf"
    result = runner.invoke(app, ["report", "annual", "--org", "Org a", "--year",
                                 str(reported["month"].year), "-o", str(annual)])  # fmt: skip
    assert result.exit_code == 0 and annual.read_bytes()[:5] == b"%PDF-"
    for args, words in (
        (["--org", "Nadie", "--month", month], "--org"),
        (["--org", "Org a", "--month", "2999-01"], "--month"),
        (["--org", "Org a", "--month", month, "--site", "Antamina"], "--site"),
    ):
        result = runner.invoke(app, ["report", "monthly", *args, "-o", str(target)])
        assert result.exit_code == 2 and words in result.output, result.output
    result = runner.invoke(app, ["report", "monthly", "--org", "Org a", "--month", month,
                                 "-o", str(tmp_path / "x.docx")])  # fmt: skip
    assert result.exit_code == 2 and "-o" in result.output


def test_web_preview_and_download_for_managers_only(reported, world) -> None:
    month = reported["month"].label
    client = Client()
    assert client.login(username=reported["manager"].username, password=PASSWORD)
    home = client.get("/reports/")
    assert home.status_code == 200 and b'href="/reports/"' in home.content  # in the nav
    page = client.get("/reports/", {"kind": "monthly", "month": month})
    assert page.status_code == 200 and b'id="report-preview"' in page.content
    preview = client.get("/reports/monthly.html", {"month": month})
    assert preview.status_code == 200 and month.encode() in preview.content
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    download = client.get("/reports/monthly.pdf", {"month": month})
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    annual = client.get("/reports/annual.pdf", {"year": month[:4]})
    assert annual.status_code == 200 and annual.content[:5] == b"%PDF-"
    bad = client.get("/reports/", {"kind": "monthly", "month": "2999-01"},
                     HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert bad.status_code == 400 and "futuro" in bad.content.decode()
    operator = Client()
    assert operator.login(username=world.users[Role.OPERATOR].username, password=PASSWORD)
    assert operator.get("/reports/").status_code == 403
    assert operator.get("/reports/monthly.pdf", {"month": month}).status_code == 403
    assert b'href="/reports/"' not in operator.get("/incidents/").content
