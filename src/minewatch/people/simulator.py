"""The demo's gate simulator: access controllers that keep sending passes while the demo runs.

Every few seconds a person on shift passes a demo gate; every few passes one of the anomaly
scenarios below plays, in turn, so that over one cycle every kind of
``people.choices.AnomalyKind`` happens. The events are what a controller posts to
``/api/v1/access-events/`` and go through the same service
(``services.record_access_events``), so they are stored, checked and published as detections
like real ones. The demo's history (``people.demo``) plays the same scenarios yesterday.

All of it is synthetic: the people, badges and plates are the demo's.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from minewatch.people import services
from minewatch.people.choices import AnomalyKind
from minewatch.people.engine.anomalies import Hours, Shift

logger = logging.getLogger("minewatch.people.simulator")

MAIN_GATE = "Garita principal {mine}"
MAGAZINE_GATE = "Garita del polvorín {mine} (sintético)"
# One scenario per anomaly kind, in the order the simulator plays them.
SCENARIOS: tuple[str, ...] = tuple(AnomalyKind.values)


@dataclass(frozen=True)
class Badge:
    """A demo person's badge, their shifts at the gate's mine and whether they are cleared."""

    credential: str
    shifts: tuple[Shift, ...]
    cleared: bool

    def on_shift(self, at: dt.datetime) -> bool:
        local = timezone.localtime(at).time()
        return any(shift.covers(local) for shift in self.shifts)


@dataclass
class GatePlan:
    """One company's demo gates and who passes them (built from the database)."""

    actor: Any
    gate_id: int
    badges: list[Badge] = field(default_factory=list)
    unassigned: str = ""  # cleared, posted to no site
    revoked: str = ""
    expired: str = ""
    magazine_gate_id: int | None = None
    magazine_badge: str = ""  # posted to the magazine on the night shift
    magazine_hours: Hours = Hours(dt.time(6), dt.time(18))

    def supports(self, kind: str) -> bool:
        needs = {AnomalyKind.NOT_ASSIGNED: self.unassigned,
                 AnomalyKind.REVOKED_CREDENTIAL: self.revoked,
                 AnomalyKind.EXPIRED_CREDENTIAL: self.expired,
                 AnomalyKind.AFTER_HOURS_MAGAZINE: self.magazine_badge}  # fmt: skip
        return bool(needs.get(kind, True))


LastDirection = Callable[[int, str, dt.datetime], "str | None"]


def last_direction(gate_id: int, credential: str, before: dt.datetime) -> str | None:
    """The direction of the credential's latest pass at the gate before ``before``."""
    from minewatch.people.models import AccessEvent
    from minewatch.people.validation import lookup_key

    return (AccessEvent.objects.filter(access_point_id=gate_id, credential=lookup_key(credential),
                                       occurred_at__lt=before)
            .order_by("-occurred_at").values_list("direction", flat=True).first())  # fmt: skip


def _event(gate_id: int, credential: str, direction: str, at: dt.datetime,
           result: str = "granted", kind: str | None = None) -> dict[str, Any]:  # fmt: skip
    """One event as a controller posts it to /api/v1/access-events/."""
    event = {"controller_event_id": f"sim-{uuid.uuid4().hex[:16]}", "access_point": gate_id,
             "time": at.isoformat(), "direction": direction, "credential": credential,
             "result": result}  # fmt: skip
    if kind:
        event["kind"] = kind
    return event


def _pick(badges: list[Badge], at: dt.datetime, rng: random.Random, *, cleared: bool,
          on_shift: bool) -> Badge | None:  # fmt: skip
    fits = [b for b in badges if b.cleared == cleared and b.on_shift(at) == on_shift]
    return rng.choice(fits) if fits else None


def _flip(previous: str | None) -> str:
    return "out" if previous == "in" else "in"


def _closed_moment(hours: Hours, at: dt.datetime, rng: random.Random) -> dt.datetime:
    """``at`` when the magazine is closed then; else a moment before today's opening (a
    controller uploading the night's buffer, as they do after a link outage)."""
    if not hours.covers(timezone.localtime(at).time()):
        return at
    local = timezone.localtime(at)
    opening = local.replace(hour=hours.start.hour, minute=hours.start.minute, second=0,
                            microsecond=0)  # fmt: skip
    return opening - dt.timedelta(minutes=rng.randint(10, 120))


