"""Demo personnel: synthetic guards, supervisors, drivers and staff of the demo companies
and their two contractors, with vetting (some expiring, some expired), licences, training,
credentials (one revoked, one expired), gates at two mines and at the Las Bambas explosives
magazine, yesterday's passes with one of each anomaly kind, visitors (some gone, one
overstaying) and two staff buses with their manifests (one passenger missing at arrival).
While the demo runs, ``simulators`` starts the gate simulator (``people.simulator``).

Every person, visitor, badge and plate here is synthetic (``is_synthetic``, "(sintético)"
in the name); the DNI numbers are generated and carry no meaning.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from minewatch.geo import services as geo_services
from minewatch.people import services, simulator, visits
from minewatch.people.testing import PASSED, TRAINED

logger = logging.getLogger("minewatch.people.demo")

FIRST = ("Juan", "Rosa", "Luis", "María", "Carlos", "Ana", "Jorge", "Elena", "Pedro", "Lucía",
         "Miguel", "Carmen", "José", "Sofía", "Raúl", "Teresa")  # fmt: skip
LAST = ("Quispe", "Mamani", "Huamán", "Flores", "Condori", "Ramos", "Chávez", "Torres",
        "Vargas", "Cárdenas", "Apaza", "Ccahuana")  # fmt: skip
# (gate key, mine key, manager user, employer, roles of the people posted there)
GATES = (
    ("las_bambas", "las_bambas", "admin", "psc1",
     ("guard",) * 6 + ("supervisor", "driver", "driver", "staff")),
    ("antamina", "antamina", "manager2", "psc2", ("guard",) * 5 + ("supervisor", "staff")),
)  # fmt: skip
# Home districts (UBIGEO); the first is Challhuahuacho, next to Las Bambas (hired locally).
LOCAL_UBIGEO = "030506"
FAR_UBIGEO = ("150101", "040101", "080101", "130101")


def _vet(actor: Any, person: Any, today: dt.date, rng: Any, police_expires_in: int | None,
         failed: bool = False) -> None:  # fmt: skip
    on = today - dt.timedelta(days=rng.randint(20, 200))
    for kind in (*PASSED, "drug_test"):
        until = (today + dt.timedelta(days=police_expires_in)
                 if police_expires_in is not None and kind == "police_record" else None)  # fmt: skip
        result = "failed" if failed and kind == "polygraph" else "clear"
        services.add_vetting(actor=actor, person=person, kind=kind, date=on, result=result,
                             issuing_body="PNP / Poder Judicial (sintético)",
                             reviewer="Revisor demo", expires_on=until)  # fmt: skip
    for kind in (*TRAINED, "de_escalation"):
        services.add_training(actor=actor, person=person, kind=kind, date=on,
                              provider="Centro de capacitación (sintético)", hours=8)  # fmt: skip
    services.add_licence(actor=actor, person=person, number=f"SUCAMEC-{person.pk:06d}",
                         category="Vigilante privado", issued_on=on,
                         expires_on=today + dt.timedelta(days=rng.randint(90, 700)),
                         armed=person.role in ("escort", "supervisor"))  # fmt: skip


def load(context: Any) -> None:
    """Gates, their personnel with records and assignments, yesterday's passes, visitors and
    the staff buses."""
    from minewatch.core.demo import PSC_1, PSC_2

    employers = {"psc1": context.organisations[PSC_1], "psc2": context.organisations[PSC_2]}
    rng, today = context.rng, timezone.localdate()
    count = number = 0
    for gate_key, mine_key, user_key, employer_key, roles in GATES:
        actor, mine = context.users[user_key], context.sites[mine_key]
        gate = geo_services.save_site(
            actor=actor, organisation=mine.organisation,
            name=simulator.MAIN_GATE.format(mine=mine.name), kind="access_point",
            lat=mine.lat + 0.004, lon=mine.lon + 0.004, parent=mine,
            description="Punto de acceso de demostración (sintético)",
        )  # fmt: skip
        context.sites[f"gate_{gate_key}"] = gate
        # The contractor's guards staff the gate: its people see and record the passes there
        # (an assignment is per site; the mine's does not cover its gates).
        geo_services.assign_contractor(actor=actor, site=gate, contractor=employers[employer_key],
                                       service="Control de acceso (demo)")  # fmt: skip
        people = []
        for index, role in enumerate(roles):
            number += 1
            name = f"{FIRST[number % len(FIRST)]} {LAST[number % len(LAST)]} (sintético)"
            own = role in ("staff", "driver")
            person = services.save_person(
                actor=actor, name=name, document_number=f"9{rng.randint(1000000, 9999999)}",
                role=role, employer=mine.organisation if own else employers[employer_key],
                badge_number=f"{gate_key[:3].upper()}-{number:03d}",
                phone=f"+5190000{number:04d}",
                home_ubigeo=LOCAL_UBIGEO if (gate_key == "las_bambas" and index == 0)
                else FAR_UBIGEO[number % len(FAR_UBIGEO)], is_synthetic=True,
            )  # fmt: skip
            # One expiring, one expired and one failed per gate; the others cleared.
            expires = {1: 10, 2: -5}.get(index)
            _vet(actor, person, today, rng, expires, failed=index == 3)
            night = index % 3 == 2
            services.assign(actor=actor, person=person, site=mine,
                            shift_start="18:00" if night else "06:00",
                            shift_end="06:00" if night else "18:00")  # fmt: skip
            people.append(person)
            count += 1
        context.extra[f"people_{gate_key}"] = people
        _day_of_passes(actor, gate, people, context.now)
    context.summary.append(f"{count} synthetic personnel at 2 gates with vetting and passes")
    engineer = _las_bambas_extras(context)
    _anomalies_of_yesterday(context)
    # after yesterday's passes: a pass of a manifest's passenger boards or checks them in
    _buses(context, context.extra["people_las_bambas"], engineer)


def _las_bambas_extras(context: Any) -> Any:
    """A plant engineer posted nowhere (returned), a revoked and an expired credential, the
    magazine's gate and keeper, visitors."""
    actor, mine = context.users["admin"], context.sites["las_bambas"]
    people, now = context.extra["people_las_bambas"], context.now
    engineer = services.save_person(
        actor=actor, name="Ingeniero de planta Ramírez (sintético)", role="staff",
        document_number=f"9{context.rng.randint(1000000, 9999999)}", badge_number="LAS-900",
        employer=mine.organisation, home_ubigeo="150101", is_synthetic=True,
    )  # fmt: skip
    _vet(actor, engineer, timezone.localdate(), context.rng, None)
    services.issue_credential(actor=actor, kind="qr", value="QR-LAS-0001", person=people[0],
                              valid_from=now - dt.timedelta(days=60))  # fmt: skip
    lost = services.issue_credential(actor=actor, kind="qr", value="QR-LAS-0004",
                                     person=people[4], valid_from=now - dt.timedelta(days=60))  # fmt: skip
    services.revoke_credential(actor=actor, credential=lost, at=now - dt.timedelta(days=3),
                               reason="Credencial reportada como extraviada (sintético)")  # fmt: skip
    services.issue_credential(actor=actor, kind="badge", value="TMP-LAS-0006", person=people[6],
                              valid_from=now - dt.timedelta(days=30),
                              valid_until=now - dt.timedelta(days=2))  # fmt: skip
    _magazine_gate(context, people[5])
    _visitors(context, engineer)
    return engineer


