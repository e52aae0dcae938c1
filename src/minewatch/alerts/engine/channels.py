"""Delivery channels: SMTP e-mail, signed webhooks, MQTT publish, SMS gateway webhook.

Every try returns a :class:`DeliveryAttempt` (sent / retrying / failed, with the HTTP
status or the error) so the caller can store who was told what and when. Retries use
an exponential backoff computed by :func:`backoff_delay_s`; :func:`deliver_with_retries`
runs them in-line (a worker may instead store the attempt and schedule the next try at
``next_retry_at_utc``). Nothing here raises on a delivery failure: a receiver that hangs
or answers 500 becomes a failed attempt, never an exception in the caller.

Webhook signature: ``X-MineWatch-Timestamp: <unix seconds>`` and
``X-MineWatch-Signature: sha256=<hex>``, the HMAC-SHA256 with the shared secret of
``<timestamp>.<raw body>``. The timestamp is inside the signed bytes so a captured
request cannot be replayed later with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import select
import smtplib
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import requests

__all__ = [
    "DeliveryAttempt",
    "KeepAlivePoster",
    "backoff_delay_s",
    "deliver_with_retries",
    "post_webhook",
    "publish_mqtt",
    "render_sms_body",
    "send_email",
    "send_sms_via_gateway",
    "sign_webhook_body",
    "verify_webhook_signature",
]

SIGNATURE_HEADER = "X-MineWatch-Signature"
TIMESTAMP_HEADER = "X-MineWatch-Timestamp"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try to deliver one notification.

    ``status`` is ``sent``, ``retrying`` (failed, another try will follow) or
    ``failed`` (no more tries). ``status_code`` is the HTTP status or the SMTP/MQTT
    result code where there is one.
    """

    channel: str
    target: str
    attempt_number: int
    status: str
    started_at_utc: datetime
    finished_at_utc: datetime
    status_code: int | None = None
    error: str | None = None
    next_retry_at_utc: datetime | None = None
    is_retryable: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def backoff_delay_s(
    attempt_number: int, *, base_s: float = 2.0, factor: float = 2.0, max_s: float = 300.0
) -> float:
    """Return the wait before try ``attempt_number + 1`` after try ``attempt_number`` failed.

    Examples
    --------
    >>> [backoff_delay_s(n, base_s=1, max_s=10) for n in (1, 2, 3, 4, 5)]
    [1.0, 2.0, 4.0, 8.0, 10.0]
    """
    if attempt_number < 1:
        raise ValueError(f"attempt_number={attempt_number} must be >= 1")
    if base_s < 0 or factor < 1 or max_s < 0:
        raise ValueError(f"base_s={base_s} s, factor={factor}, max_s={max_s} s are invalid")
    return float(min(max_s, base_s * factor ** (attempt_number - 1)))


