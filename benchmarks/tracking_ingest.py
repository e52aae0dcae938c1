"""Benchmark tracking ingest end to end: OsmAnd over HTTP, MQTT, SQLite and PostgreSQL.

For each database it creates a fresh one, 100 convoys of 2 tracked vehicles on
the southern corridor (trips en route, so every detector runs), starts
``minewatch serve --osmand-port`` as a subprocess and measures:

* HTTP: sustained fixes/s, concurrent keep-alive senders (separate processes)
  against the OsmAnd listener (``--osmand-port``) and, for reference, against
  ``/ingest/osmand/`` on the main (Django) server;
* latency: p50/p99 of the request time at a paced 1,000 fixes/s. A 200 is sent
  only after the fix is committed and its detections stored and published, so
  this is an upper bound of fix → detection latency; alarm fixes (10/s) are
  reported apart;
* MQTT: ``minewatch tracking mqtt`` against our own Mosquitto (deploy/mosquitto/
  minewatch.conf), N messages published by separate processes, fixes/s until all stored;
* storage alone: COPY vs batched INSERT on PostgreSQL, INSERT OR IGNORE on SQLite.

    flock /tmp/bench.lock .venv/bin/python benchmarks/tracking_ingest.py \
        --seconds 15 --mqtt-messages 100000 [--mqtt-workers 2] [--databases postgresql]

The machine's load average is printed with every result (it is shared).
HTTP throughput is sent by ``wrk`` (Debian package ``wrk``; one C thread, 256
keep-alive connections, a Lua script that walks 200 devices with growing fix
times) when installed, else by two Python asyncio processes (``--python-senders``),
which eat most of a core of this 2-core machine themselves. Latency is always
measured with the paced Python senders (100 connections, started staggered).

Measured 2026-11-27 on the 2-core machine, shared (load average 1.5–5.4 during the
runs; two runs per database, the second less loaded), targets from issue #3:

=======================================  ===============  ===============  ==========
                                         SQLite           PostgreSQL       target
=======================================  ===============  ===============  ==========
OsmAnd listener (``--osmand-port``), wrk 4,355–4,598 /s   4,528–4,902 /s   >= 2,000
Django ``/ingest/osmand/``, wrk          158–248 /s       299–326 /s       no 500s
request p99 at ~970 fixes/s              32.3–193.7 ms    111.1–176.3 ms   < 200 ms
alarm fix -> stored detection p99        30.2–192.8 ms    81.5–187.8 ms    < 200 ms
MQTT, 1 worker, 100,200-message burst    16,969–24,862 /s 25,866 /s        >= 20,000
MQTT, 2 workers (``--mqtt-workers 2``)   --               47,693 /s        >= 20,000
storage alone, batches of 2,000          48,221–61,793    COPY 41–48k,
                                         rows/s           JSON 37k,
                                                          INSERT 17k rows/s
=======================================  ===============  ===============  ==========

The low SQLite MQTT figure (16,969) and the high latency figures were taken while
the load average was 3.6–5.4 (other work on the 2 cores); the others at 1.5–3.0.

Where the time goes (py-spy): before, uvicorn's access log (re-enabled in the
web process by the main server) cost 12 % of the listener, a PostgreSQL
round trip per device for tracker states 11 %, Django ``bulk_create`` for small
batches 11 %; paho-mqtt's byte-by-byte reads, per-message objects and one PUBACK
write per message cost more than the ingest itself (3,500–5,800 fixes/s); the
worker now reads in bulk, parses the next batch while the previous one is stored,
and acknowledges a batch in one write. What remains per MQTT fix is mostly
Python: message parsing into ``Fix`` objects (~10 µs), COPY text (~4 µs),
validation and the engine's column building (~5 µs), and PostgreSQL's own work.
A PostgreSQL group commit costs ~7.5 ms of fsync, which sets the batch size under
HTTP load; the Django endpoint is bound by Django's per-request thread and middleware
(the fixes themselves go through the shared batcher, so no request holds a
database connection).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINEWATCH = str(ROOT / ".venv" / "bin" / "minewatch")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEVICES = 200
# Every benchmark tracker's secret, sent as Traccar Client does: id=DEVICE:SECRET.
SECRET = "bench-tracker-secret-0123456789"  # noqa: S105 - benchmark fixture


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# -- setup (runs in a child process with the benchmark's environment) -------------------


def setup_database(env: dict[str, str]) -> None:
    subprocess.run([MINEWATCH, "migrate"], env=env, check=True, capture_output=True)
    code = "from benchmarks.tracking_ingest import create_fleet; create_fleet()"
    subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)},
                   check=True)  # fmt: skip


def create_fleet() -> None:
    """An organisation, the corridor, 100 trips en route with a truck and an escort each."""
    import django

    django.setup()
    from minewatch.core import services as core_services
    from minewatch.geo import services as geo_services
    from minewatch.geo.peru_places import SOUTHERN_CORRIDOR, densify
    from minewatch.tracking.services import fleet

    org = core_services.create_organisation(actor=None, name="Bench", kind="mining_company")
    route = geo_services.save_route(
        actor=None, organisation=org, name="Corridor",
        geometry={"type": "LineString", "coordinates": densify(SOUTHERN_CORRIDOR)}, buffer_m=600,
    )  # fmt: skip
    for n in range(DEVICES // 2):
        members = []
        for kind, role in (("truck", "cargo"), ("escort", "escort")):
            vehicle = fleet.save_vehicle(actor=None, organisation=org, plate=f"{kind[0]}{n}",
                                         kind=kind)  # fmt: skip
            fleet.save_device(actor=None, organisation=org, unique_id=f"B{2 * n + len(members)}",
                              vehicle=vehicle, secret=SECRET)  # fmt: skip
            members.append((vehicle, role))
        trip = fleet.save_trip(actor=None, organisation=org, reference=f"T{n}", route=route,
                               vehicles=members)  # fmt: skip
        fleet.change_trip_status(trip, actor=None, to_status="en_route")


def route_points() -> list[tuple[float, float]]:
    from minewatch.geo.peru_places import SOUTHERN_CORRIDOR, densify

    return [(lat, lon) for lon, lat in densify(SOUTHERN_CORRIDOR)]


# -- HTTP senders (child processes) ----------------------------------------------------


def fix_query(device: int, k: int, points: list, base_ms: int, alarm: bool = False) -> str:
    lat, lon = points[(device * 7 + k // 30) % len(points)]
    query = (f"id=B{device}:{SECRET}&lat={lat:.6f}&lon={lon:.6f}&timestamp={base_ms + k * 1000}"
             f"&speed=27.0&bearing=120&accuracy=6")  # fmt: skip
    return query + ("&alarm=sos" if alarm else "")


async def _connection(port, path, queue, latencies, counts, stop_at, pace_s, offset_s=0.0):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(offset_s)  # paced connections start staggered, not all at once
    while time.monotonic() < stop_at:
        try:
            query, is_alarm = queue.pop()
        except IndexError:
            return
        started = time.perf_counter()
        writer.write(f"GET {path}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        headers = dict(
            line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line
        )
        await reader.readexactly(int(headers.get(b"content-length", b"0")))
        latencies.append((time.perf_counter() - started, is_alarm))
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise RuntimeError(f"unexpected answer {head[:200]!r}") from None
        counts[status] = counts.get(status, 0) + 1
        if b"close" in headers.get(b"connection", b""):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if pace_s:
            await asyncio.sleep(max(0.0, pace_s - (time.perf_counter() - started)))
    writer.close()


def sender(args: tuple) -> dict:
    port, path, devices, connections, seconds, rate_per_conn, base_ms, alarm_every = args
    points = route_points()
    per_device = 100_000
    # Alarms spread evenly over the stream (every alarm_every-th fix), not all devices at once.
    work = [(fix_query(d, k, points, base_ms, is_alarm), is_alarm)
            for k in range(min(per_device, int(seconds * 4000 / len(devices)) + 50))
            for d in devices
            for is_alarm in [bool(alarm_every and (k * DEVICES + d) % alarm_every == 1)]]  # fmt: skip
    work.reverse()
    latencies, counts = [], {}
    pace = 1.0 / rate_per_conn if rate_per_conn else 0.0

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*[_connection(port, path, work, latencies, counts, stop_at, pace,
                                           pace * i / connections)
                               for i in range(connections)])  # fmt: skip

    started = time.monotonic()
    asyncio.run(main())
    return {"latencies": latencies, "counts": counts, "elapsed": time.monotonic() - started}


def http_run(port, path, *, processes, connections, seconds, rate=0.0, alarm_every=0, base_ms):
    share = DEVICES // processes
    rate_per_conn = rate / (processes * connections) if rate else 0.0
    jobs = [(port, path, list(range(p * share, (p + 1) * share)), connections, seconds,
             rate_per_conn, base_ms, alarm_every) for p in range(processes)]  # fmt: skip
    with mp.get_context("spawn").Pool(processes) as pool:
        results = pool.map(sender, jobs)
    latencies = [x for r in results for x in r["latencies"]]
    ok = sum(r["counts"].get(200, 0) for r in results)
    other = {s: n for r in results for s, n in r["counts"].items() if s != 200}
    elapsed = max(r["elapsed"] for r in results)
    return ok, other, elapsed, latencies


WRK_SCRIPT = """
local pts = {%s}
local npts = #pts
function init(args)
  n = 0
  base = tonumber(args[1])
  devices = tonumber(args[2])
  path0 = args[3]
