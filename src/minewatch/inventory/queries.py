"""Read-only queries of the inventory app, already limited to what the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from minewatch.core.tenancy import restrict
from minewatch.inventory.choices import PRODUCT_UNITS, ExplosiveProduct
from minewatch.inventory.engine.reconciliation import BalanceRow, reconcile
from minewatch.inventory.models import (
    LossFinding,
    Lot,
    MagazineEntry,
    SealCheck,
    Weighbridge,
    Weighing,
)


def weighbridges(user: Any) -> QuerySet:
    return restrict(Weighbridge.objects.select_related("site"), user)


def lots(user: Any) -> QuerySet:
    return restrict(
        Lot.objects.select_related("origin", "destination", "truck", "trip", "contractor",
                                   "route"), user)  # fmt: skip


def weighings(user: Any) -> QuerySet:
    return restrict(Weighing.objects.select_related("lot", "weighbridge", "truck"), user)


def findings(user: Any) -> QuerySet:
    return restrict(LossFinding.objects.select_related("lot", "began_lot", "site"), user)


def seal_checks(user: Any) -> QuerySet:
    return restrict(SealCheck.objects.select_related("lot").prefetch_related("photos"), user)


def month_bounds(month: str | None) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (local time zone) of ``YYYY-MM``, or of the current month; ValueError if malformed."""
    today = timezone.localdate()
    year, number = (today.year, today.month) if not month else map(int, month.split("-", 1))
    if not 1 <= number <= 12 or not 2000 <= year <= 2100:
        raise ValueError(f"month {month!r}: expected YYYY-MM")
    zone = timezone.get_current_timezone()
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def reconciliation(user: Any, month: str | None = None) -> dict[str, Any]:
    """Tonnes dispatched and received in a month, with the difference and its uncertainty,
    in total, by route and by contractor (only balanced lots, i.e. weighed at both ends)."""
    start, end = month_bounds(month)
    rows = list(
        lots(user)
        .filter(dispatched_at__gte=start, dispatched_at__lt=end, z_score__isnull=False)
        .values_list(
            "route__name", "contractor__name", "dispatched_dry_t", "received_dry_t", "sigma_t"
        )  # fmt: skip
    )
    pending = lots(user).filter(dispatched_at__gte=start, dispatched_at__lt=end,
                                z_score__isnull=True).count()  # fmt: skip
    none = "—"
    total: list[BalanceRow] = reconcile(("all", d, r, s) for _r, _c, d, r, s in rows)
    return {
        "month": f"{start:%Y-%m}", "start": start, "end": end, "pending": pending,
        "total": total[0] if total else None,
        "by_route": reconcile((r or none, d, rec, s) for r, _c, d, rec, s in rows),
        "by_contractor": reconcile((c or none, d, rec, s) for _r, c, d, rec, s in rows),
    }  # fmt: skip


def magazines(user: Any) -> QuerySet:
    """Sites of kind explosives magazine the user may see."""
    from minewatch.geo.models import Site

    return restrict(Site.objects.filter(kind="explosives_magazine"), user)


def magazine_ledger(user: Any, magazine: Any, month: str | None = None) -> dict[str, Any]:
    """One month of a magazine's ledger: per product the opening balance, the lines, the
    closing balance; and the month's discrepancies (the printable monthly report)."""
    start, end = month_bounds(month)
    entries = restrict(MagazineEntry.objects.filter(magazine=magazine), user)
    products = []
    for product, label in ExplosiveProduct.choices:
        before = entries.filter(product=product, occurred_at__lt=start).order_by("id").last()
        lines = list(entries.filter(product=product, occurred_at__gte=start, occurred_at__lt=end)
                     .select_related("recorded_by", "reverses").order_by("id"))  # fmt: skip
        if before is None and not lines:
            continue
        opening = before.book_balance if before else 0
        products.append({"product": product, "label": label, "unit": PRODUCT_UNITS[product],
                         "opening": opening, "lines": lines,
                         "closing": lines[-1].book_balance if lines else opening})  # fmt: skip
    discrepancies = findings(user).filter(kind="magazine", site=magazine, created_at__gte=start,
                                          created_at__lt=end)  # fmt: skip
    return {
        "month": f"{start:%Y-%m}",
        "start": start,
        "end": end,
        "products": products,
        "discrepancies": discrepancies,
    }
