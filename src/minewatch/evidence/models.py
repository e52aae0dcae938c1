"""The evidence locker (SPEC capability 9): items stored by content hash, and their custody log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel, TenantQuerySet, prefixed
from minewatch.evidence.choices import CustodyAction, CustodyStatus, EvidenceKind
from minewatch.evidence.engine import custody as custody_engine
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS
from minewatch.incidents.models import Incident


class EvidenceItem(TenantModel):
    """One evidence file: its SHA-256 (the store's key), what the file says and what was declared.

    The file itself is in the blob store (``evidence.storage``), never modified after
    intake. ``custody_head_hash`` and ``custody_length`` anchor the custody chain: the
    chain alone cannot show that its last entries were cut off or rewritten.
    Visibility follows the incident: its owner, contractors assigned to its site, and
    the incident's confidentiality for the user's role.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence_items",
        verbose_name=_("owner"),
    )  # fmt: skip
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="evidence_items",
        verbose_name=_("incident"),
    )  # fmt: skip
    # Alerts and trips are being built; until then a free reference (e.g. "ALR-2025-0012").
    alert_ref = models.CharField(_("alert reference"), max_length=64, blank=True)
    trip_ref = models.CharField(_("trip reference"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type (sniffed)"), max_length=100)
    content_label = models.CharField(_("content label (sniffed)"), max_length=16)
    original_name = models.CharField(
        _("original file name"), max_length=255, blank=True,
        help_text=_("Shown to people only; never used as a path."),
    )  # fmt: skip
    description = models.TextField(_("description"), blank=True)
    # What the person declared.
    declared_at = models.DateTimeField(_("declared capture time"), null=True, blank=True)
    declared_lat = models.FloatField(
        _("declared latitude"), null=True, blank=True, validators=LAT_VALIDATORS
    )
    declared_lon = models.FloatField(
        _("declared longitude"), null=True, blank=True, validators=LON_VALIDATORS
    )
    declared_place = models.CharField(_("declared place"), max_length=300, blank=True)
    # What the file says about itself.
    file_captured_at = models.DateTimeField(_("capture time (file)"), null=True, blank=True)
    file_time_zone_assumed = models.BooleanField(_("camera time zone assumed"), default=False)
    file_lat = models.FloatField(_("latitude (file)"), null=True, blank=True)
    file_lon = models.FloatField(_("longitude (file)"), null=True, blank=True)
    file_altitude_m = models.FloatField(_("altitude in metres (file)"), null=True, blank=True)
    file_duration_s = models.FloatField(_("duration in seconds (file)"), null=True, blank=True)
    file_camera = models.CharField(_("camera (file)"), max_length=200, blank=True)
    metadata_error = models.CharField(_("metadata read error"), max_length=300, blank=True)
    discrepancies = models.JSONField(_("discrepancies"), default=list, blank=True)
    # Custody.
    collected_by = models.CharField(_("collected by"), max_length=150)
    collected_at = models.DateTimeField(_("collected at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("uploaded by"),
    )  # fmt: skip
    custody_status = models.CharField(
        _("custody status"), max_length=16, choices=CustodyStatus.choices,
        default=CustodyStatus.IN_CUSTODY,
    )  # fmt: skip
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    custody_head_hash = models.CharField(_("custody head hash"), max_length=64)
    custody_length = models.PositiveIntegerField(_("custody entries"), default=0)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "incident__site"

    class Meta:
        ordering = ["-collected_at", "-id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        indexes = [models.Index(fields=["organisation", "incident"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]} ({self.original_name or '—'})"

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """The incident's confidentiality decides, for the user's role (see ``Incident.role_filter``)."""
        return prefixed(Incident.role_filter(user), "incident__")


def _engine_action(value: str) -> Any:
    """The engine's enum for a stored action; a value altered behind our back stays a string
    (its entry then fails the hash check instead of crashing the verifier)."""
    try:
        return custody_engine.CustodyAction(value)
    except ValueError:
        return value


class CustodyQuerySet(TenantQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("the custody log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the custody log is append-only")


class CustodyEntry(models.Model):
    """One link of an item's custody chain; its hash covers its content and the previous hash.

    Append-only like ``core.AuditEntry``: the model and its queryset refuse updates and
    deletes. A change made behind their back (raw SQL) breaks the chain, and
    ``minewatch evidence verify`` reports it.
    """

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    sequence = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=16, choices=CustodyAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150)
    occurred_at = models.DateTimeField(_("time"))
    reason = models.TextField(_("reason"), blank=True)
    recipient_organisation = models.CharField(_("received by"), max_length=200, blank=True)
    recipient_document_number = models.CharField(_("document number"), max_length=100, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = CustodyQuerySet.as_manager()

    tenant_owner_field = "item__organisation"
    tenant_site_field = "item__incident__site"

    class Meta:
        ordering = ["item_id", "sequence"]
        verbose_name = _("custody entry")
        verbose_name_plural = _("custody log")
        constraints = [
            models.UniqueConstraint(fields=["item", "sequence"], name="custody_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.sequence} {self.action} {self.actor_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("the custody log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the custody log is append-only")

    @classmethod
    def role_filter(cls, user: object) -> Q:
        return prefixed(Incident.role_filter(user), "item__incident__")

    @property
    def recipient(self) -> custody_engine.Recipient | None:
        if not (self.recipient_organisation or self.recipient_document_number):
            return None
        return custody_engine.Recipient(self.recipient_organisation, self.recipient_document_number)

    def to_engine(self, item_sha256: str) -> custody_engine.CustodyEntry:
        """This row as the engine's entry (``item_sha256`` from the item row, which it hashes)."""
        return custody_engine.CustodyEntry(
            sequence=self.sequence,
            item_sha256=item_sha256,
            action=_engine_action(self.action),
            actor=self.actor_name,
            occurred_at=self.occurred_at,
            reason=self.reason,
            recipient=self.recipient,
            prev_hash=self.prev_hash,
            entry_hash=self.entry_hash,
        )
