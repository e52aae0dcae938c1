"""Response protocols (checklists per incident type) and the checklists attached to cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.alerts.models.alert import Alert
from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel


class ResponseProtocol(TenantModel):
    """An organisation's checklist for one incident type (seeded from the bundled catalogue)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=48)
    title_es = models.CharField(_("title (Spanish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    incident_types = models.JSONField(_("incident types"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="alerts_protocol_code_per_org"
            )
        ]
        verbose_name = _("response protocol")
        verbose_name_plural = _("response protocols")

    def __str__(self) -> str:
        return self.title_es


class ProtocolStep(models.Model):
    """One line of a protocol: who does what within how many minutes of the alert."""

    protocol = models.ForeignKey(ResponseProtocol, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    text_es = models.TextField()
    text_en = models.TextField()
    role = models.CharField(max_length=32)
    within_minutes = models.PositiveIntegerField()
    notifies_police = models.BooleanField(default=False)

    tenant_owner_field = "protocol__organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["protocol", "order"]

    def __str__(self) -> str:
        return f"{self.code}"


class ProtocolChecklist(TenantModel):
    """A protocol applied to one alert and/or incident; items are ticked as work is done."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(ResponseProtocol, on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="checklists"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, null=True, blank=True,
        related_name="checklists",
    )  # fmt: skip
    site = models.ForeignKey(
        "geo.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("protocol checklist")
        verbose_name_plural = _("protocol checklists")

    def __str__(self) -> str:
        return f"{self.protocol.code} #{self.pk}"


class ChecklistItem(models.Model):
    """One step of a checklist, ticked with who and when."""

    checklist = models.ForeignKey(ProtocolChecklist, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    text_es = models.TextField()
    text_en = models.TextField()
    role = models.CharField(max_length=32)
    due_at = models.DateTimeField()
    notifies_police = models.BooleanField(default=False)
    ticked_at = models.DateTimeField(null=True, blank=True)
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    tenant_owner_field = "checklist__organisation"
    tenant_site_field = "checklist__site"

    class Meta:
        ordering = ["checklist", "order"]

    def __str__(self) -> str:
        return self.code

    @property
    def role_label(self) -> str:
        """The role that does the step, in words (the stored value is the role's code)."""
        from minewatch.core.choices import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role
