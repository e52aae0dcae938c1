"""Writes of the explosives magazine ledger: receipts, issues, returns, consumption, counts, reversals.

The ledger is append-only; a wrong line is cancelled by an audited reversal. Every
count is compared with the book balance, and every blast is reconciled (issued −
consumed − returned = 0) once its consumption is reported: any difference is a
``magazine`` finding, severity 5, alerted at once (detonators diverted to illegal
mining is the case this exists for).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.geo.choices import SiteKind
from minewatch.geo.models import Site
from minewatch.inventory import losses
from minewatch.inventory.choices import (
    BALANCE_SIGN,
    PRODUCT_UNITS,
    ExplosiveProduct,
    FindingKind,
    MagazineEntryKind,
)
from minewatch.inventory.models import LossFinding, MagazineEntry
from minewatch.inventory.services import _time, _user, _visible, require

DISCREPANCY_SEVERITY = 5
MILLI = Decimal("0.001")  # quantities keep three decimals (SQLite sums drop the scale)
MOVEMENTS = ("receipt", "issue", "return", "consumption", "count")


def _quantity(value: Any, product: str, kind: str) -> Decimal:
    try:
        quantity = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("a number is required"), field="quantity") from None
    if not quantity.is_finite() or quantity < 0 or (quantity == 0 and kind != "count"):
        raise InvalidInput(_("the quantity must be more than 0"), field="quantity")
    if PRODUCT_UNITS[product] == "u" and quantity != quantity.to_integral_value():
        raise InvalidInput(_("this product is counted in whole units"), field="quantity")
    return quantity


def book_balance(magazine_id: int, product: str) -> Decimal:
    """The product's balance after the magazine's last ledger line (0 for a new ledger)."""
    last = MagazineEntry.objects.filter(magazine_id=magazine_id, product=product).last()
    return last.book_balance if last else Decimal("0")


def _check_blast(values: dict[str, Any], magazine: Site) -> None:
    kind, blast = values["kind"], values["blast_id"]
    if kind in ("issue", "return", "consumption") and not blast:
        raise InvalidInput(_("name the blast"), field="blast_id")
    if kind == "issue" and not values["authorised_person"]:
        raise InvalidInput(_("name the person authorised to receive it"),
                           field="authorised_person")  # fmt: skip
    if (
        kind in ("return", "consumption")
        and not _live(magazine, values["product"], blast).filter(kind="issue").exists()
    ):
        raise InvalidInput(_("nothing of this product was issued to blast %(blast)s")
                           % {"blast": blast}, field="blast_id")  # fmt: skip


def _live(magazine: Site, product: str, blast: str) -> Any:
    """The blast's lines of this product that no reversal cancelled."""
    return MagazineEntry.objects.filter(magazine=magazine, product=product, blast_id=blast,
                                        reversed_by__isnull=True).exclude(kind="reversal")  # fmt: skip


def record_entry(
    *, actor: Any, magazine: Any, product: str, kind: str, quantity: Any,
    occurred_at: Any = None, guia_remision: str = "", blast_id: str = "",
    authorised_person: str = "", is_synthetic: bool = False,
) -> MagazineEntry:  # fmt: skip
    """Append one line; raises InvalidInput naming the field (nothing stored then)."""
    require(actor, "operate")
    site = _visible(actor, Site, "magazine", magazine)
    if site.kind != SiteKind.EXPLOSIVES_MAGAZINE:
        raise InvalidInput(_("this site is not an explosives magazine"), field="magazine")
    if product not in ExplosiveProduct.values:
        raise InvalidInput(_("unknown product %(value)s") % {"value": product}, field="product")
    if kind not in MOVEMENTS:
        raise InvalidInput(_("one of: %(values)s") % {"values": ", ".join(MOVEMENTS)}, field="kind")
    values = {"kind": kind, "product": product, "blast_id": (blast_id or "").strip(),
              "authorised_person": (authorised_person or "").strip(),
              "guia_remision": (guia_remision or "").strip()}  # fmt: skip
    amount = _quantity(quantity, product, kind)
    when = timezone.now() if occurred_at in (None, "") else _time(occurred_at, "occurred_at")
    if kind == "receipt" and not values["guia_remision"]:
        raise InvalidInput(_("a receipt needs the supplier's guía de remisión"),
                           field="guia_remision")  # fmt: skip
    _check_blast(values, site)
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=site.pk).first()  # one writer per magazine
        balance = book_balance(site.pk, product) + BALANCE_SIGN[kind] * amount
        if balance < 0:
            raise InvalidInput(_("only %(stock)s in stock") % {
                "stock": book_balance(site.pk, product)}, field="quantity")  # fmt: skip
        entry = MagazineEntry.objects.create(
            organisation_id=site.organisation_id, magazine=site, quantity=amount,
            occurred_at=when, book_balance=balance, recorded_by=_user(actor),
            is_synthetic=is_synthetic, **values,
        )  # fmt: skip
        audit.record(actor=actor, action=AuditAction.CREATE, instance=entry,
                     after=audit.snapshot(entry))  # fmt: skip
        _check_discrepancy(entry)
    return entry


