"""Alerts benchmark (Django, real database): detection → stored alert + notification started.

Run from the repository root::

    .venv/bin/python benchmarks/alerts.py                       # SQLite file in a temp dir
    .venv/bin/python benchmarks/alerts.py --database-url postgresql://postgres@127.0.0.1:5432/mw_bench

Three measurements, printed (never asserted):

1. Open-loop load at 20, 100 and 1,000 detections/s, each about a different thing (so each
   opens a new alert): latency from the detection's scheduled arrival to (a) the alert
   and its deliveries committed (``raise_alert`` returned; the in-app notification is
   recorded sent, the webhook try queued) and (b) the webhook try started by the delivery
   worker (``DeliveryAttempt.started_at``), against a real local HTTP receiver.
2. A 10-minute burst of 10,000 duplicate detections (the same sensor, one every 60 ms
   of detection time): how many alerts it produces (de-duplication folds them) and how
   fast they are processed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def setup(database_url: str | None) -> None:
    os.environ.setdefault("MINEWATCH_DATA_DIR", tempfile.mkdtemp(prefix="mw-bench-alerts-"))
    if database_url:
        os.environ["MINEWATCH_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    if database_url:  # a scratch database: start empty
        call_command("flush", interactive=False, verbosity=0)


class Receiver:
    """A local webhook receiver answering 200 to everything."""

    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.count += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


PASSWORD = "bench-password-1"  # noqa: S105 - scratch users of a throw-away database


def world(receiver_url: str):  # noqa: ANN201
    from minewatch.alerts.models import EscalationStep
    from minewatch.alerts.services import save_channel
    from minewatch.core import services as core
    from minewatch.geo import services as geo

    org = core.create_organisation(
        actor=None, name=f"Bench {time.time_ns()}", kind="mining_company"
    )
    manager = core.create_user(actor=None, username=f"bench-{time.time_ns()}", password=PASSWORD,
                               organisation=org, role="security_manager")  # fmt: skip
    core.create_user(actor=None, username=f"op-{time.time_ns()}", password=PASSWORD,
                     organisation=org, role="operator")  # fmt: skip
    site = geo.save_site(
        actor=manager, organisation=org, name="Pataz", kind="mine", lat=-7.735, lon=-77.53
    )
    save_channel(actor=manager, organisation=org, name="Webhook", kind="webhook",
                 config={"url": receiver_url}, timeout_s=5)  # fmt: skip
    EscalationStep.objects.filter(policy__organisation=org, order=0).update(
        channels=["inapp", "webhook"]
    )
    return site


def detection(site, *, subject: str, at: datetime):  # noqa: ANN001, ANN201
    from minewatch.alerts.services import AlertInput

    return AlertInput(organisation_id=site.organisation_id, kind="alarm.burglary", severity=4,
                      source="alarm_panel", occurred_at=at, site_id=site.pk, subject_type="panel",
                      subject_key=subject, lat=site.lat, lon=site.lon, title="Bench")  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(site, rate_per_s: float, seconds: float, receiver: Receiver) -> None:  # noqa: ANN001
    """Open loop: detection i is due at t0 + i/rate; latency counts any queueing behind."""
    from django.db import close_old_connections

    from minewatch.alerts.models import DeliveryAttempt
    from minewatch.alerts.services import DeliveryPump, raise_alert

    count = int(rate_per_s * seconds)
    stop = threading.Event()
    pump = DeliveryPump(max_workers=8)

    def pump_loop() -> None:
        from django.db import OperationalError

        while not stop.is_set():
            try:
                pump.pump()
            except OperationalError as exc:  # SQLite: the producer held the write lock too long
                print(f"  (delivery worker: {exc}; retrying)")
            time.sleep(0.02)
        pump.drain(30)
        close_old_connections()

    worker = threading.Thread(target=pump_loop, daemon=True)
    worker.start()
    tag = f"r{int(rate_per_s)}-{time.time_ns()}"
    stored_s: list[float] = []
    service_s: list[float] = []
    scheduled_at: dict[int, float] = {}
    wall0, epoch0 = time.monotonic(), time.time()
    for i in range(count):
        due = wall0 + i / rate_per_s
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        called = time.monotonic()
        alerts = raise_alert(detection(site, subject=f"{tag}-{i}", at=datetime.now(UTC)))
        stored_s.append(time.monotonic() - due)
        service_s.append(time.monotonic() - called)
        scheduled_at[alerts[0].pk] = epoch0 + i / rate_per_s
    elapsed = time.monotonic() - wall0
    deadline = time.monotonic() + 300
    pending = DeliveryAttempt.objects.filter(alert_id__in=list(scheduled_at), status="pending")
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    worker.join(60)
    pump.close()
    started = DeliveryAttempt.objects.filter(
        alert_id__in=list(scheduled_at), channel_kind="webhook"
    )
    started_s = [row.started_at.timestamp() - scheduled_at[row.alert_id]
                 for row in started.only("alert_id", "started_at")]  # fmt: skip
    sent = started.filter(status="sent").count()
    print(f"\n{rate_per_s:>6.0f} detections/s offered, {count} detections, achieved "
          f"{count / elapsed:.0f}/s")  # fmt: skip
    print(
        f"  alert + deliveries stored: p50 {percentile(stored_s, 0.5) * 1000:8.1f} ms   "
        f"p99 {percentile(stored_s, 0.99) * 1000:8.1f} ms   max {max(stored_s) * 1000:8.1f} ms"
    )
    print(
        f"  service time (one call)  : p50 {percentile(service_s, 0.5) * 1000:8.1f} ms   "
        f"p99 {percentile(service_s, 0.99) * 1000:8.1f} ms"
    )
    print(
        f"  webhook try started      : p50 {percentile(started_s, 0.5) * 1000:8.1f} ms   "
        f"p99 {percentile(started_s, 0.99) * 1000:8.1f} ms   ({sent}/{len(started_s)} sent)"
    )


def run_burst(site, total: int, window_s: float) -> None:  # noqa: ANN001
    from minewatch.alerts.models import Alert
    from minewatch.alerts.services import raise_alert

    t0 = datetime.now(UTC) - timedelta(seconds=window_s + 60)
    step = window_s / total
    subject = f"burst-{time.time_ns()}"
    wall = time.perf_counter()
    per_call = []
    for i in range(total):
        start = time.perf_counter()
        raise_alert(detection(site, subject=subject, at=t0 + timedelta(seconds=i * step)))
        per_call.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - wall
    alerts = Alert.objects.filter(subject_key=subject)
    print(f"\nburst: {total} duplicate detections over {window_s / 60:.0f} min of detection time "
          f"→ {alerts.count()} alert(s), occurrences {[a.occurrences for a in alerts]}")  # fmt: skip
    print(
        f"  processed in {elapsed:.1f} s ({total / elapsed:.0f}/s); per detection p50 "
        f"{statistics.median(per_call) * 1000:.2f} ms, p99 {percentile(per_call, 0.99) * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each load step.")
    parser.add_argument("--rates", default="20,100,1000", help="Offered loads, detections/s.")
    parser.add_argument("--burst", type=int, default=10_000, help="Duplicates in the burst.")
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    receiver = Receiver()
    site = world(receiver.url)
    print(f"database: {connection.vendor}; webhook receiver {receiver.url}")
    for rate in (float(r) for r in args.rates.split(",")):
        run_load(site, rate, args.seconds, receiver)
    run_burst(site, args.burst, 600.0)


if __name__ == "__main__":
    main()