def scenario_events(kind: str, plan: GatePlan, at: dt.datetime, rng: random.Random,
                    previous: LastDirection = last_direction) -> list[dict[str, Any]]:  # fmt: skip
    """The controller events that make one anomaly of ``kind`` happen at ``at`` (none when the
    plan lacks what the scenario needs)."""
    gate, second = plan.gate_id, dt.timedelta(seconds=20)
    if kind == AnomalyKind.UNKNOWN_CREDENTIAL:  # a DNI typed at the gate, not on file
        return [_event(gate, f"0{rng.randint(1000000, 9999999)}", "in", at)]
    if kind == AnomalyKind.REVOKED_CREDENTIAL and plan.revoked:
        return [_event(gate, plan.revoked, "in", at, result="denied")]
    if kind == AnomalyKind.EXPIRED_CREDENTIAL and plan.expired:
        return [_event(gate, plan.expired, "in", at, result="denied")]
    if kind == AnomalyKind.REPEATED_DENIALS:  # someone tries a card the reader refuses
        card = f"0{rng.randint(1000000, 9999999)}"
        return [_event(gate, card, "in", at - n * second, result="denied") for n in (2, 1, 0)]
    if kind == AnomalyKind.UNPLANNED_VEHICLE:
        plate = f"Z{rng.choice('BCDFGHKLMPRTVWXY')}{rng.randint(1, 9)}-{rng.randint(100, 999)}"
        return [_event(gate, plate, "in", at, kind="plate")]
    if kind == AnomalyKind.AFTER_HOURS_MAGAZINE and plan.magazine_gate_id and plan.magazine_badge:
        when = _closed_moment(plan.magazine_hours, at, rng)
        events = []
        if previous(plan.magazine_gate_id, plan.magazine_badge, when) == "in":
            events.append(_event(plan.magazine_gate_id, plan.magazine_badge, "out", when - second))
        return [*events, _event(plan.magazine_gate_id, plan.magazine_badge, "in", when)]
    return _person_scenario(kind, plan, at, rng, previous)


def _person_scenario(kind: str, plan: GatePlan, at: dt.datetime, rng: random.Random,
                     previous: LastDirection) -> list[dict[str, Any]]:  # fmt: skip
    gate = plan.gate_id
    badge: Badge | str | None = None
    if kind == AnomalyKind.NOT_CLEARED:
        badge = (_pick(plan.badges, at, rng, cleared=False, on_shift=True)
                 or _pick(plan.badges, at, rng, cleared=False, on_shift=False))  # fmt: skip
    elif kind == AnomalyKind.NOT_ASSIGNED:
        badge = plan.unassigned or None
    elif kind == AnomalyKind.OUTSIDE_SHIFT:
        badge = _pick(plan.badges, at, rng, cleared=True, on_shift=False)
    elif kind == AnomalyKind.ANTI_PASSBACK:
        badge = _pick(plan.badges, at, rng, cleared=True, on_shift=True)
        if badge is None:
            return []
        first = [] if previous(gate, badge.credential, at) == "in" else [
            _event(gate, badge.credential, "in", at - dt.timedelta(seconds=30))]  # fmt: skip
        return [*first, _event(gate, badge.credential, "in", at)]
    if badge is None:
        return []
    credential = badge if isinstance(badge, str) else badge.credential
    return [_event(gate, credential, _flip(previous(gate, credential, at)), at)]


def routine_pass(plan: GatePlan, at: dt.datetime, rng: random.Random,
                 previous: LastDirection = last_direction,
                 skip: frozenset[str] = frozenset()) -> list[dict[str, Any]]:  # fmt: skip
    """A cleared person on shift going in or out (the opposite of their last pass)."""
    fits = [b for b in plan.badges
            if b.cleared and b.on_shift(at) and b.credential not in skip]  # fmt: skip
    if not fits:
        return []
    badge = rng.choice(fits)
    return [_event(plan.gate_id, badge.credential,
                   _flip(previous(plan.gate_id, badge.credential, at)), at)]  # fmt: skip


def plan_for(kind: str, plans: list[GatePlan]) -> GatePlan | None:
    """Where a scenario plays: repeated denials at the second company's gate when there is
    one (so the first gate's own denials do not add up to it), the others at the first gate
    that has what they need."""
    order = plans[1:] + plans[:1] if kind == AnomalyKind.REPEATED_DENIALS else plans
    return next((plan for plan in order if plan.supports(kind)), None)


def send(plan: GatePlan, events: list[dict[str, Any]], now: dt.datetime) -> Any:
    """Post a batch through the access-event service (as ``POST /api/v1/access-events/``)."""
    return services.record_access_events(actor=plan.actor, events=events, now=now)


