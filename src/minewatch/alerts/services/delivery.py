"""The delivery worker: try each queued notification, record the result, retry with backoff.

Network calls run in a thread pool and never touch the database; results are written
by the caller's thread. So a webhook receiver that hangs holds one pool thread until
its timeout, while every other notification goes out. Every try is a row
(``DeliveryAttempt``): ``sent``, ``failed``, or ``retrying`` followed by the next try.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone

from minewatch.alerts.choices import ChannelKind, DeliveryStatus
from minewatch.alerts.engine import channels as engine
from minewatch.alerts.models import Alert, Contact, DeliveryAttempt, NotificationChannel
from minewatch.alerts.services import messages
from minewatch.alerts.services.bulk import update_rows, write_turn
from minewatch.alerts.services.police import note_police_notified
from minewatch.core.events import Event, publish

logger = logging.getLogger("minewatch.alerts.delivery")

DEFAULT_SMS_TEMPLATE = {"to": "{to}", "text": "{text}"}
# A try still "sending" this long after it started was cut off by a stopped worker.
INTERRUPTED_AFTER_S = 600


@dataclass(frozen=True)
class Job:
    """Everything one try needs, copied out of the database (plain values)."""

    attempt_id: int
    kind: str
    target: str
    attempt_number: int
    subject: str
    body: str
    payload: dict[str, Any]
    config: dict[str, Any]
    secret: str | None
    timeout_s: float


def _job(row: DeliveryAttempt) -> Job:
    channel = row.channel
    config = dict(channel.config) if channel else {}
    secret = (row.recipient_contact.webhook_secret if row.recipient_contact else "") or config.get(
        "secret"
    )
    alert = row.alert
    return Job(
        attempt_id=row.pk, kind=row.channel_kind, target=row.target,
        attempt_number=row.attempt_number, subject=row.subject, body=row.body,
        payload={"event": "alert.notification", "alert": messages.alert_payload(alert),
                 "text": messages.sms_text(alert)},
        config=config, secret=secret or None, timeout_s=channel.timeout_s if channel else 5.0,
    )  # fmt: skip


_local = threading.local()
_queued = threading.Event()


def notify_queued() -> None:
    """Wake this process's delivery worker: tries were queued or a try finished."""
    _queued.set()


