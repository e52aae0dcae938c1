"""Use-of-force reports: fields and rules, deadline, alerts at once, review, amendments, API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minewatch.accountability.models import UseOfForceAmendment, UseOfForceReport
from minewatch.accountability.services import use_of_force as services
from minewatch.alerts.models import Alert, DeliveryAttempt
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.incidents import services as incident_services

pytestmark = pytest.mark.django_db
URL = "/api/v1/use-of-force-reports/"


def values(world, **overrides):
    base = {
        "occurred_at": timezone.now() - dt.timedelta(hours=3), "place": "Garita norte, Pataz",
        "site": world.sites["a1"], "personnel": "Vigilante J. R. (turno noche)",
        "contractor": world.orgs["psc"], "subjects": "Dos hombres que forzaban la reja",
        "force_level": "verbal_commands", "warning_given": True,
        "warning_details": "¡Alto, seguridad!",
    }  # fmt: skip
    base.update(overrides)
    return base


def file(world, user="guard", **overrides):
    return services.file_use_of_force_report(actor=world.users[user], **values(world, **overrides))


def firearm(world, **overrides):
    return file(world, force_level="firearm_discharged", justification="self_defence",
                rounds_fired=2, weapon="Escopeta Mossberg 500, serie 123",
                injuries_subjects="Herida leve en pierna", medical_aid_given=True,
                medical_aid_at=timezone.now() - dt.timedelta(hours=2),
                police_informed=True, police_informed_at=timezone.now() - dt.timedelta(hours=2),
                police_unit="Comisaría Pataz", **overrides)  # fmt: skip


def test_verbal_commands_report_is_filed_in_time_without_review(world) -> None:
    report = file(world)
    assert report.status == "filed" and not report.is_late and report.reference.startswith("UF-")
    assert report.filing_due_at == report.occurred_at + dt.timedelta(hours=24)
    assert not Alert.objects.filter(kind__startswith="accountability.").exists()


def test_firearm_discharge_opens_a_review_and_alerts_the_manager_at_once(world) -> None:
    report = firearm(world)
    assert report.status == "under_review" and report.review_opened_at is not None
    assert report.has_injuries
    alert = Alert.objects.get(kind="accountability.use_of_force")
    assert alert.severity == 5 and report.reference in alert.title
    told = set(DeliveryAttempt.objects.filter(alert=alert).values_list("recipient_user__role",
                                                                       flat=True))  # fmt: skip
    assert "security_manager" in told and "operator" not in told


def test_an_injury_alone_opens_a_review(world) -> None:
    report = file(world, force_level="physical_restraint", justification="defence_of_others",
                  injuries_personnel="Contusión en brazo")  # fmt: skip
    assert report.status == "under_review"
    assert Alert.objects.get(kind="accountability.use_of_force").severity == 4


def test_late_report_alerts_the_manager(world) -> None:
    incident = world.incidents["a1"]  # occurred two days ago: the 24 h are gone
    # the control room files it: the incident is not one the guard reported, so not the guard's
    report = file(world, user="operator", incident=incident, occurred_at=incident.occurred_at)
    assert report.is_late and report.filing_due_at == incident.occurred_at + dt.timedelta(hours=24)
    assert Alert.objects.filter(kind="accountability.use_of_force_late").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"force_level": "lethal_strike"}, "force_level"),
        ({"force_level": "less_lethal", "justification": ""}, "justification"),
        ({"force_level": "less_lethal", "justification": "teaching a lesson"}, "justification"),
        ({"force_level": "firearm_discharged", "justification": "self_defence",
          "weapon": "Escopeta", "rounds_fired": 0}, "rounds_fired"),
        ({"rounds_fired": 3}, "rounds_fired"),
        ({"force_level": "firearm_drawn", "justification": "self_defence"}, "weapon"),
        ({"medical_aid_given": True}, "medical_aid_at"),
        ({"police_informed": True, "police_informed_at": timezone.now() - dt.timedelta(days=9)},
         "police_informed_at"),
        ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, "occurred_at"),
        ({"occurred_at": dt.datetime(2026, 1, 1, 12, 0)}, "occurred_at"),
        ({"subjects": ""}, "subjects"),
        ({"contractor": 999999}, "contractor"),
        ({"site": -1}, "site"),
    ],
)  # fmt: skip
def test_bad_values_name_the_field_and_store_nothing(world, overrides, field) -> None:
    before = UseOfForceReport.objects.count()
    with pytest.raises(InvalidInput) as error:
        file(world, **overrides)
    assert error.value.field == field
    assert UseOfForceReport.objects.count() == before


def test_force_level_error_lists_the_levels(world) -> None:
    with pytest.raises(InvalidInput) as error:
        file(world, force_level="lethal_strike")
    assert "firearm_discharged" in error.value.message and "presence" in error.value.message


def test_review_by_a_manager_who_is_not_the_reporter(world) -> None:
    report = firearm(world, **{})
    manager = world.users["security_manager"]
    with pytest.raises(NotAllowed):
        services.review_use_of_force(report, actor=world.users["operator"], finding="within_policy")
    with pytest.raises(InvalidInput) as error:
        services.review_use_of_force(report, actor=manager, finding="fine")
    assert error.value.field == "finding"
    reviewed = services.review_use_of_force(report, actor=manager, finding="referred_to_authorities",
                                            actions="Denuncia a la PNP; reentrenamiento")  # fmt: skip
    assert reviewed.status == "reviewed" and reviewed.reviewer == manager
    own = services.file_use_of_force_report(actor=manager, **values(world))
    with pytest.raises(InvalidInput) as error:
        services.review_use_of_force(own, actor=manager, finding="within_policy")
    assert error.value.field == "reviewer"


def test_reviewed_report_changes_only_through_an_audited_amendment(world) -> None:
    report = services.review_use_of_force(firearm(world), actor=world.users["security_manager"],
                                          finding="within_policy")  # fmt: skip
    with pytest.raises(InvalidInput) as error:
        services.update_use_of_force_report(report, actor=world.users["guard"], witnesses="x")
    assert error.value.field == "status"
    with pytest.raises(InvalidInput) as error:
        services.amend_use_of_force_report(report, actor=world.users["guard"], reason="",
                                           witnesses="Supervisor de turno")  # fmt: skip
    assert error.value.field == "reason"
    amended = services.amend_use_of_force_report(report, actor=world.users["guard"],
                                                 reason="Faltaba un testigo",
                                                 witnesses="Supervisor de turno")  # fmt: skip
    assert amended.witnesses == "Supervisor de turno"
    row = UseOfForceAmendment.objects.get(report=report)
    assert (row.field, row.old_value, row.reason) == ("witnesses", "", "Faltaba un testigo")
    with pytest.raises(PermissionDenied):
        row.delete()
    with pytest.raises(PermissionDenied):
        report.delete()
    with pytest.raises(PermissionDenied):
        UseOfForceReport.objects.all().delete()


def test_missing_report_for_an_incident_with_security_response_and_injuries(world) -> None:
    manager = world.users["security_manager"]
    incident = incident_services.report_incident(
        actor=manager, incident_type="violent_clash", site=world.sites["a1"],
        occurred_at=timezone.now() - dt.timedelta(hours=30), lat=-7.73, lon=-77.52,
        responders=["psc"], injured_community=2,
    )  # fmt: skip
    assert services.check_missing_reports() == 1
    assert services.check_missing_reports() == 0  # once
    alert = Alert.objects.get(subject_key=f"missing:{incident.reference}")
    assert alert.kind == "accountability.use_of_force_late"


def test_api_files_reviews_and_amends(world, api_client) -> None:
    guard = api_client(world.users["guard"])
    body = {"occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "place": "Garita", "personnel": "Vigilante", "subjects": "Intruso",
            "force_level": "firearm_discharged", "justification": "defence_of_others",
            "rounds_fired": 1, "weapon": "Escopeta", "contractor": world.orgs["psc"].pk}  # fmt: skip
    created = guard.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "under_review"
    assert guard.post(f"{URL}{pk}/review/", {"finding": "within_policy"}).status_code == 403
    manager = api_client(world.users["security_manager"])
    reviewed = manager.post(f"{URL}{pk}/review/", {"finding": "referred_to_contractor",
                                                   "actions": "Reentrenamiento"}, format="json")  # fmt: skip
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewed"
    patch = guard.patch(f"{URL}{pk}/", {"witnesses": "Nadie"}, format="json")
    assert patch.status_code == 400 and "status" in patch.json()
    amended = guard.post(f"{URL}{pk}/amend/", {"reason": "Testigo omitido",
                                               "changes": {"witnesses": "Supervisor"}},
                         format="json")  # fmt: skip
    assert amended.status_code == 200 and amended.json()["amendments"][0]["field"] == "witnesses"
    assert guard.delete(f"{URL}{pk}/").status_code == 405
    # the contractor sees the report about its personnel; another contractor does not
    assert api_client(world.users["psc-operator"]).get(f"{URL}{pk}/").status_code == 200
    assert api_client(world.users["psc2-operator"]).get(f"{URL}{pk}/").status_code == 404
    assert api_client(world.users["b-manager"]).get(f"{URL}{pk}/").status_code == 404


def test_api_force_level_not_in_the_list_is_a_400_naming_it(world, api_client) -> None:
    body = {"occurred_at": timezone.now().isoformat(), "place": "Garita", "personnel": "V",
            "subjects": "I", "force_level": "warning_shot"}  # fmt: skip
    before = UseOfForceReport.objects.count()
    response = api_client(world.users["guard"]).post(URL, body, format="json")
    assert response.status_code == 400 and "force_level" in response.json()
    assert UseOfForceReport.objects.count() == before


def test_web_pages_file_and_review(world, client) -> None:
    client.force_login(world.users["guard"])
    assert client.get("/accountability/use-of-force/new/").status_code == 200
    page = client.post("/accountability/use-of-force/new/", {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "Garita",
        "personnel": "Vigilante", "subjects": "Intruso", "force_level": "verbal_commands"})  # fmt: skip
    assert page.status_code == 302, page.content.decode()[:2000]
    report = UseOfForceReport.objects.get(reporter=world.users["guard"])
    bad = client.post("/accountability/use-of-force/new/", {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "Garita",
        "personnel": "V", "subjects": "I", "force_level": "less_lethal"})  # fmt: skip
    assert bad.status_code == 400 and 'id="id_justification_error"' in bad.content.decode()
    client.force_login(world.users["security_manager"])
    assert client.get("/accountability/use-of-force/").status_code == 200
    done = client.post(f"/accountability/use-of-force/{report.pk}/review/",
                       {"finding": "within_policy", "actions": ""})  # fmt: skip
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == "reviewed"
