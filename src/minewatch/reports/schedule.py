"""Send last month's report to each organisation's managers on the first working day.

Runs as one of the alerts worker's periodic checks (every ``check_interval_s``). The
first working day skips weekends and Peru's public holidays (``holidays``). Each
organisation's report goes once (:class:`ReportDispatch` is unique per month), as a PDF
attached to an e-mail through the organisation's active e-mail notification channel,
one message per language its managers chose. A failed send is tried again on the next
checks of the same day, at most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minewatch.alerts.choices import ChannelKind
from minewatch.alerts.engine.channels import send_email
from minewatch.alerts.models import NotificationChannel
from minewatch.core.models import Organisation, User
from minewatch.core.roles import MANAGERS
from minewatch.reports.engine.periods import first_working_day, previous_month
from minewatch.reports.models import ReportDispatch, ReportDispatchStatus
from minewatch.reports.scope import ReportScope
from minewatch.reports.services import render_monthly

logger = logging.getLogger("minewatch.reports.schedule")
MAX_ATTEMPTS = 5


def is_first_working_day(now: dt.datetime) -> bool:
    """True when ``now`` (aware) falls, in local time, on the month's first working day."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return local == first_working_day(local.year, local.month)


def _managers(organisation: Organisation) -> dict[str, list[str]]:
    """The managers' e-mail addresses grouped by their preferred language."""
    by_language: dict[str, list[str]] = {}
    users = User.objects.filter(organisation=organisation, is_active=True, role__in=MANAGERS)
    for user in users.exclude(email="").order_by("pk"):
        language = user.preferred_language if user.preferred_language in ("es", "en") else "es"
        by_language.setdefault(language, []).append(user.email)
    return by_language


def _claim(organisation: Organisation, period: str) -> ReportDispatch | None:
    """The dispatch row to work on, or None when it was sent (or given up) already."""
    try:
        with transaction.atomic():
            row, _created = ReportDispatch.objects.select_for_update().get_or_create(
                organisation=organisation, kind="monthly", period=period,
                defaults={"status": ReportDispatchStatus.FAILED},
            )  # fmt: skip
    except IntegrityError:
        return None
    if row.status == ReportDispatchStatus.SENT or row.attempts >= MAX_ATTEMPTS:
        return None
    if row.status == ReportDispatchStatus.NO_RECIPIENTS and row.attempts > 0:
        return None
    return row


def send_monthly_report(organisation: Organisation, *, now: dt.datetime) -> ReportDispatch | None:
    """Send the previous month's report to ``organisation``'s managers (once); the dispatch row."""
    month = previous_month(now, settings.TIME_ZONE)
    row = _claim(organisation, month.label)
    if row is None:
        return None
    row.attempts += 1
    channel = NotificationChannel.objects.filter(
        organisation=organisation, kind=ChannelKind.EMAIL, is_active=True
    ).order_by("pk").first()  # fmt: skip
    recipients = _managers(organisation)
    if channel is None or not recipients:
        row.status, row.error = ReportDispatchStatus.NO_RECIPIENTS, ""
        row.save()
        return row
    errors, sent_to = [], []
    for language, addresses in recipients.items():
        scope = ReportScope(organisation=organisation, site=None, month=month, language=language)
        report = render_monthly(scope, now=now, fmt="pdf")
        with translation.override(language):
            subject = _("Monthly security report %(month)s — %(organisation)s") % {
                "month": month.label,
                "organisation": organisation.name,
            }
            body = _("Attached: the monthly security report of %(organisation)s for %(month)s, "
                     "made by MineWatch on the first working day of the month.") % {
                "month": month.label, "organisation": organisation.name}  # fmt: skip
        config = channel.config
        attempt = send_email(
            host=config.get("host", "127.0.0.1"), port=int(config.get("port", 25)),
            sender=config.get("sender", "reportes@minewatch.local"), recipients=addresses,
            subject=subject, body=body, timeout_s=channel.timeout_s,
            use_starttls=bool(config.get("use_starttls")), username=config.get("username"),
            password=config.get("password"),
            attachments=((report.filename, report.content, "application/pdf"),),
        )  # fmt: skip
        if attempt.status == "sent":
            sent_to.extend(addresses)
        else:
            errors.append(f"{','.join(addresses)}: {attempt.error}")
    row.recipients, row.channel_name = sent_to, channel.name
    row.status = ReportDispatchStatus.FAILED if errors else ReportDispatchStatus.SENT
    row.error = "\n".join(errors)
    row.sent_at = now if not errors else None
    row.save()
    return row


def send_due_monthly_reports(now: dt.datetime | None = None) -> int:
    """The alerts worker's check: on the first working day, send every organisation's report.

    Returns the number of organisations whose report went out in this call.
    """
    now = now or timezone.now()
    if not is_first_working_day(now):
        return 0
    sent = 0
    for organisation in Organisation.objects.order_by("pk"):
        try:
            row = send_monthly_report(organisation, now=now)
        except Exception:  # one organisation's failure never stops the others
            logger.exception("monthly report of organisation %s failed", organisation.pk)
            continue
        sent += bool(row and row.status == ReportDispatchStatus.SENT)
    return sent
