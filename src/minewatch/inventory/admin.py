"""Admin for the inventory app: weighbridges are edited here (audited); the chain, the
findings and the magazine ledger are read-only (their writes go through the services)."""

from typing import Any

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.inventory.models import (
    LossFinding,
    Lot,
    MagazineEntry,
    SealCheck,
    Weighbridge,
    Weighing,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written: balances, findings and ledger lines are computed or append-only."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Weighbridge)
class WeighbridgeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "site", "accuracy_class", "mpe_pct", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["reference", "product", "truck", "driver_name", "dispatched_at",
                    "difference_t", "z_score", "is_synthetic"]  # fmt: skip
    list_filter = ["organisation", "product", "is_synthetic"]
    search_fields = ["reference", "driver_name"]
    date_hierarchy = "dispatched_at"


@admin.register(Weighing)
class WeighingAdmin(ReadOnlyAdmin):
    list_display = ["ticket_number", "lot", "custody_point", "weighbridge", "wet_tonnes",
                    "moisture_pct", "dry_tonnes", "weighed_at"]  # fmt: skip
    list_filter = ["organisation", "custody_point"]
    search_fields = ["ticket_number", "lot__reference"]


@admin.register(LossFinding)
class LossFindingAdmin(ReadOnlyAdmin):
    list_display = ["kind", "series_kind", "series_label", "lot", "began_at", "trips",
                    "estimated_loss_t", "severity", "created_at"]  # fmt: skip
    list_filter = ["organisation", "kind", "series_kind"]


@admin.register(SealCheck)
class SealCheckAdmin(ReadOnlyAdmin):
    list_display = ["lot", "checked_at", "is_ok", "checked_by"]
    list_filter = ["organisation", "is_ok"]


@admin.register(MagazineEntry)
class MagazineEntryAdmin(ReadOnlyAdmin):
    list_display = ["magazine", "product", "kind", "quantity", "book_balance", "blast_id",
                    "guia_remision", "occurred_at"]  # fmt: skip
    list_filter = ["organisation", "magazine", "product", "kind"]
    search_fields = ["blast_id", "guia_remision", "authorised_person"]
