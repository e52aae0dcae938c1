"""The intake journal: detections accepted and not yet raised, durable across a crash."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntakeEntry(models.Model):
    """One accepted detection, written (committed) before the detector is acknowledged.

    The intake deletes the entry in the same transaction that raises its alert, so a
    process killed at any instant leaves each detection either raised or still here:
    replayed at the next start, never lost and never raised twice. An entry that fails
    on its own keeps ``failed_at`` and ``error`` for an operator instead of being dropped.
    """

    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    payload = models.JSONField(_("detection"))
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True, db_index=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("intake entry")
        verbose_name_plural = _("intake journal")

    def __str__(self) -> str:
        return f"#{self.pk} {self.payload.get('kind', '?')} {self.accepted_at:%Y-%m-%d %H:%M:%S}"