end
function request()
  -- device after device, one fix per second of fix time each: fix times grow per device
  local dev = n %% devices
  local k = math.floor(n / devices)
  n = n + 1
  local p = pts[((dev * 7 + math.floor(k / 30)) %% npts) + 1]
  return wrk.format("GET", string.format(
    "%%s?id=B%%d:%s&lat=%%.6f&lon=%%.6f&timestamp=%%d&speed=27.0&bearing=120&accuracy=6",
    path0, dev, p[1], p[2], base + k * 1000))
end
"""


def wrk_run(port: int, path: str, *, connections: int, seconds: float, base_ms: int):
    """Sustained fixes/s with ``wrk`` (one C thread, keep-alive): the sender barely loads a core.

    Returns (fixes answered 200, non-200 answers, socket errors, elapsed s), or None without wrk.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = Path(tempfile.mkdtemp(prefix="mw-bench-wrk-")) / "osmand.lua"
    points = ",".join(f"{{{lat:.6f},{lon:.6f}}}" for lat, lon in route_points())
    script.write_text(WRK_SCRIPT % (points, SECRET))
    done = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script),
         f"http://127.0.0.1:{port}{path}", "--", str(base_ms), str(DEVICES), path],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    text = done.stdout
    total = int(re.search(r"(\d+) requests in ([\d.]+)(m?s)", text).group(1))
    elapsed = float(re.search(r"requests in ([\d.]+)(m?s)", text).group(1))
    if re.search(r"requests in [\d.]+ms", text):
        elapsed /= 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    return total - bad, bad, errors.group(1) if errors else "none", elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- MQTT ------------------------------------------------------------------------------


