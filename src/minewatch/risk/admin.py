"""Admin for the risk app (writes audited)."""

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.risk.models import ControlEffectiveness, DeployedControl, RiskRegisterEntry


@admin.register(RiskRegisterEntry)
class RiskRegisterEntryAdmin(AuditedModelAdmin):
    list_display = ["site", "threat", "likelihood", "suggested_likelihood", "impact",
                    "inherent_score", "residual_score", "owner", "review_date"]  # fmt: skip
    list_filter = ["threat", "inherent_band", "residual_band", "organisation"]
    readonly_fields = ["suggested_likelihood", "suggestion_basis", "suggested_at"]


@admin.register(ControlEffectiveness)
class ControlEffectivenessAdmin(AuditedModelAdmin):
    list_display = ["control", "threat", "effectiveness", "organisation"]
    list_filter = ["control", "threat", "organisation"]


@admin.register(DeployedControl)
class DeployedControlAdmin(AuditedModelAdmin):
    list_display = ["site", "control", "quality", "organisation"]
    list_filter = ["control", "organisation"]
