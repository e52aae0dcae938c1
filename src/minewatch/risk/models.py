"""Risk register, the organisation's control-effectiveness matrix and controls deployed per site."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel
from minewatch.geo.models import Site
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.risk.choices import CONTROL_CHOICES

RATING = [MinValueValidator(1), MaxValueValidator(5)]
FRACTION = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class RiskRegisterEntry(TenantModel):
    """One threat at one site: likelihood × impact (1–5), inherent and residual, owner, review.

    ``suggested_likelihood`` comes from the site's incident history and the forecast and
    is refreshed on demand; ``likelihood`` is what a person chose and is never overwritten
    by a suggestion.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="risk_entries"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="risk_entries")
    threat = models.CharField(_("threat"), max_length=32, choices=THREAT_CHOICES)
    likelihood = models.PositiveSmallIntegerField(_("likelihood (chosen)"), validators=RATING)
    impact = models.PositiveSmallIntegerField(_("impact"), validators=RATING)
    suggested_likelihood = models.PositiveSmallIntegerField(
        _("likelihood (suggested)"), validators=RATING, null=True, blank=True
    )
    suggestion_basis = models.JSONField(_("basis of the suggestion"), default=dict, blank=True)
    suggested_at = models.DateTimeField(null=True, blank=True)
    inherent_score = models.PositiveSmallIntegerField(_("inherent risk"))
    inherent_band = models.CharField(_("inherent band"), max_length=16)
    coverage = models.FloatField(_("control coverage"), default=0.0, validators=FRACTION)
    residual_likelihood = models.PositiveSmallIntegerField(_("residual likelihood"))
    residual_score = models.PositiveSmallIntegerField(_("residual risk"))
    residual_band = models.CharField(_("residual band"), max_length=16)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("owner"),
    )  # fmt: skip
    review_date = models.DateField(_("review date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["site", "threat"]
        verbose_name = _("risk register entry")
        verbose_name_plural = _("risk register entries")
        constraints = [models.UniqueConstraint(fields=["site", "threat"], name="risk_entry_unique")]

    def __str__(self) -> str:
        return f"{self.site}: {self.threat} {self.likelihood}×{self.impact}"


class ControlEffectiveness(TenantModel):
    """An organisation's edit of one cell of the control × threat matrix (default: the engine's)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="control_effectiveness"
    )
    control = models.CharField(_("control"), max_length=40, choices=CONTROL_CHOICES)
    threat = models.CharField(_("threat"), max_length=32, choices=THREAT_CHOICES)
    effectiveness = models.FloatField(_("effectiveness (0–1)"), validators=FRACTION)
    rationale = models.TextField(_("rationale"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["control", "threat"]
        verbose_name = _("control effectiveness")
        verbose_name_plural = _("control effectiveness")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "control", "threat"], name="effectiveness_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.control} × {self.threat} = {self.effectiveness:.2f}"


class DeployedControl(TenantModel):
    """A control in place at a site, with its deployment quality (0–1: 1 = full, maintained)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="deployed_controls"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="deployed_controls")
    control = models.CharField(_("control"), max_length=40, choices=CONTROL_CHOICES)
    quality = models.FloatField(_("quality (0–1)"), validators=FRACTION)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["site", "control"]
        verbose_name = _("deployed control")
        verbose_name_plural = _("deployed controls")
        constraints = [
            models.UniqueConstraint(fields=["site", "control"], name="deployed_control_unique")
        ]

    def __str__(self) -> str:
        return f"{self.site}: {self.control} ({self.quality:.1f})"


class RiskBands(TenantModel):
    """An organisation's risk bands: lower score bound and name of each, ascending from 1.

    Without a row the engine's ``DEFAULT_BANDS`` apply (1–4 low, 5–9 medium, 10–19 high,
    20–25 extreme). Stored as ``[[low, name], ...]``; checked by
    ``risk.engine.register.check_bands`` with the known ``BAND_NAMES``.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="risk_bands"
    )
    bands = models.JSONField(_("risk bands"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk bands")
        verbose_name_plural = _("risk bands")

    def __str__(self) -> str:
        return ", ".join(f"{low}+ {name}" for low, name in self.bands)