def wait_queued(timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for :func:`notify_queued` since the last wait (the worker's
    idle wait; a wake-up arriving while the worker works is kept for the next wait)."""
    woken = _queued.wait(timeout_s)
    _queued.clear()  # before the next cycle reads the queue: nothing queued later is missed
    return woken


def _http_session() -> requests.Session:
    """One HTTP session per pool thread: connections to a receiver are kept alive and
    reused (a new TCP connection and requests' set-up per webhook cost more than the post)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def _keep_alive() -> engine.KeepAlivePoster:
    """One plain keep-alive poster per pool thread (``http://`` webhooks)."""
    poster = getattr(_local, "keep_alive", None)
    if poster is None:
        poster = _local.keep_alive = engine.KeepAlivePoster()
    return poster


def send(job: Job) -> engine.DeliveryAttempt:
    """One try over the job's channel; never raises (an unexpected error is a failed try)."""
    try:
        return _send(job)
    except Exception as exc:  # a bad configuration must not stop the worker
        now = dt.datetime.now(dt.UTC)
        return engine.DeliveryAttempt(job.kind, job.target, job.attempt_number, "failed", now, now,
                                      error=f"{type(exc).__name__}: {exc}")  # fmt: skip


def _send(job: Job) -> engine.DeliveryAttempt:
    c, n = job.config, job.attempt_number
    if job.kind == ChannelKind.EMAIL:
        return engine.send_email(
            host=c.get("host", "127.0.0.1"), port=int(c.get("port", 25)),
            sender=c.get("sender", "alertas@minewatch.local"), recipients=[job.target],
            subject=job.subject, body=job.body, timeout_s=job.timeout_s,
            use_starttls=bool(c.get("use_starttls")), username=c.get("username"),
            password=c.get("password"), attempt_number=n,
        )  # fmt: skip
    if job.kind == ChannelKind.WEBHOOK:
        return engine.post_webhook(job.target, job.payload, secret=job.secret,
                                   timeout_s=job.timeout_s, attempt_number=n,
                                   session=_http_session(), keep_alive=_keep_alive())  # fmt: skip
    if job.kind == ChannelKind.SMS:
        return engine.send_sms_via_gateway(
            c["url"], template=c.get("template") or DEFAULT_SMS_TEMPLATE, to_number=job.target,
            text=job.payload["text"], secret=job.secret, timeout_s=job.timeout_s, attempt_number=n,
        )  # fmt: skip
    if job.kind == ChannelKind.MQTT:
        return engine.publish_mqtt(host=c.get("host", "127.0.0.1"), port=int(c.get("port", 1883)),
                                   topic=job.target, payload=job.payload, timeout_s=job.timeout_s,
                                   attempt_number=n)  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    return engine.DeliveryAttempt(job.kind, job.target, n, "sent", now, now)


def claim_due(now: dt.datetime, limit: int) -> list[Job]:
    """Mark up to ``limit`` due pending tries as ``sending`` and return their jobs.

    The claim transaction reads plain values and writes the mark; the alerts, channels
    and contacts the jobs need are read afterwards, once each (an alert's tries share
    its payload), so the write lock is held for two statements.
    """
    due = DeliveryAttempt.objects.filter(status=DeliveryStatus.PENDING, due_at__lte=now)
    ids = list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
    if not ids:  # the common case: a plain read, no write lock taken
        return []
    with write_turn(), transaction.atomic():
        claimed = DeliveryAttempt.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING)
        rows = list(claimed.select_for_update(of=("self",)).values_list(*CLAIMED_FIELDS))
        DeliveryAttempt.objects.filter(pk__in=[row[0] for row in rows]).update(
            status=DeliveryStatus.SENDING, started_at=now
        )
    alerts = (
        Alert.objects.select_related("site")
        .only(*PAYLOAD_FIELDS, "site__name")
        .in_bulk({row[6] for row in rows})
    )
    channels = NotificationChannel.objects.in_bulk({row[7] for row in rows} - {None})
    secrets = dict(
        Contact.objects.filter(pk__in={row[8] for row in rows} - {None}).values_list(
            "pk", "webhook_secret"
        )
    )
    payloads: dict[int, tuple[dict[str, Any], str]] = {}
    jobs = []
    for pk, kind, target, number, subject, body, alert_id, channel_id, contact_id in rows:
        alert = alerts.get(alert_id)
        if alert is None:  # deleted with its alert meanwhile
            continue
        if alert_id not in payloads:
            payloads[alert_id] = (messages.alert_payload(alert), messages.sms_text(alert))
        payload, text = payloads[alert_id]
        channel = channels.get(channel_id)
        config = dict(channel.config) if channel else {}
        secret = secrets.get(contact_id) or config.get("secret")
        jobs.append(Job(
            attempt_id=pk, kind=kind, target=target, attempt_number=number, subject=subject,
            body=body, payload={"event": "alert.notification", "alert": payload, "text": text},
            config=config, secret=secret or None, timeout_s=channel.timeout_s if channel else 5.0,
        ))  # fmt: skip
    return jobs


# What a claim reads of a try, in the order claim_due unpacks them.
CLAIMED_FIELDS = (
    "pk", "channel_kind", "target", "attempt_number", "subject", "body", "alert_id",
    "channel_id", "recipient_contact_id",
)  # fmt: skip
# What messages.alert_payload and sms_text read of an alert.
PAYLOAD_FIELDS = (
    "organisation_id", "reference", "kind", "source", "title", "severity", "status", "threat",
    "site_id", "lat", "lon", "place", "raised_at", "occurrences", "subject_type", "subject_key",
)  # fmt: skip


def record_result(job: Job, result: engine.DeliveryAttempt) -> Recorded:
    """Store a try's outcome; schedule the next try (a new row) when it may succeed later."""
    return record_results([(job, result)])[0]


@dataclass
class Recorded:
    """A try as recorded: the result fields and what publishing and backoff need (plain
    values: a pump cycle records hundreds of results, and building model instances with
    their channels cost more than writing them)."""

    pk: int
    organisation_id: int
    alert_id: int
    site_id: int | None
    channel_kind: str
    recipient_label: str
    is_police: bool
    attempt_number: int
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    status: str = DeliveryStatus.SENDING
    status_code: int | None = None
    error: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    next_retry_at: dt.datetime | None = None


def record_results(finished: list[tuple[Job, engine.DeliveryAttempt]]) -> list[Recorded]:
    """Store the outcomes of many tries in one transaction (bulk writes); schedule retries."""
    if not finished:
        return []
    with write_turn(), transaction.atomic():
        locked = DeliveryAttempt.objects.select_for_update(of=("self",)).filter(
            pk__in=[job.attempt_id for job, _ in finished]
        )
        rows = {values[0]: Recorded(*values) for values in locked.values_list(*LOADED_FIELDS)}
        updated, retrying, police = [], [], {}
        for job, result in finished:
            row = rows.get(job.attempt_id)
            if row is None:  # deleted with its alert meanwhile
                continue
            _apply_result(row, result)
            updated.append(row)
            if row.status == DeliveryStatus.RETRYING:
                retrying.append(row)
            if row.status == DeliveryStatus.SENT and row.is_police:
                police[row.alert_id] = min(police.get(row.alert_id, result.finished_at_utc),
                                           result.finished_at_utc)  # fmt: skip
        update_rows(DeliveryAttempt, updated, RESULT_FIELDS)
        if retrying:  # the rest of these rows, to copy into the next try
            full = DeliveryAttempt.objects.select_related("channel").in_bulk(
                [row.pk for row in retrying]
            )
            for row in retrying:
                for name in RESULT_FIELDS:
                    setattr(full[row.pk], name, getattr(row, name))
            DeliveryAttempt.objects.bulk_create([_next_try(full[row.pk]) for row in retrying])
        note_police_notified(police)
        for row in updated:
            _publish(row)
    for row in updated:
        if row.status != DeliveryStatus.SENT:
            logger.warning("delivery %s to %s (%s) try %s: %s", row.pk, row.recipient_label,
                           row.channel_kind, row.attempt_number, row.error)  # fmt: skip
    return updated


# What recording a result reads of a try, in the order of Recorded's fields.
LOADED_FIELDS = (
    "pk", "organisation_id", "alert_id", "alert__site_id", "channel_kind", "recipient_label",
    "is_police", "attempt_number", "channel__max_attempts", "channel__backoff_base_s",
    "channel__backoff_max_s",
)  # fmt: skip
RESULT_FIELDS = ["status", "status_code", "error", "started_at", "finished_at", "next_retry_at"]


def _apply_result(row: Recorded, result: engine.DeliveryAttempt) -> None:
    """Without a channel (in-app rows, a deleted channel): 3 tries, 5 s .. 300 s apart."""
    max_attempts = row.max_attempts if row.max_attempts is not None else 3
    row.status_code, row.error = result.status_code, (result.error or "")[:2000]
    row.started_at, row.finished_at = result.started_at_utc, result.finished_at_utc
    if result.status == "sent":
        row.status = DeliveryStatus.SENT
    elif result.is_retryable and row.attempt_number < max_attempts:
        delay_s = engine.backoff_delay_s(
            row.attempt_number,
            base_s=row.backoff_base_s if row.backoff_base_s is not None else 5.0,
            max_s=row.backoff_max_s if row.backoff_max_s is not None else 300.0,
        )  # fmt: skip
        row.status = DeliveryStatus.RETRYING
        row.next_retry_at = result.finished_at_utc + dt.timedelta(seconds=delay_s)
    else:
        row.status = DeliveryStatus.FAILED


def _next_try(row: DeliveryAttempt) -> DeliveryAttempt:
    return DeliveryAttempt(
        organisation_id=row.organisation_id, alert_id=row.alert_id, firing_id=row.firing_id,
        channel_kind=row.channel_kind, channel=row.channel, recipient_user_id=row.recipient_user_id,
        recipient_contact_id=row.recipient_contact_id, recipient_label=row.recipient_label,
        is_police=row.is_police, target=row.target, subject=row.subject, body=row.body,
        attempt_number=row.attempt_number + 1, created_at=row.finished_at, due_at=row.next_retry_at,
    )  # fmt: skip


def _publish(row: Recorded) -> None:
    publish(Event("alert.delivery", row.organisation_id, {
        "alert_id": row.alert_id, "delivery_id": row.pk, "channel": row.channel_kind,
        "recipient": row.recipient_label, "status": row.status, "attempt": row.attempt_number,
        "is_police": row.is_police, "error": row.error[:200],
    }, site_id=row.site_id))  # fmt: skip


def recover_interrupted(now: dt.datetime | None = None) -> int:
    """Tries left ``sending`` by a worker that stopped: record them failed and retry them."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=INTERRUPTED_AFTER_S)
    stale = DeliveryAttempt.objects.filter(status=DeliveryStatus.SENDING, started_at__lt=cutoff)
    count = 0
    for row in stale.select_related("channel", "recipient_contact", "alert__site"):
        result = engine.DeliveryAttempt(row.channel_kind, row.target, row.attempt_number, "failed",
                                        row.started_at, now, is_retryable=True,
                                        error="worker stopped during the try; outcome unknown")  # fmt: skip
        record_result(_job(row), result)
        count += 1
    return count


def _wake_on_result(_future: Future) -> None:
    notify_queued()  # record the result soon, not at the next idle tick


class DeliveryPump:
    """Claims due tries, sends them in a thread pool, and records results as they finish.

    Call :meth:`pump` repeatedly (the worker loop does); :meth:`drain` waits for what is
    in flight (tests, ``--once``).
    """

    def __init__(self, *, max_workers: int = 8, max_inflight: int | None = None) -> None:
        self.max_workers = max_workers
        # Claimed tries wait in the pool's queue beyond the busy threads, so one claim per
        # cycle keeps up with bursts; each row's started_at is the real start of its try.
        self.max_inflight = max_inflight or max_workers * 32
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="delivery")
        self._inflight: dict[Future, Job] = {}

    def pump(self, now: dt.datetime | None = None) -> int:
        """Record finished tries and start new ones; returns how many results were recorded."""
        done = self.harvest()
        free = self.max_inflight - len(self._inflight)
        if free > 0:
            for job in claim_due(now or timezone.now(), free):
                future = self._pool.submit(send, job)
                future.add_done_callback(_wake_on_result)
                self._inflight[future] = job
        return done

    def harvest(self) -> int:
        """Record every finished try in one transaction (one write lock, not one per try)."""
        finished = [future for future in self._inflight if future.done()]
        if not finished:
            return 0
        results = [(self._inflight.pop(future), future.result()) for future in finished]
        try:
            record_results(results)
        except Exception:
            logger.exception("could not record %s deliveries together; one by one", len(results))
            for job, result in results:
                try:
                    record_result(job, result)
                except Exception:
                    logger.exception("could not record delivery %s", job.attempt_id)
        return len(finished)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def drain(self, timeout_s: float | None = None) -> int:
        wait(list(self._inflight), timeout=timeout_s)
        return self.harvest()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def run_due_deliveries(now: dt.datetime | None = None, *, max_workers: int = 8) -> int:
    """Send every due try once, wait for them, record results; returns how many were tried."""
    pump = DeliveryPump(max_workers=max_workers)
    total = 0
    try:
        while True:
            before = total
            pump.pump(now)
            total += pump.drain()
            if total == before:
                return total
    finally:
        pump.close()
