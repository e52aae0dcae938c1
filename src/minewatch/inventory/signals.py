"""Loss findings become alerts through the organisation's alert rules (source ``inventory``).

One finding, one alert: a trip's missing mass carries what the tracking engine saw on
that trip in the same alert (at a higher severity), never a second alert.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from minewatch.core.events import Event
from minewatch.inventory.choices import FindingKind

logger = logging.getLogger("minewatch.inventory")


def _lines(finding: Any) -> list[str]:
    lot = finding.lot
    lines = []
    if lot is not None:
        lines.append(_("Lot %(lot)s, trip %(trip)s, truck %(truck)s, driver %(driver)s, "
                       "contractor %(contractor)s.") % {
            "lot": lot.reference, "trip": lot.trip or "—", "truck": lot.truck.plate,
            "driver": lot.driver_name or "—", "contractor": lot.contractor or "—"})  # fmt: skip
    if finding.kind == FindingKind.TRIP_LOSS:
        lines.append(_("Missing %(tonnes).3f dry t (%(pct).2f %%), z = %(z).1f.") % {
            "tonnes": finding.estimated_loss_t, "pct": finding.details.get("difference_pct", 0),
            "z": finding.z_score or 0})  # fmt: skip
        for sign in finding.details.get("tracking", []):
            lines.append(_("Tracking: %(kind)s at %(time)s.") % {"kind": sign["kind"],
                         "time": sign["time"][:16].replace("T", " ")})  # fmt: skip
    elif finding.kind == FindingKind.DRIFT:
        lines.append(_("Drift began with lot %(lot)s on %(date)s; %(trips)d trips, about "
                       "%(tonnes).2f dry t lost.") % {
            "lot": finding.began_lot, "date": f"{finding.began_at:%Y-%m-%d}",
            "trips": finding.trips, "tonnes": finding.estimated_loss_t})  # fmt: skip
    elif finding.kind == FindingKind.MAGAZINE:
        d = finding.details
        if d.get("check") == "count":
            lines.append(_("Physical count %(counted)s %(unit)s against a book balance of "
                           "%(book)s %(unit)s.") % d)  # fmt: skip
        else:
            lines.append(_("Blast %(blast)s: issued − consumed − returned = %(difference)s "
                           "%(unit)s.") % d)  # fmt: skip
    else:
        for row in finding.details.get("seals", []):
            lines.append(_("Seal %(number)s: %(status)s.") % row)
    return lines


def _title(finding: Any) -> str:
    if finding.kind == FindingKind.TRIP_LOSS:
        if finding.details.get("tracking"):
            return _("Missing concentrate after a stop on lot %(lot)s") % {"lot": finding.lot}
        return _("Missing concentrate on lot %(lot)s") % {"lot": finding.lot}
    if finding.kind == FindingKind.DRIFT:
        return _("Slow concentrate loss: %(series)s %(name)s") % {
            "series": finding.get_series_kind_display().lower(),
            "name": finding.series_label,
        }
    if finding.kind == FindingKind.MAGAZINE:
        return _("Explosives discrepancy at %(magazine)s: %(product)s, %(difference)s %(unit)s") % {
            "magazine": finding.site, "product": finding.series_label,
            "difference": finding.details.get("difference"), "unit": finding.details.get("unit")}  # fmt: skip
    return _("Seal discrepancy on lot %(lot)s") % {"lot": finding.lot}


def finding_input(finding: Any) -> Any:
    """The AlertInput for one finding (subject: the lot, or the series of a drift)."""
    from minewatch.alerts.services.rules import AlertInput

    lot = finding.lot
    if finding.kind == FindingKind.DRIFT:
        subject = f"{finding.series_kind}:{finding.series_key}"
    elif finding.kind == FindingKind.MAGAZINE:
        subject = f"magazine:{finding.site_id}:{finding.details.get('product')}:{finding.pk}"
    else:
        subject = lot.reference
    return AlertInput(
        organisation_id=finding.organisation_id, kind=f"inventory.{finding.kind}",
        severity=finding.severity, source="inventory", occurred_at=finding.created_at,
        title=_title(finding)[:200], description="\n".join(_lines(finding)),
        site_id=finding.site_id, subject_type="inventory", subject_key=subject[:120],
        lat=finding.site.lat, lon=finding.site.lon,
        details={"finding_id": finding.pk, "lot": lot.reference if lot else None,
                 "trip": lot.trip.reference if lot and lot.trip else None,
                 "truck": lot.truck.plate if lot else None,
                 "driver": lot.driver_name if lot else None,
                 "contractor": str(lot.contractor) if lot and lot.contractor else None,
                 "estimated_loss_t": finding.estimated_loss_t, **finding.details},
        is_synthetic=finding.is_synthetic,
    )  # fmt: skip


def on_event(event: Event) -> list[Any]:
    """core.events subscriber: ``inventory.finding`` → the alert rules."""
    if event.name != "inventory.finding" or event.organisation_id is None:
        return []
    from minewatch.alerts.services.alerts import raise_alert
    from minewatch.inventory.models import LossFinding

    finding = (
        LossFinding.objects.select_related(
            "lot__truck", "lot__trip", "lot__contractor", "site", "began_lot"
        )  # fmt: skip
        .filter(pk=event.payload.get("id"), organisation_id=event.organisation_id)
        .first()
    )
    if finding is None:
        logger.warning("inventory finding %s vanished before its alert", event.payload)
        return []
    return raise_alert(finding_input(finding))