def _magazine_gate(context: Any, keeper: Any) -> None:
    """The explosives magazine's gate (the inventory demo made the magazine); one night-shift
    guard is posted there too."""
    from minewatch.geo.models import Site

    actor, mine = context.users["admin"], context.sites["las_bambas"]
    magazine = Site.objects.filter(organisation=mine.organisation,
                                   kind="explosives_magazine").order_by("pk").first()  # fmt: skip
    if magazine is None:
        return
    context.sites["gate_magazine"] = geo_services.save_site(
        actor=actor, organisation=mine.organisation, kind="access_point", parent=magazine,
        name=simulator.MAGAZINE_GATE.format(mine=mine.name), lat=magazine.lat + 0.001,
        lon=magazine.lon, description="Punto de acceso de demostración (sintético)",
    )  # fmt: skip
    services.assign(actor=actor, person=keeper, site=magazine, shift_start="18:00",
                    shift_end="06:00")  # fmt: skip


# (name, DNI, hours ago checked in, hours from check-in to the expected exit, hours inside
# until checked out (None: still inside), purpose, plate)
VISITORS = (
    ("Carlos Mendoza Paredes (visitante, sintético)", "70000011", 7, 4, 3,
     "Auditoría de seguridad", ""),
    ("Lucía Ferrer Soto (visitante, sintético)", "70000012", 5, 3, 2.5,
     "Mantenimiento de cámaras", "ZV1-204"),
    ("Óscar Villanueva Ríos (visitante, sintético)", "70000013", 6, 3, None,
     "Reunión con relaciones comunitarias", ""),  # overstaying: expected 3 h ago
    ("Rita Calderón Núñez (visitante, sintético)", "70000014", 1, 4, None,
     "Entrega de repuestos", "ZV2-118"),
)  # fmt: skip


def _visitors(context: Any, host: Any) -> None:
    actor, gate, now = context.users["admin"], context.sites["gate_las_bambas"], context.now
    for name, dni, ago, stay, inside, purpose, plate in VISITORS:
        arrived = now - dt.timedelta(hours=ago)
        visitor = visits.check_in_visitor(
            actor=actor, access_point=gate, name=name, document_number=dni, purpose=purpose,
            expected_exit=arrived + dt.timedelta(hours=stay), host=host, vehicle_plate=plate,
            escorted=True, is_synthetic=True, now=arrived,
        )  # fmt: skip
        if inside is not None:
            visits.check_out_visitor(actor=actor, visitor=visitor,
                                     now=arrived + dt.timedelta(hours=inside))  # fmt: skip
    context.summary.append(f"{len(VISITORS)} synthetic visitors at {gate.name} (1 overstaying)")


