"""What the report schedule sent: one row per organisation and month, so nothing goes twice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel


class ReportDispatchStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_RECIPIENTS = "no_recipients", _("No manager with an e-mail or no e-mail channel")


class ReportDispatch(TenantModel):
    """The monthly report of ``period`` sent (or not) to an organisation's managers.

    Unique per organisation, kind and period: the worker checks every 30 s on the first
    working day, and a second worker or a restart must not send it again.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("report"), max_length=16, default="monthly")
    period = models.CharField(_("period"), max_length=10)
    status = models.CharField(_("status"), max_length=16, choices=ReportDispatchStatus.choices)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    channel_name = models.CharField(_("channel"), max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    error = models.TextField(_("error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "organisation"]
        verbose_name = _("report dispatch")
        verbose_name_plural = _("report dispatches")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "period"], name="reports_dispatch_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} → {self.organisation_id}: {self.status}"