class GateSimulator(threading.Thread):
    """Every ``interval_s``: one routine pass; every ``anomaly_every``-th time, the next
    anomaly scenario too. Runs until ``stop()``; each step's problems are logged."""

    def __init__(self, plans: list[GatePlan], *, interval_s: float = 20.0,
                 anomaly_every: int = 4, rng: random.Random | None = None) -> None:  # fmt: skip
        super().__init__(name="gate-simulator", daemon=True)
        self.plans, self.interval_s, self.anomaly_every = plans, interval_s, anomaly_every
        self.rng = rng or random.Random()
        self.steps = self.next_scenario = 0
        self.sent = self.rejected = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def step(self, now: dt.datetime | None = None) -> list[Any]:
        """One tick: the batches sent and the service's result for each."""
        now = now or timezone.now()
        self.steps += 1
        results = []
        plan = self.rng.choice(self.plans)
        batches = [(plan, routine_pass(plan, now, self.rng, skip=_on_manifests()))]
        if self.steps % self.anomaly_every == 0:
            kind = SCENARIOS[self.next_scenario % len(SCENARIOS)]
            self.next_scenario += 1
            where = plan_for(kind, self.plans)
            if where is not None:
                batches.append((where, scenario_events(kind, where, now, self.rng)))
        for where, events in batches:
            if events:
                result = send(where, events, now)
                self.sent += len(result.stored)
                self.rejected += len(result.rejected)
                results.append(result)
        return results

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            try:
                self.step()
            except Exception:
                logger.exception("gate simulator step failed")
            finally:
                close_old_connections()


def _on_manifests() -> frozenset[str]:
    """Badges of passengers not checked in at arrival: the gate reconciles manifests, so a
    pass of theirs would board them long before the bus leaves, or check in the demo's
    missing passenger."""
    from minewatch.people.models import TripPassenger

    return frozenset(TripPassenger.objects.filter(arrived_at__isnull=True)
                     .values_list("person__badge_number", flat=True))  # fmt: skip


def demo_plans() -> list[GatePlan]:
    """The demo companies' gates and people, from the database (first company first)."""
    from minewatch.core.choices import Role
    from minewatch.core.models import User
    from minewatch.geo.models import Site
    from minewatch.people.models import Credential, Person
    from minewatch.people.queries import status_of

    plans = []
    now = timezone.now()
    gates = Site.objects.filter(kind="access_point", name__startswith="Garita principal",
                                parent__isnull=False).select_related("parent").order_by("pk")  # fmt: skip
    for gate in gates:
        org_id = gate.organisation_id
        actor = User.objects.filter(organisation_id=org_id, is_active=True,
                                    role__in=[Role.ADMIN, Role.SECURITY_MANAGER]).order_by("pk").first()  # fmt: skip
        if actor is None:
            continue
        config = services.settings_for(org_id)
        plan = GatePlan(actor=actor, gate_id=gate.pk,
                        magazine_hours=Hours(config.magazine_opens, config.magazine_closes))  # fmt: skip
        synthetic = Person.objects.filter(organisation_id=org_id, is_synthetic=True,
                                          status="active").exclude(badge_number="")  # fmt: skip
        on_board = _on_manifests()
        for person in synthetic.filter(assignments__site=gate.parent, assignments__is_active=True
                                       ).distinct().prefetch_related("assignments"):  # fmt: skip
            if person.badge_number in on_board:
                continue
            shifts = tuple(Shift(a.site_id, a.shift_start, a.shift_end)
                           for a in person.assignments.all() if a.site_id == gate.parent_id)  # fmt: skip
            plan.badges.append(Badge(person.badge_number, shifts, status_of(person).cleared))
        loose = synthetic.filter(assignments__isnull=True).order_by("pk").first()
        plan.unassigned = loose.badge_number if loose else ""
        credentials = Credential.objects.filter(organisation_id=org_id, person__is_synthetic=True)
        revoked = credentials.filter(revoked_at__lte=now).first()
        expired = credentials.filter(revoked_at__isnull=True, valid_until__lt=now).first()
        plan.revoked = revoked.value if revoked else ""
        plan.expired = expired.value if expired else ""
        magazine_gate = Site.objects.filter(kind="access_point", organisation_id=org_id,
                                            parent__kind="explosives_magazine").first()  # fmt: skip
        if magazine_gate is not None:
            keeper = synthetic.filter(assignments__site=magazine_gate.parent_id).first()
            if keeper is not None:
                plan.magazine_gate_id, plan.magazine_badge = magazine_gate.pk, keeper.badge_number
        plans.append(plan)
    return plans