def publisher(args: tuple) -> float:
    import paho.mqtt.client as mqtt

    port, devices, count, base_ms = args
    points = route_points()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{devices[0]}")
    client.max_inflight_messages_set(2000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    started, infos = time.monotonic(), []
    for k in range(count // len(devices) + 1):
        for d in devices:
            lat, lon = points[(d * 7 + k // 30) % len(points)]
            body = json.dumps({"device": f"B{d}", "time": base_ms + k * 1000, "lat": lat,
                               "lon": lon, "speed_kmh": 50.0})  # fmt: skip
            infos.append(client.publish(f"minewatch/positions/B{d}", body, qos=1))
    for info in infos:
        info.wait_for_publish(120)
    client.loop_stop()
    client.disconnect()
    return time.monotonic() - started


def position_count(env: dict[str, str]) -> int:
    url = env.get("MINEWATCH_DATABASE_URL", "")
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM tracking_position").fetchone()[0]
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM tracking_position").fetchone()[0]


def mqtt_run(env: dict[str, str], messages: int, workers: int, base_ms: int) -> str:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(mosquitto):
        return "MQTT: skipped (no mosquitto binary)"
    tmp = Path(tempfile.mkdtemp(prefix="mw-bench-mqtt-"))
    tmp.chmod(0o777)
    port = free_port()
    text = (ROOT / "deploy/mosquitto/minewatch.conf").read_text()
    (tmp / "m.conf").write_text(text.replace("/var/lib/mosquitto/", f"{tmp}/")
                                + f"\nlistener {port} 127.0.0.1\n")  # fmt: skip
    broker = subprocess.Popen([mosquitto, "-c", str(tmp / "m.conf")], stderr=subprocess.DEVNULL)
    wait_port(port)
    before = position_count(env)

    def workers_up() -> list[subprocess.Popen]:
        return [subprocess.Popen([MINEWATCH, "tracking", "mqtt", "--broker", f"127.0.0.1:{port}",
                                  "--client-id", f"bench-ingest-{i}", "--backlog-probe", "0"],
                                 env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for i in range(workers)]  # fmt: skip

    # The burst arrives while the workers are away (their persistent sessions queue it),
    # then they drain it: what is measured is ingest, not the publishers' speed.
    ingest = workers_up()
    time.sleep(6)
    for process in ingest:
        process.terminate()
        process.wait(10)
    try:
        share = DEVICES // 2
        jobs = [(port, list(range(p * share, (p + 1) * share)), messages // 2, base_ms)
                for p in range(2)]  # fmt: skip
        with mp.get_context("spawn").Pool(2) as pool:
            publish_s = max(pool.map(publisher, jobs))
        target = before + 2 * (messages // 2 // share + 1) * share
        ingest = workers_up()
        stored, first_at = before, None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and stored < target:
            time.sleep(0.1)
            stored = position_count(env)
            if first_at is None and stored > before:
                first_at, first_count = time.monotonic(), stored
        elapsed = time.monotonic() - first_at
    finally:
        for process in ingest:
            process.terminate()
        broker.terminate()
    total = stored - first_count
    return (
        f"MQTT ({workers} worker(s)) draining a {target - before:,}-message burst: "
        f"{stored - before:,} stored; {total:,} fixes in {elapsed:.1f} s = "
        f"{total / elapsed:,.0f} fixes/s (publishers took {publish_s:.1f} s); {load()}"
    )


# -- storage alone -----------------------------------------------------------------------


def storage_run(env: dict[str, str]) -> str:
    code = "from benchmarks.tracking_ingest import storage_child; storage_child()"
    done = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)},
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip()


def storage_child() -> None:
    import datetime as dt

    import django

    django.setup()
    from django.db import connection, transaction

    from minewatch.tracking.models import Device
    from minewatch.tracking.services.storage import insert_positions

    device = Device.objects.first()
    base = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    methods = ["copy", "json", "insert"] if connection.vendor == "postgresql" else ["insert"]
    lines = []
    for n, method in enumerate(methods):
        rows = [{"device_id": device.pk, "fix_time": base + dt.timedelta(seconds=i, days=n),
                 "received_at": base, "lat": -14.0, "lon": -72.0, "speed_kmh": 40.0,
                 "course": 90.0, "altitude": 3800.0, "accuracy": 5.0,
                 "attributes": {"batt": 80}, "source": "replay"} for i in range(50_000)]  # fmt: skip
        started = time.perf_counter()
        for chunk in range(0, len(rows), 2000):
            with transaction.atomic():  # as in ingest: one transaction per batch
                insert_positions(rows[chunk : chunk + 2000], method=method)
        elapsed = time.perf_counter() - started
        lines.append(f"storage {connection.vendor} {method}: {len(rows) / elapsed:,.0f} rows/s "
                     f"(batches of 2000)")  # fmt: skip
    print("; ".join(lines))


# -- one database ----------------------------------------------------------------------


def run_database(name: str, url: str | None, args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix=f"mw-bench-{name}-"))
    env = {**os.environ, "MINEWATCH_DATA_DIR": str(data),
           "DJANGO_SETTINGS_MODULE": "minewatch.settings"}  # fmt: skip
    env["MINEWATCH_DATABASE_URL"] = url or f"sqlite:///{data / 'bench.sqlite3'}"
    if url:
        import psycopg

        db = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')
    setup_database(env)
    web, osmand = free_port(), free_port()
    server = subprocess.Popen([MINEWATCH, "serve", "--port", str(web), "--osmand-port",
                               str(osmand), "--no-migrate"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_port(web)
        wait_port(osmand)
        base_ms = int((time.time() - 3 * 86400) * 1000)
        print(f"\n== {name} ==")
        for label, port, path, offset in (("OsmAnd listener", osmand, "/", 0),
                                          ("Django /ingest/osmand/", web, "/ingest/osmand/", 1)):  # fmt: skip
            base = base_ms + offset * 86_400_000 // 3
            measured = None if args.python_senders else wrk_run(
                port, path, connections=2 * args.connections, seconds=args.seconds, base_ms=base)  # fmt: skip
            if measured is not None:
                ok, bad, errors, elapsed = measured
                print(f"HTTP {label} (sender: wrk, 1 thread, {2 * args.connections} keep-alive "
                      f"connections): {ok:,} fixes in {elapsed:.1f} s = {ok / elapsed:,.0f} fixes/s "
                      f"(non-200: {bad or 'none'}; socket errors: {errors}); {load()}")  # fmt: skip
                continue
            ok, other, elapsed, _ = http_run(
                port, path, processes=2, connections=args.connections, seconds=args.seconds,
                base_ms=base,
            )  # fmt: skip
            print(f"HTTP {label} (sender: 2 Python asyncio processes, {2 * args.connections} "
                  f"connections): {ok:,} fixes in {elapsed:.1f} s = {ok / elapsed:,.0f} fixes/s "
                  f"(non-200: {other or 'none'}); {load()}")  # fmt: skip
        ok, other, elapsed, latencies = http_run(
            osmand, "/", processes=2, connections=50, seconds=args.seconds, rate=1000.0,
            alarm_every=100, base_ms=base_ms + 2 * 86_400_000 // 3,
        )  # fmt: skip
        all_ms = [x * 1000 for x, _ in latencies]
        alarm_ms = [x * 1000 for x, is_alarm in latencies if is_alarm]
        print(f"latency at {ok / elapsed:,.0f} fixes/s (target 1,000): request p50 "
              f"{statistics.median(all_ms):.1f} ms, p99 {percentile(all_ms, 0.99):.1f} ms; "
              f"fix→detection (alarm fixes, {len(alarm_ms)}): p50 "
              f"{statistics.median(alarm_ms) if alarm_ms else float('nan'):.1f} ms, p99 "
              f"{percentile(alarm_ms, 0.99):.1f} ms; {load()}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(20)
    print(mqtt_run(env, args.mqtt_messages, args.mqtt_workers, base_ms + 86_400_000))
    print(storage_run(env))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="Length of each HTTP run.")
    parser.add_argument("--connections", type=int, default=128, help="Per sender process.")
    parser.add_argument("--mqtt-messages", type=int, default=100_000)
    parser.add_argument("--mqtt-workers", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--python-senders", action="store_true",
                        help="Measure HTTP with the Python asyncio senders even if wrk is installed.")  # fmt: skip
    args = parser.parse_args()
    print(f"tracking ingest benchmark on {os.cpu_count()} cores; {load()}")
    for name in args.databases.split(","):
        url = (
            "postgresql://postgres@127.0.0.1:5432/mw_bench_ingest" if name == "postgresql" else None
        )
        run_database(name, url, args)


if __name__ == "__main__":
    main()