BUS_PLATE = "ZBU-701"


def _buses(context: Any, people: list[Any], engineer: Any) -> None:
    """This morning's staff bus, arrived, one passenger not checked in at arrival; and this
    afternoon's, planned, nobody boarded yet."""
    from minewatch.tracking.services import fleet

    actor, mine, now = context.users["admin"], context.sites["las_bambas"], context.now
    bus = fleet.save_vehicle(actor=actor, organisation=mine.organisation, plate=BUS_PLATE,
                             kind="bus", site=mine,
                             description="Bus de personal (demo, sintético)")  # fmt: skip
    services.issue_credential(actor=actor, kind="plate", value=BUS_PLATE, vehicle=bus,
                              valid_from=now - dt.timedelta(days=30))  # fmt: skip
    departed = now - dt.timedelta(hours=4)
    trip = fleet.save_trip(
        actor=actor, organisation=mine.organisation, reference="DEMO-BUS-01", site=mine,
        departure_after=departed - dt.timedelta(minutes=30),
        arrival_before=departed + dt.timedelta(hours=3), vehicles=[(bus, "cargo")],
        notes="Bus de personal Cusco → Las Bambas (demo, sintético)", is_synthetic=True,
    )  # fmt: skip
    riders = [people[i] for i in (0, 1, 7, 8, 9)] + [engineer]
    lines = [visits.add_passenger(actor=actor, trip=trip, person=p) for p in riders]
    for line in lines:
        visits.check_passenger(actor=actor, passenger=line, stage="board",
                               now=departed - dt.timedelta(minutes=10))  # fmt: skip
    trip = fleet.change_trip_status(trip, actor=actor, to_status="en_route", at=departed)
    arrived = departed + dt.timedelta(hours=3)
    fleet.change_trip_status(trip, actor=actor, to_status="arrived", at=arrived)
    missing = lines[3]  # the second driver: boarded, not checked in at arrival
    for line in lines:
        if line is missing:
            continue
        visits.check_passenger(actor=actor, passenger=line, stage="arrive",
                               now=arrived + dt.timedelta(minutes=5))  # fmt: skip
    later = fleet.save_trip(
        actor=actor, organisation=mine.organisation, reference="DEMO-BUS-02", site=mine,
        departure_after=now + dt.timedelta(hours=3), vehicles=[(bus, "cargo")],
        notes="Bus de personal Las Bambas → Cusco (demo, sintético)", is_synthetic=True,
    )  # fmt: skip
    for person in (people[1], people[7], people[9]):
        visits.add_passenger(actor=actor, trip=later, person=person)
    context.summary.append(f"staff buses {trip.reference} ({len(lines)} passengers, 1 missing "
                           f"at arrival) and {later.reference} (planned), synthetic")  # fmt: skip


def _day_of_passes(actor: Any, gate: Any, people: list[Any], now: dt.datetime) -> None:
    """Yesterday's passes: each person in and out on their shift."""
    day = timezone.localtime(now).date() - dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    events = []
    for index, person in enumerate(people):
        night = index % 3 == 2  # as assigned in load()
        passes = ((dt.time(5, 55), "out"), (dt.time(18, 5), "in")) if night else (
            (dt.time(6, 5), "in"), (dt.time(17, 55), "out"))  # fmt: skip
        for at, direction in passes:
            events.append({"access_point": gate.pk, "credential": person.badge_number,
                           "direction": direction,
                           "time": dt.datetime.combine(day, at, tzinfo=tz)})  # fmt: skip
    for index, item in enumerate(events):
        item.update(controller_event_id=f"demo-{gate.pk}-{index}", result="granted")
    services.record_access_events(actor=actor, events=events, now=now)


def _anomalies_of_yesterday(context: Any) -> None:
    """One of each anomaly kind yesterday, played by the simulator's scenarios, one every
    40 minutes from 09:00 (the magazine's comes from before it opened)."""
    day = timezone.localtime(context.now).date() - dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=timezone.get_current_timezone())
    plans = simulator.demo_plans()
    for index, kind in enumerate(simulator.SCENARIOS):
        plan = simulator.plan_for(kind, plans)
        if plan is None:
            continue
        at = start + dt.timedelta(minutes=40 * index)
        events = simulator.scenario_events(kind, plan, at, context.rng)
        simulator.send(plan, events, context.now)


def simulators(context: Any, base_url: str) -> list[Callable[[], None]]:
    """Start the gate simulator (passes and, in turn, every anomaly) once the server listens."""
    plans = simulator.demo_plans()

    def start() -> None:
        if plans:
            simulator.GateSimulator(plans).start()
            logger.info("demo gate simulator running at %s gates", len(plans))

    return [start]
