"""Grievance services: public intake, liaison filing, the workflow, deadlines and their alerts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from minewatch.accountability.models import Grievance, GrievanceStep
from minewatch.accountability.services import grievances as services
from minewatch.accountability.testing import make_grievance
from minewatch.alerts.models import Alert, DeliveryAttempt
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LIMA = dt.timezone(dt.timedelta(hours=-5))


def public(world, **values):
    defaults = {"organisation": world.orgs["a"], "category": "property_damage",
                "description": "El camión de la mina rompió el cerco de mi chacra.",
                "place_name": "Comunidad de Chagual"}  # fmt: skip
    defaults.update(values)
    return services.submit_public_grievance(**defaults)


def jpeg_bytes() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "cerco.jpg"
    return buffer


def test_public_grievance_is_anonymous_with_a_tracking_code_and_five_working_days(world) -> None:
    # Friday 4 December 2026 in Lima; 8 and 9 December are Peruvian holidays.
    received = dt.datetime(2026, 12, 4, 10, 0, tzinfo=LIMA)
    grievance = public(world, now=received)
    assert grievance.status == "received" and grievance.channel == "public_form"
    assert grievance.is_anonymous and grievance.complainant_name == ""
    assert grievance.tracking_code.startswith("RC-")
    assert grievance.acknowledge_due_on == dt.date(2026, 12, 15)  # holidays skipped
    assert grievance.filed_by is None
    assert GrievanceStep.objects.filter(grievance=grievance, status="received").count() == 1
    assert AuditEntry.objects.filter(object_type="accountability.grievance",
                                     object_id=str(grievance.pk)).count() == 1  # fmt: skip


def test_public_grievance_keeps_the_photo_in_the_evidence_store(world, settings, tmp_path) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "evidence_store": str(tmp_path)}
    grievance = public(world, photo=jpeg_bytes(), complainant_name="Juan",
                       complainant_contact="987654321")  # fmt: skip
    assert not grievance.is_anonymous
    assert len(grievance.photo_sha256) == 64 and grievance.photo_content_type == "image/jpeg"
    from minewatch.evidence.storage import get_store

    assert get_store().exists(grievance.photo_sha256)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"category": "riot"}, "category"),
        ({"description": "  "}, "description"),
        ({"place_name": "", "lat": None, "lon": None}, "place_name"),
        ({"lat": -7.7, "lon": None}, "lat"),
        ({"lat": 95.0, "lon": -77.5}, "lat"),
        ({"occurred_on": dt.date(2099, 1, 1)}, "occurred_on"),
        ({"complainant_name": "x" * 201}, "complainant_name"),
    ],
)
def test_bad_public_input_names_the_field_and_stores_nothing(world, values, field) -> None:
    with pytest.raises(InvalidInput) as error:
        public(world, **values)
    assert error.value.field == field
    assert Grievance.objects.filter(channel="public_form").count() == 0


def test_a_photo_that_is_not_an_image_is_refused(world, settings, tmp_path) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "evidence_store": str(tmp_path)}
    fake = io.BytesIO(b"%PDF-1.4 not a photo")
    with pytest.raises(InvalidInput) as error:
        public(world, photo=fake)
    assert error.value.field == "photo"


def test_only_mining_companies_receive_public_grievances(world) -> None:
    with pytest.raises(InvalidInput) as error:
        public(world, organisation=world.orgs["psc"])
    assert error.value.field == "organisation"


def test_liaison_files_from_a_meeting_and_only_liaison_roles_may(world) -> None:
    grievance = make_grievance(world.users["liaison"], non_retaliation_noted=True)
    assert grievance.channel == "meeting" and grievance.filed_by == world.users["liaison"]
    assert grievance.non_retaliation_noted and not grievance.is_anonymous
    with pytest.raises(NotAllowed):
        make_grievance(world.users["operator"])
    with pytest.raises(InvalidInput) as error:
        make_grievance(world.users["liaison"], channel="public_form")
    assert error.value.field == "channel"


def test_full_workflow_with_appeal_and_second_review(world) -> None:
    liaison, manager = world.users["liaison"], world.users["security_manager"]
    grievance = public(world)
    grievance = services.acknowledge_grievance(grievance, actor=liaison, note="Llamé al vecino")
    assert grievance.response_due_on is not None and grievance.acknowledged_at is not None
    grievance = services.assign_grievance(grievance, actor=liaison, assignee=manager)
    assert grievance.status == "under_review" and grievance.assigned_to == manager
    grievance = services.respond_to_grievance(grievance, actor=manager, outcome="upheld",
                                              response="Se repara el cerco.",
                                              remedy="Reparación del cerco y disculpa")  # fmt: skip
    grievance = services.close_grievance(grievance, actor=liaison)
    assert grievance.status == "closed" and grievance.closed_at is not None
    grievance = services.appeal_grievance(grievance, actor=liaison, reason="No repararon")
    assert grievance.status == "appealed" and grievance.closed_at is None
    assert grievance.response_due_on > timezone.localdate()  # a new deadline for the review
    grievance = services.assign_grievance(grievance, actor=liaison, assignee=world.users["admin"])
    assert grievance.status == "under_review"
    statuses = list(grievance.steps.values_list("status", flat=True))
    assert statuses == ["received", "acknowledged", "under_review", "response_given", "closed",
                        "appealed", "under_review"]  # fmt: skip


@pytest.mark.parametrize("status_steps", [0, 1, 2])
def test_appeal_of_an_open_grievance_is_refused_naming_the_rule(world, status_steps) -> None:
    liaison = world.users["liaison"]
    grievance = public(world)
    if status_steps >= 1:
        grievance = services.acknowledge_grievance(grievance, actor=liaison)
    if status_steps >= 2:
        grievance = services.assign_grievance(grievance, actor=liaison, assignee=liaison)
    before = grievance.status
    with pytest.raises(InvalidInput) as error:
        services.appeal_grievance(grievance, actor=liaison, reason="quiero apelar")
    assert (
        error.value.field == "status"
        and "ICoC" in error.value.message
        and "67" in error.value.message
    )
    grievance.refresh_from_db()
    assert grievance.status == before and grievance.appeal_reason == ""


def test_unknown_outcome_and_assignee_of_another_company_are_refused(world) -> None:
    liaison = world.users["liaison"]
    grievance = services.acknowledge_grievance(public(world), actor=liaison)
    with pytest.raises(InvalidInput) as error:
        services.assign_grievance(grievance, actor=liaison, assignee=world.users["b-manager"])
    assert error.value.field == "assigned_to"
    grievance = services.assign_grievance(grievance, actor=liaison, assignee=liaison)
    with pytest.raises(InvalidInput) as error:
        services.respond_to_grievance(grievance, actor=liaison, response="ok", outcome="maybe")
    assert error.value.field == "outcome"


def test_another_company_cannot_work_the_grievance(world) -> None:
    grievance = public(world)
    with pytest.raises(InvalidInput) as error:
        services.acknowledge_grievance(grievance, actor=world.users["b-manager"])
    assert error.value.field == "organisation"


def test_missed_acknowledgement_alerts_the_security_manager_once(world) -> None:
    received = timezone.now() - dt.timedelta(days=20)
    late = public(world, now=received)
    on_time = public(world)
    assert services.check_grievance_deadlines() == 1
    alert = Alert.objects.get(kind="accountability.grievance_overdue")
    assert alert.organisation_id == world.orgs["a"].pk and late.reference in alert.title
    assert alert.policy is not None and alert.policy.name == "Rendición de cuentas"
    told = set(DeliveryAttempt.objects.filter(alert=alert).values_list(
        "recipient_user__role", flat=True))  # fmt: skip
    assert told == {"security_manager"}
    assert "Quispe" not in alert.title + alert.description  # no identity in alerts
    assert services.check_grievance_deadlines() == 0  # reported once
    late.refresh_from_db()
    assert late.overdue_alerted == [f"acknowledge:{late.acknowledge_due_on.isoformat()}"]
    on_time.refresh_from_db()
    assert on_time.overdue_alerted == []


def test_missed_response_deadline_alerts_too(world) -> None:
    liaison = world.users["liaison"]
    long_ago = timezone.now() - dt.timedelta(days=90)
    grievance = public(world, now=long_ago)
    services.acknowledge_grievance(grievance, actor=liaison, now=long_ago)
    assert services.check_grievance_deadlines() == 1
    grievance.refresh_from_db()
    assert grievance.overdue_alerted[0].startswith("respond:")


def test_grievances_cannot_be_deleted(world) -> None:
    from django.core.exceptions import PermissionDenied

    grievance = public(world)
    with pytest.raises(PermissionDenied):
        grievance.delete()
    with pytest.raises(PermissionDenied):
        Grievance.objects.all().delete()
