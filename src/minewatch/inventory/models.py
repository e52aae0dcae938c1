"""Inventory and cargo integrity (SPEC capability 8): weighbridges, lots, weighings, findings, seals."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.models import Route, Site
from minewatch.inventory.choices import (
    CustodyPoint,
    ExplosiveProduct,
    FindingKind,
    MagazineEntryKind,
    Product,
    SeriesKind,
)
from minewatch.tracking.models import Trip, Vehicle

MOISTURE_VALIDATORS = [MinValueValidator(0.0), MaxValueValidator(30.0)]


class Weighbridge(TenantModel):
    """A weighing instrument (mine scale, truck weighbridge) with its accuracy.

    ``mpe_pct`` is the maximum permissible error as a percentage of the load, from the
    instrument's accuracy class (e.g. OIML R76 class III at 30 t with e = 20 kg: 0.1 %).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="weighbridges", verbose_name=_("site")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True)
    accuracy_class = models.CharField(_("accuracy class"), max_length=40, blank=True)
    mpe_pct = models.FloatField(
        _("maximum permissible error (% of load)"),
        validators=[MinValueValidator(0.001), MaxValueValidator(5.0)],
    )
    is_active = models.BooleanField(_("active"), default=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["code"]
        verbose_name = _("weighbridge")
        verbose_name_plural = _("weighbridges")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="weighbridge_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class Lot(TenantModel):
    """One truckload (lot, shipment) of concentrate from a mine to a port or plant.

    ``trip`` is the tracking app's trip; ``contractor`` the truck's transport
    contractor when the lot was registered. The balance fields are filled once a
    dispatch and a receipt weighing are both recorded (``losses.evaluate_lot``).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("lot reference"), max_length=40)
    product = models.CharField(_("product"), max_length=32, choices=Product.choices)
    origin = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="lots_dispatched", verbose_name=_("origin")
    )
    destination = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="lots_received",
        verbose_name=_("destination"),
    )  # fmt: skip
    route = models.ForeignKey(
        Route, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("route"),
    )  # fmt: skip
    trip = models.ForeignKey(
        Trip, on_delete=models.PROTECT, null=True, blank=True, related_name="lots",
        verbose_name=_("trip"),
    )  # fmt: skip
    truck = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="lots", verbose_name=_("truck")
    )
    contractor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("transport contractor"),
    )  # fmt: skip
    driver_name = models.CharField(_("driver"), max_length=150, blank=True)
    seal_numbers = models.JSONField(_("seal numbers"), default=list, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), db_index=True)
    dispatched_dry_t = models.FloatField(_("dispatched (dry t)"), null=True, blank=True)
    received_dry_t = models.FloatField(_("received (dry t)"), null=True, blank=True)
    difference_t = models.FloatField(_("difference (t)"), null=True, blank=True)
    sigma_t = models.FloatField(_("uncertainty (1 σ, t)"), null=True, blank=True)
    z_score = models.FloatField(_("z-score"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "origin"

    class Meta:
        ordering = ["-dispatched_at", "-id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="lot_unique_ref")
        ]
        indexes = [models.Index(fields=["organisation", "dispatched_at"], name="lot_org_time")]

    def __str__(self) -> str:
        return self.reference


class Weighing(TenantModel):
    """One weighbridge ticket: a lot's wet mass and moisture at one custody point.

    A lot has at most one weighing per custody point; the ticket number is unique per
    organisation and makes imports idempotent.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="weighings")
    ticket_number = models.CharField(_("ticket number"), max_length=60)
    custody_point = models.CharField(
        _("custody point"), max_length=20, choices=CustodyPoint.choices
    )
    weighbridge = models.ForeignKey(
        Weighbridge, on_delete=models.PROTECT, related_name="weighings",
        verbose_name=_("weighbridge"),
    )  # fmt: skip
    truck = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="+", verbose_name=_("truck")
    )
    weighed_at = models.DateTimeField(_("weighed at"))
    wet_tonnes = models.FloatField(_("wet mass (t)"), validators=[MinValueValidator(0.001)])
    moisture_pct = models.FloatField(_("moisture (%)"), validators=MOISTURE_VALIDATORS)
    dry_tonnes = models.FloatField(_("dry mass (t)"))
    mpe_pct = models.FloatField(_("instrument error at weighing (% of load)"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "lot__origin"

    class Meta:
        ordering = ["lot", "weighed_at", "id"]
        verbose_name = _("weighing")
        verbose_name_plural = _("weighings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "ticket_number"], name="weighing_unique_ticket"
            ),
            models.UniqueConstraint(fields=["lot", "custody_point"], name="weighing_one_per_point"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} ({self.get_custody_point_display()})"


class LossFinding(TenantModel):
    """What the loss detection found: a trip beyond tolerance, a CUSUM drift, or a seal problem.

    A drift names its series (``series_kind`` + ``series_key``), the lot where it
    began and the lot where the alarm crossed its threshold.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=FindingKind.choices)
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    series_kind = models.CharField(
        _("series"), max_length=16, choices=SeriesKind.choices, blank=True
    )
    series_key = models.CharField(_("series key"), max_length=150, blank=True)
    series_label = models.CharField(_("series name"), max_length=200, blank=True)
    began_lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    began_at = models.DateTimeField(_("began at"), null=True, blank=True)
    trips = models.PositiveIntegerField(_("trips in the run"), default=1)
    z_score = models.FloatField(_("statistic"), null=True, blank=True)
    estimated_loss_t = models.FloatField(_("estimated loss (t)"), default=0.0)
    severity = models.PositiveSmallIntegerField(_("severity"), default=3)
    details = models.JSONField(_("details"), default=dict, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("loss finding")
        verbose_name_plural = _("loss findings")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.series_label or self.lot_id}"


class SealCheck(TenantModel):
    """The seals found on a lot at arrival, each compared with those applied at loading.

    ``results`` is a list of ``{"number", "status"}`` (``SealStatus``); ``photos`` are
    evidence items (the evidence app's custody chain keeps them).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="seal_checks")
    checked_at = models.DateTimeField(_("checked at"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    results = models.JSONField(_("results"), default=list)
    is_ok = models.BooleanField(_("all seals matched"), default=True)
    photos = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="+", verbose_name=_("photos")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "lot__origin"

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("seal check")
        verbose_name_plural = _("seal checks")

    def __str__(self) -> str:
        return f"{self.lot} @ {self.checked_at:%Y-%m-%d %H:%M}"


class AppendOnlyQuerySet(TenantQuerySet):
    """Ledger rows are never changed or deleted: corrections are reversal entries."""

    def update(self, **kwargs: object) -> int:
        raise PermissionDenied("the magazine ledger is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the magazine ledger is append-only")


class MagazineEntry(TenantModel):
    """One line of an explosives magazine's ledger (SUCAMEC-style book), append-only.

    ``quantity`` is in the product's unit (kg or units): received, issued, returned,
    consumed, or counted. ``book_balance`` is the product's balance after this line.
    A reversal names the entry it cancels (``reverses``) and why.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    magazine = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="magazine_entries",
        verbose_name=_("magazine"),
    )  # fmt: skip
    product = models.CharField(_("product"), max_length=20, choices=ExplosiveProduct.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=MagazineEntryKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    guia_remision = models.CharField(_("guía de remisión"), max_length=40, blank=True)
    blast_id = models.CharField(_("blast"), max_length=40, blank=True, db_index=True)
    authorised_person = models.CharField(_("authorised person"), max_length=150, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by",
        verbose_name=_("reverses"),
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    book_balance = models.DecimalField(_("book balance after"), max_digits=12, decimal_places=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()
    tenant_site_field = "magazine"

    class Meta:
        ordering = ["magazine", "product", "id"]
        verbose_name = _("magazine ledger entry")
        verbose_name_plural = _("magazine ledger")

    def __str__(self) -> str:
        return f"{self.magazine_id} {self.product} {self.kind} {self.quantity}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionDenied("the magazine ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the magazine ledger is append-only")


class ScaleCapture(TenantModel):
    """A truck's stable mass read from a weighbridge indicator over TCP (``listener``).

    An operator turns it into a weighing by naming it (``capture``) instead of typing
    the wet mass; a capture serves one weighing only.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    weighbridge = models.ForeignKey(
        Weighbridge, on_delete=models.PROTECT, related_name="captures",
        verbose_name=_("weighbridge"),
    )  # fmt: skip
    mass_kg = models.FloatField(_("mass (kg)"))
    captured_at = models.DateTimeField(_("captured at"), db_index=True)
    frame = models.CharField(_("indicator frame"), max_length=80, blank=True)
    weighing = models.OneToOneField(
        Weighing, on_delete=models.PROTECT, null=True, blank=True, related_name="capture",
        verbose_name=_("weighing"),
    )  # fmt: skip

    tenant_site_field = "weighbridge__site"

    class Meta:
        ordering = ["-captured_at", "-id"]
        verbose_name = _("scale capture")
        verbose_name_plural = _("scale captures")

    def __str__(self) -> str:
        return f"{self.weighbridge_id} {self.mass_kg:.0f} kg @ {self.captured_at:%H:%M:%S}"
