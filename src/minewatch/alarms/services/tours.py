"""Guard tours: routes with checkpoints, starting a tour, scanning a code, checking in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.alarms.engine import tours as engine
from minewatch.alarms.models import Checkpoint, CheckpointScan, PatrolRoute, TourRun
from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict


def engine_route(route: PatrolRoute) -> engine.PatrolRoute:
    return engine.PatrolRoute(str(route.pk), tuple(
        engine.Checkpoint(c.code, c.offset_minutes * 60.0, c.tolerance_minutes * 60.0)
        for c in route.checkpoints.all()
    ))  # fmt: skip


def save_route(
    *, actor: Any, organisation: Any, route: PatrolRoute | None = None,
    checkpoints: list[dict[str, Any]] | None = None, **values: Any,
) -> PatrolRoute:  # fmt: skip
    """Create or change a patrol route; ``checkpoints`` (in walking order) replace the old ones."""
    if not has_capability(actor, "configure_alerts"):
        raise NotAllowed("your role cannot configure patrol routes", field="role")
    site = values.get("site") or getattr(route, "site", None)
    if site is None or site.organisation_id != organisation.pk:
        raise InvalidInput("a site of your organisation is required", field="site")
    if route is None and not checkpoints:
        raise InvalidInput("a route needs at least one checkpoint", field="checkpoints")
    codes = [c.get("code") for c in checkpoints or []]
    clash = Checkpoint.objects.filter(route__organisation=organisation, code__in=codes)
    if route is not None:
        clash = clash.exclude(route=route)
    if len(set(codes)) != len(codes) or clash.exists():
        raise InvalidInput(
            "checkpoint codes must be unique in your organisation", field="checkpoints"
        )
    with transaction.atomic():
        before = audit.snapshot(route) if route else None
        target = route or PatrolRoute(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        target.full_clean()
        target.save()
        if checkpoints is not None:
            _replace_checkpoints(target, checkpoints)
            try:
                engine_route(target)
            except ValueError as exc:
                raise InvalidInput(str(exc), field="checkpoints") from None
        audit.record(actor=actor, action=AuditAction.UPDATE if route else AuditAction.CREATE,
                     instance=target, before=before, after=audit.snapshot(target))  # fmt: skip
    return target


def _replace_checkpoints(route: PatrolRoute, checkpoints: list[dict[str, Any]]) -> None:
    """Make ``checkpoints`` (in walking order) the route's; a checkpoint keeps its row by code.

    Scans point at their checkpoint (the tour history), so a checkpoint that a
    guard has scanned cannot be dropped from the route; it is refused by name.
    """
    existing = {checkpoint.code: checkpoint for checkpoint in route.checkpoints.all()}
    codes = {data.get("code") for data in checkpoints}
    dropped = [checkpoint for code, checkpoint in existing.items() if code not in codes]
    scanned = sorted(c.code for c in dropped if c.scans.exists())
    if scanned:
        raise InvalidInput(
            _("checkpoint(s) %(codes)s already have scans and cannot be removed from the route")
            % {"codes": ", ".join(scanned)},
            field="checkpoints",
        )
    Checkpoint.objects.filter(pk__in=[c.pk for c in dropped]).delete()
    for order, data in enumerate(checkpoints):
        values = {k: v for k, v in data.items() if k != "order"}
        checkpoint = existing.get(data.get("code")) or Checkpoint(route=route)
        checkpoint.order = order
        for name, value in values.items():
            setattr(checkpoint, name, value)
        checkpoint.save()


def start_tour(
    *, actor: Any, route: PatrolRoute, started_at: dt.datetime | None = None,
    is_lone_guard: bool = False, guard: Any = None,
) -> TourRun:  # fmt: skip
    """A guard starts walking a route (the first scan starts one by itself)."""
    if not has_capability(actor, "report_incident"):
        raise NotAllowed("your role cannot start guard tours", field="role")
    guard = guard or actor
    now = timezone.now()
    started_at = started_at or now
    with transaction.atomic():
        tour = TourRun.objects.create(
            organisation_id=route.organisation_id, route=route, site_id=route.site_id, guard=guard,
            started_at=started_at, is_lone_guard=is_lone_guard, last_check_in_at=started_at,
        )  # fmt: skip
        audit.record(
            actor=actor, action=AuditAction.CREATE, instance=tour, after=audit.snapshot(tour)
        )
        publish(Event("tour.started", tour.organisation_id, {"id": tour.pk, "route": route.pk,
                      "guard": guard.username}, site_id=tour.site_id))  # fmt: skip
    return tour


def _status_of(tour: TourRun, code: str, now: dt.datetime) -> str:
    report = engine.evaluate_tour(
        engine_route(tour.route), tour_start_utc=tour.started_at, now_utc=now,
        scans=[engine.CheckpointScan(s.checkpoint.code, s.scanned_at) for s in tour.scans.select_related("checkpoint")],
    )  # fmt: skip
    return next(r.status for r in report.results if r.code == code)


def record_scan(
    *, actor: Any, code: str, scanned_at: dt.datetime | None = None,
    lat: float | None = None, lon: float | None = None,
) -> CheckpointScan:  # fmt: skip
    """A guard scanned a posted code: find the checkpoint and the guard's tour; rate the timing.

    An unknown code (or one of a site the guard cannot see) is refused and nothing is stored.
    """
    if not has_capability(actor, "report_incident"):
        raise NotAllowed("your role cannot scan checkpoints", field="role")
    now = timezone.now()
    scanned_at = scanned_at or now
    if scanned_at > now + dt.timedelta(seconds=int(settings.TUNABLES["clock_skew_s"])):
        raise InvalidInput("cannot be in the future", field="scanned_at")
    visible = restrict(Checkpoint.objects.select_related("route"), actor)
    checkpoint = visible.filter(code=(code or "").strip(), route__is_active=True).first()
    if checkpoint is None:
        raise InvalidInput(f"unknown checkpoint code {code!r}", field="code")
    with transaction.atomic():
        tour = (TourRun.objects.select_for_update(of=("self",)).filter(route=checkpoint.route, guard=actor,
                ended_at__isnull=True).order_by("-started_at").first())  # fmt: skip
        if tour is None:
            tour = start_tour(actor=actor, route=checkpoint.route, started_at=scanned_at)
        scan = CheckpointScan.objects.create(
            organisation_id=tour.organisation_id, site_id=tour.site_id, tour=tour,
            checkpoint=checkpoint, guard=actor, scanned_at=scanned_at, received_at=now, lat=lat,
            lon=lon, status="",
        )  # fmt: skip
        scan.status = _status_of(tour, checkpoint.code, now)
        scan.save(update_fields=["status"])
        tour.last_check_in_at = max(tour.last_check_in_at or scanned_at, scanned_at)
        if not tour.route.checkpoints.exclude(scans__tour=tour).exists():
            tour.ended_at = now  # every checkpoint scanned: the tour is complete
        tour.save(update_fields=["last_check_in_at", "ended_at"])
        audit.record(
            actor=actor, action=AuditAction.CREATE, instance=scan, after=audit.snapshot(scan)
        )
        publish(Event("tour.checkpoint_scanned", tour.organisation_id, {
            "tour": tour.pk, "code": checkpoint.code, "status": scan.status,
            "guard": actor.username, "completed": tour.ended_at is not None,
        }, site_id=tour.site_id))  # fmt: skip
    return scan


def check_in(tour: TourRun, *, actor: Any, at: dt.datetime | None = None) -> TourRun:
    """A lone guard says "I am fine" (the man-down timer restarts)."""
    if actor.pk != tour.guard_id and not has_capability(actor, "operate"):
        raise NotAllowed("only the guard or an operator may check in", field="role")
    if tour.ended_at is not None:
        raise InvalidTransition("the tour has ended", field="tour")
    at = at or timezone.now()
    with transaction.atomic():
        TourRun.objects.filter(pk=tour.pk).update(last_check_in_at=at)
        tour.last_check_in_at = at
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=tour, note="check-in")
    return tour


def end_tour(tour: TourRun, *, actor: Any, at: dt.datetime | None = None) -> TourRun:
    if actor.pk != tour.guard_id and not has_capability(actor, "operate"):
        raise NotAllowed("only the guard or an operator may end a tour", field="role")
    if tour.ended_at is not None:
        raise InvalidTransition("the tour has ended already", field="tour")
    with transaction.atomic():
        tour.ended_at = at or timezone.now()
        tour.save(update_fields=["ended_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=tour, note="tour ended")
    return tour