def deliver_with_retries(
    send_once: Callable[[int], DeliveryAttempt],
    *,
    max_attempts: int = 3,
    base_s: float = 2.0,
    factor: float = 2.0,
    max_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryAttempt]:
    """Call ``send_once(attempt_number)`` until it is sent, not retryable, or out of tries.

    Returns every attempt; failed ones followed by another try are marked ``retrying``
    with ``next_retry_at_utc``; the last failed one is ``failed``.

    Examples
    --------
    >>> # attempts = deliver_with_retries(lambda n: post_webhook(url, body, secret=s,
    >>> #                                                       attempt_number=n))
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts={max_attempts} must be >= 1")
    attempts: list[DeliveryAttempt] = []
    for number in range(1, max_attempts + 1):
        attempt = send_once(number)
        if attempt.status == "sent" or not attempt.is_retryable or number == max_attempts:
            attempts.append(
                replace(attempt, status="sent" if attempt.status == "sent" else "failed")
            )
            break
        delay_s = backoff_delay_s(number, base_s=base_s, factor=factor, max_s=max_s)
        retry_at = attempt.finished_at_utc + timedelta(seconds=delay_s)
        attempts.append(replace(attempt, status="retrying", next_retry_at_utc=retry_at))
        sleep(delay_s)
    return attempts


def sign_webhook_body(body: bytes, *, secret: str | bytes, timestamp_s: int) -> str:
    """Return the ``sha256=<hex>`` signature of ``<timestamp>.<body>``.

    Examples
    --------
    >>> sign_webhook_body(b"{}", secret="s3cret", timestamp_s=1700000000)[:7]
    'sha256='
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, str(timestamp_s).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_webhook_signature(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str | bytes,
    now_utc: datetime,
    max_skew_s: float = 300.0,
) -> bool:
    """Return True if the headers carry a valid, fresh signature of ``body`` (receivers)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        timestamp_s = int(lowered[TIMESTAMP_HEADER.lower()])
        signature = lowered[SIGNATURE_HEADER.lower()]
    except (KeyError, ValueError):
        return False
    if abs(now_utc.timestamp() - timestamp_s) > max_skew_s:
        return False
    expected = sign_webhook_body(body, secret=secret, timestamp_s=timestamp_s)
    return hmac.compare_digest(expected, signature)


def _body_bytes(payload: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def post_webhook(
    url: str,
    payload: Mapping[str, Any] | bytes,
    *,
    secret: str | bytes | None,
    timeout_s: float = 5.0,
    attempt_number: int = 1,
    channel: str = "webhook",
    session: requests.Session | None = None,
    keep_alive: KeepAlivePoster | None = None,
) -> DeliveryAttempt:
    """POST one JSON body, signed when ``secret`` is given; one try, never raises.

    5xx, 408, 429, timeouts and connection errors are retryable; other 4xx are not.
    Plain ``http://`` URLs without a proxy go through ``keep_alive`` when given (a
    quarter of ``requests``' CPU per post); the rest through ``session`` or ``requests``.
    """
    body = _body_bytes(payload)
    headers = {"Content-Type": "application/json", "User-Agent": "MineWatch-alerts"}
    if secret is not None:
        timestamp_s = int(time.time())
        headers[TIMESTAMP_HEADER] = str(timestamp_s)
        headers[SIGNATURE_HEADER] = sign_webhook_body(body, secret=secret, timestamp_s=timestamp_s)
    started = _now()
    try:
        if keep_alive is not None and keep_alive.handles(url):
            code = keep_alive.post(url, body, headers, timeout_s)
        else:
            poster = session.post if session is not None else requests.post
            code = poster(url, data=body, headers=headers, timeout=timeout_s).status_code
    except (requests.RequestException, OSError, http.client.HTTPException) as exc:
        return DeliveryAttempt(
            channel, url, attempt_number, "failed", started, _now(),
            error=f"{type(exc).__name__}: {exc}", is_retryable=True,
        )  # fmt: skip
    if 200 <= code < 300:
        return DeliveryAttempt(channel, url, attempt_number, "sent", started, _now(), code)
    retryable = code >= 500 or code in (408, 429)
    return DeliveryAttempt(
        channel, url, attempt_number, "failed", started, _now(), code,
        error=f"HTTP {code}", is_retryable=retryable,
    )  # fmt: skip


class KeepAlivePoster:
    """POSTs over one kept-alive ``http.client`` connection per host, for one thread.

    ``requests`` spends ~0.8 ms of CPU per post (its adapters, hooks and cookie jar);
    a plain connection ~0.2 ms. A connection the receiver closed while idle is noticed
    before the request is written (the socket reads as ready), so a post is never sent
    twice. Only ``http://`` URLs without a proxy configured are handled here
    (:meth:`handles`); HTTPS and proxied URLs keep ``requests``' certificate and proxy
    handling.
    """

    def __init__(self) -> None:
        self._connections: dict[tuple[str, int], http.client.HTTPConnection] = {}

    @staticmethod
    def handles(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            return False
        return "http" not in urllib.request.getproxies() or bool(
            urllib.request.proxy_bypass(parts.hostname)
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
        """The response's status code; raises ``OSError``/``HTTPException`` on failure."""
        parts = urlsplit(url)
        key = (parts.hostname or "", parts.port or 80)
        connection = self._connections.pop(key, None)
        if connection is not None and _dropped(connection):
            connection.close()
            connection = None
        if connection is None:
            connection = http.client.HTTPConnection(key[0], key[1], timeout=timeout_s)
        elif connection.sock is not None:
            connection.sock.settimeout(timeout_s)
        connection.timeout = timeout_s
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._connections[key] = connection
        return response.status

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that reads as ready was closed (or spoke out of turn)."""
    if connection.sock is None:
        return True
    ready, _, _ = select.select([connection.sock], [], [], 0)
    return bool(ready)


def render_sms_body(template: Mapping[str, Any], *, to_number: str, text: str) -> dict[str, Any]:
    """Fill an SMS gateway's JSON template: ``{to}`` and ``{text}`` in any string value.

    Examples
    --------
    >>> render_sms_body({"phone": "{to}", "message": "MineWatch: {text}", "priority": 1},
    ...                 to_number="+51987654321", text="Intrusion")
    {'phone': '+51987654321', 'message': 'MineWatch: Intrusion', 'priority': 1}
    """
    if not to_number.lstrip("+").isdigit():
        raise ValueError(f"to_number {to_number!r} must be digits with an optional +")

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{to}", to_number).replace("{text}", text)
        if isinstance(value, Mapping):
            return {key: fill(item) for key, item in value.items()}
        return value

    return fill(template)


def send_sms_via_gateway(
    url: str,
    *,
    template: Mapping[str, Any],
    to_number: str,
    text: str,
    secret: str | bytes | None = None,
    timeout_s: float = 5.0,
    attempt_number: int = 1,
) -> DeliveryAttempt:
    """Send an SMS through an HTTP gateway: the filled template POSTed as a webhook."""
    body = render_sms_body(template, to_number=to_number, text=text)
    attempt = post_webhook(
        url, body, secret=secret, timeout_s=timeout_s, attempt_number=attempt_number, channel="sms"
    )
    return replace(attempt, target=f"{to_number} via {url}")


def send_email(
    *,
    host: str,
    port: int,
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    timeout_s: float = 10.0,
    use_starttls: bool = False,
    username: str | None = None,
    password: str | None = None,
    attempt_number: int = 1,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> DeliveryAttempt:
    """Send one plain-text e-mail over SMTP; one try, never raises.

    ``attachments`` are ``(file name, bytes, MIME type)`` (the monthly report's PDF).
    Temporary SMTP errors (4xx), timeouts and connection errors are retryable.
    """
    if not recipients:
        raise ValueError("recipients must name at least one address")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(recipients), subject
    message.set_content(body)
    for filename, content, mime_type in attachments:
        maintype, _slash, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    target = ",".join(recipients)
    started = _now()
    try:
        with smtplib.SMTP(host, port, timeout=timeout_s) as smtp:
            if use_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if username is not None and password is not None:
                smtp.login(username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        return DeliveryAttempt(
            "email", target, attempt_number, "failed", started, _now(), exc.smtp_code,
            error=str(exc), is_retryable=400 <= exc.smtp_code < 500,
        )  # fmt: skip
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryAttempt(
            "email", target, attempt_number, "failed", started, _now(),
            error=f"{type(exc).__name__}: {exc}", is_retryable=True,
        )  # fmt: skip
    if refused:
        error = f"refused recipients: {sorted(refused)}"
        return DeliveryAttempt(
            "email", target, attempt_number, "failed", started, _now(), error=error
        )
    return DeliveryAttempt("email", target, attempt_number, "sent", started, _now(), 250)


def publish_mqtt(
    *,
    host: str,
    port: int,
    topic: str,
    payload: Mapping[str, Any] | bytes,
    qos: int = 1,
    timeout_s: float = 5.0,
    username: str | None = None,
    password: str | None = None,
    attempt_number: int = 1,
) -> DeliveryAttempt:
    """Publish one message with paho-mqtt 2.x and wait for the broker's acknowledgement."""
    import paho.mqtt.client as mqtt  # heavy import only for callers that publish

    if qos not in (0, 1, 2):
        raise ValueError(f"qos={qos} must be 0, 1 or 2")
    target = f"mqtt://{host}:{port}/{topic}"
    started = _now()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect_timeout = timeout_s
    if username is not None:
        client.username_pw_set(username, password)
    try:
        client.connect(host, port, keepalive=max(5, int(timeout_s * 2)))
        client.loop_start()
        info = client.publish(topic, _body_bytes(payload), qos=qos)
        info.wait_for_publish(timeout=timeout_s)
        is_published = info.is_published()
    except (OSError, ValueError, RuntimeError) as exc:
        return DeliveryAttempt(
            "mqtt", target, attempt_number, "failed", started, _now(),
            error=f"{type(exc).__name__}: {exc}", is_retryable=True,
        )  # fmt: skip
    finally:
        client.disconnect()
        client.loop_stop()
    if not is_published:
        error = f"broker did not acknowledge within {timeout_s} s (rc={info.rc})"
        return DeliveryAttempt(
            "mqtt", target, attempt_number, "failed", started, _now(), int(info.rc),
            error=error, is_retryable=True,
        )  # fmt: skip
    return DeliveryAttempt("mqtt", target, attempt_number, "sent", started, _now(), 0)
