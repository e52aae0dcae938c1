"""The monthly report goes to the managers on the first working day, through the e-mail channel."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from typing import Any

from minewatch.alerts.services.config import save_channel
from minewatch.alerts.tests.conftest import smtp_server  # noqa: F401 (the real SMTP sink)
from minewatch.alerts.worker import AlertsWorker
from minewatch.core import services as core_services
from minewatch.core.choices import Role
from minewatch.core.models import User
from minewatch.reports.models import ReportDispatch, ReportDispatchStatus
from minewatch.reports.schedule import is_first_working_day, send_due_monthly_reports
from minewatch.testing.world import PASSWORD

LIMA = dt.timezone(dt.timedelta(hours=-5))


def lima(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LIMA)


def reports_in(inbox: Any) -> list[Any]:
    """The report e-mails (the worker's other checks may also mail alerts)."""
    return [e for e in inbox.envelopes if b"application/pdf" in e.content]


def _setup(world: Any, port: int) -> None:
    manager = world.users[Role.SECURITY_MANAGER]
    save_channel(actor=manager, organisation=world.orgs["a"], name="Correo", kind="email",
                 config={"host": "127.0.0.1", "port": port, "sender": "informes@mina.pe"})  # fmt: skip
    User.objects.filter(pk=manager.pk).update(email="gerente@mina.pe")
    english = core_services.create_user(actor=None, username="a-admin-en", password=PASSWORD,
                                        organisation=world.orgs["a"], role=Role.ADMIN,
                                        email="admin@mina.pe")  # fmt: skip
    User.objects.filter(pk=english.pk).update(preferred_language="en")
    # an operator with an e-mail is not a manager: never sent the report
    User.objects.filter(pk=world.users[Role.OPERATOR].pk).update(email="operador@mina.pe")


def test_first_working_day_of_january_2027_is_monday_the_4th() -> None:
    assert not is_first_working_day(lima(2027, 1, 1))  # Año Nuevo
    assert not is_first_working_day(lima(2027, 1, 2)) and not is_first_working_day(lima(2027, 1, 3))
    assert is_first_working_day(lima(2027, 1, 4))
    assert not is_first_working_day(lima(2027, 1, 5))
    # 4 Jan 02:00 UTC is still 3 Jan in Lima
    assert not is_first_working_day(dt.datetime(2027, 1, 4, 2, tzinfo=dt.UTC))


def test_report_mailed_once_to_each_manager_in_their_language(world, smtp_server) -> None:  # noqa: F811
    port, inbox = smtp_server
    _setup(world, port)
    for day in (1, 2, 3):  # a holiday and a weekend: nothing goes
        assert send_due_monthly_reports(lima(2027, 1, day)) == 0
    assert inbox.envelopes == [] and not ReportDispatch.objects.exists()
    worker = AlertsWorker(check_interval_s=0)
    worker.run_once(lima(2027, 1, 4))  # the alerts worker runs the schedule with its checks
    assert len(reports_in(inbox)) == 2
    messages = {tuple(e.rcpt_tos): email.message_from_bytes(e.content, policy=policy.default)
                for e in reports_in(inbox)}  # fmt: skip
    spanish, english = messages[("gerente@mina.pe",)], messages[("admin@mina.pe",)]
    assert spanish["Subject"] == "Informe mensual de seguridad 2026-12 — Org a"
    assert english["Subject"] == "Monthly security report 2026-12 — Org a"
    for message in (spanish, english):
        attachment = next(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == "monthly-org-a-2026-12.pdf"
        assert attachment.get_content()[:5] == b"%PDF-"
    row = ReportDispatch.objects.get(organisation=world.orgs["a"], period="2026-12")
    assert row.status == ReportDispatchStatus.SENT
    assert sorted(row.recipients) == ["admin@mina.pe", "gerente@mina.pe"]
    # company B has no e-mail channel: recorded, nothing sent
    other = ReportDispatch.objects.get(organisation=world.orgs["b"], period="2026-12")
    assert other.status == ReportDispatchStatus.NO_RECIPIENTS
    # later the same day (another check, a second worker): not sent again
    assert send_due_monthly_reports(lima(2027, 1, 4, 15)) == 0
    assert len(reports_in(inbox)) == 2


def test_failed_send_is_tried_again_later_that_day(world, smtp_server) -> None:  # noqa: F811
    port, inbox = smtp_server
    _setup(world, port)
    from minewatch.alerts.models import NotificationChannel

    channel = NotificationChannel.objects.get(organisation=world.orgs["a"], name="Correo")
    NotificationChannel.objects.filter(pk=channel.pk).update(
        config={**channel.config, "port": 1}, timeout_s=1
    )  # nothing listens on port 1: the send fails
    assert send_due_monthly_reports(lima(2027, 1, 4)) == 0
    row = ReportDispatch.objects.get(organisation=world.orgs["a"], period="2026-12")
    assert row.status == ReportDispatchStatus.FAILED and row.attempts == 1 and row.error
    NotificationChannel.objects.filter(pk=channel.pk).update(config=channel.config)
    assert send_due_monthly_reports(lima(2027, 1, 4, 10)) == 1
    row.refresh_from_db()
    assert row.status == ReportDispatchStatus.SENT and row.attempts == 2
    assert len(inbox.envelopes) == 2