@transaction.atomic
def reverse_entry(entry: MagazineEntry, *, actor: Any, reason: str) -> MagazineEntry:
    """Cancel a wrong line with a reversal (managers only; the reason is kept and audited)."""
    if not has_capability(actor, "manage_sites"):
        raise NotAllowed(_("only a manager may reverse a ledger line"), field="role")
    found = _visible(actor, MagazineEntry, "entry", entry)
    if not (reason or "").strip():
        raise InvalidInput(_("say why the line is reversed"), field="reason")
    if found.kind == MagazineEntryKind.REVERSAL or hasattr(found, "reversed_by"):
        raise InvalidInput(_("this line cannot be reversed (again)"), field="entry")
    Site.objects.select_for_update().filter(pk=found.magazine_id).first()
    balance = (
        book_balance(found.magazine_id, found.product) - BALANCE_SIGN[found.kind] * found.quantity
    )
    if balance < 0:
        raise InvalidInput(_("the reversal would leave a negative balance"), field="entry")
    reversal = MagazineEntry.objects.create(
        organisation_id=found.organisation_id, magazine_id=found.magazine_id,
        product=found.product, kind=MagazineEntryKind.REVERSAL, quantity=found.quantity,
        occurred_at=timezone.now(), blast_id=found.blast_id, reverses=found, reason=reason.strip(),
        book_balance=balance, recorded_by=_user(actor), is_synthetic=found.is_synthetic,
    )  # fmt: skip
    audit.record(actor=actor, action=AuditAction.CREATE, instance=reversal,
                 after=audit.snapshot(reversal), note=f"reverses entry {found.pk}: {reason}"[:500])  # fmt: skip
    return reversal


def _blast_difference(entry: MagazineEntry) -> Decimal | None:
    """issued − consumed − returned for the entry's blast, once consumption is reported."""
    lines = _live(entry.magazine, entry.product, entry.blast_id)
    totals = {k: v or Decimal("0") for k, v in (
        (kind, lines.filter(kind=kind).aggregate(total=Sum("quantity"))["total"])
        for kind in ("issue", "return", "consumption"))}  # fmt: skip
    if not lines.filter(kind="consumption").exists() and totals["return"] <= totals["issue"]:
        return None
    return totals["issue"] - totals["consumption"] - totals["return"]


def _check_discrepancy(entry: MagazineEntry) -> None:
    details: dict[str, Any] = {"product": entry.product, "entry": entry.pk,
                               "unit": PRODUCT_UNITS[entry.product]}  # fmt: skip
    if entry.kind == "count":
        difference = entry.book_balance - entry.quantity
        details.update(check="count", counted=str(Decimal(entry.quantity).quantize(MILLI)),
                       book=str(Decimal(entry.book_balance).quantize(MILLI)))  # fmt: skip
    elif entry.blast_id and entry.kind in ("return", "consumption"):
        blast_difference = _blast_difference(entry)
        if blast_difference is None:
            return
        difference = blast_difference
        details.update(check="blast", blast=entry.blast_id)
    else:
        return
    if difference == 0:
        return
    details["difference"] = str(Decimal(difference).quantize(MILLI))
    losses.store_finding(LossFinding(
        organisation_id=entry.organisation_id, site_id=entry.magazine_id,
        kind=FindingKind.MAGAZINE, severity=DISCREPANCY_SEVERITY, began_at=entry.occurred_at,
        series_key=entry.blast_id or "count", series_label=entry.get_product_display(),
        estimated_loss_t=float(difference), details=details, is_synthetic=entry.is_synthetic,
    ))  # fmt: skip
