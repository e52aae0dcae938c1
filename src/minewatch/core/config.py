"""One place where MineWatch reads its environment and declares its tunables.

Environment variables are read once, here, when settings load. A malformed value
fails at start-up with a message that names the variable. Operator tunables
(thresholds, horizons, limits) live in :data:`TUNABLES` with a default and help
text; ``minewatch manage minewatch_settings`` prints them and ``docs/configuration.md``
is generated from the same registry.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

# One Django app per capability (SPEC "Architecture"), in dependency order. The
# settings, the API router, the web URLs, the CLI and the demo loader all read
# this list; adding an app here is the only registration it needs.
CAPABILITY_APPS: tuple[str, ...] = (
    "minewatch.core",
    "minewatch.geo",
    "minewatch.incidents",
    "minewatch.tracking",
    "minewatch.alerts",
    "minewatch.alarms",
    "minewatch.intel",
    "minewatch.risk",
    "minewatch.evidence",
    "minewatch.web",
)


class ConfigError(RuntimeError):
    """A MINEWATCH_* environment variable is missing or malformed."""


@dataclass(frozen=True)
class Tunable:
    """An operator-facing setting with its default and meaning."""

    name: str
    default: object
    help: str
    kind: type = str

    @property
    def env_name(self) -> str:
        return f"MINEWATCH_{self.name.upper()}"

    def read(self, environ: dict[str, str]) -> object:
        raw = environ.get(self.env_name)
        if raw is None or raw == "":
            return self.default
        return parse_value(self.env_name, raw, self.kind)


def parse_value(env_name: str, raw: str, kind: type) -> object:
    """Convert ``raw`` to ``kind`` or raise a ConfigError that names ``env_name``."""
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{env_name}={raw!r}: expected true/false")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{env_name}={raw!r}: expected a {kind.__name__}") from None
    return raw


TUNABLES: tuple[Tunable, ...] = (
    Tunable("debug", False, "Django debug mode. Never in production.", bool),
    Tunable("allowed_hosts", "127.0.0.1,localhost,[::1]", "Comma-separated host names served."),
    Tunable("time_zone", "America/Lima", "Time zone for display; storage is always UTC."),
    Tunable("language", "es", "Default interface language: es (Spanish, Peru) or en."),
    Tunable(
        "clock_skew_s",
        300,
        "How far in the future a reported time may be (device and phone clocks drift).",
        int,
    ),
    Tunable("max_upload_mb", 200, "Largest evidence upload accepted, in megabytes.", int),
    Tunable(
        "evidence_store",
        "",
        "Where evidence files are kept: a directory, or s3://bucket/prefix for an "
        "S3-compatible store (needs boto3; endpoint and keys from the usual AWS_* variables). "
        "Empty: <data dir>/evidence.",
    ),
    Tunable(
        "evidence_time_tolerance_s",
        3600,
        "How far a photo's EXIF capture time may be from the declared time before it is "
        "flagged, in seconds.",
        int,
    ),
    Tunable(
        "evidence_distance_tolerance_m",
        1000,
        "How far a photo's EXIF GPS position may be from the declared place before it is "
        "flagged, in metres.",
        int,
    ),
    Tunable(
        "tile_url",
        "",
        "Optional basemap tile URL template; the map works offline without it.",
    ),
    Tunable("secure_cookies", False, "Send cookies only over HTTPS (set true behind TLS).", bool),
    Tunable("login_attempts", 5, "Failed logins per user and address before a lock-out.", int),
    Tunable("login_lockout_s", 900, "How long a login lock-out lasts, in seconds.", int),
    Tunable(
        "tracking_auto_register_org",
        "",
        "Name of the organisation that receives unknown trackers as new devices. "
        "Empty (default): a fix from an unknown tracker is refused (400) and counted.",
    ),
    Tunable("tracking_max_speed_kmh", 300.0, "Fixes faster than this are refused (km/h).", float),
    Tunable(
        "tracking_stop_min_s",
        600.0,
        "A stop outside authorised zones this long is reported (s).",
        float,
    ),
    Tunable(
        "tracking_max_gap_s", 300.0, "No fix this long while en route is a signal loss (s).", float
    ),
    Tunable(
        "tracking_deviation_min_s",
        60.0,
        "Off the route corridor this long is a deviation (s).",
        float,
    ),
    Tunable(
        "tracking_split_distance_m",
        5000.0,
        "A convoy vehicle this far from its escort is a convoy split (m).",
        float,
    ),
    Tunable(
        "osmand_port",
        0,
        "Second listener for trackers (OsmAnd protocol), e.g. 5055; 0 = only /ingest/osmand/.",
        int,
    ),
    Tunable("osmand_host", "127.0.0.1", "Address of the OsmAnd listener (0.0.0.0: all)."),
)


def default_data_dir() -> Path:
    """Where MineWatch keeps its database, secret key and evidence by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "minewatch"


def data_dir(environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = environ.get("MINEWATCH_DATA_DIR")
    path = Path(raw).expanduser() if raw else default_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(environ: dict[str, str], directory: Path) -> str:
    """The database URL: MINEWATCH_DATABASE_URL or a SQLite file in the data dir."""
    url = environ.get("MINEWATCH_DATABASE_URL") or f"sqlite:///{directory / 'minewatch.sqlite3'}"
    scheme = urlparse(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ConfigError(
            f"MINEWATCH_DATABASE_URL: unsupported scheme {scheme!r}; "
            "use sqlite:///path or postgresql://user@host:port/name"
        )
    return url


def secret_key(environ: dict[str, str], directory: Path) -> str:
    """MINEWATCH_SECRET_KEY, or one generated once and stored (mode 0600) in the data dir."""
    if environ.get("MINEWATCH_SECRET_KEY"):
        return environ["MINEWATCH_SECRET_KEY"]
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


def read_tunables(environ: dict[str, str]) -> dict[str, object]:
    """Every tunable's value, by name; raises ConfigError naming a malformed one."""
    return {tunable.name: tunable.read(environ) for tunable in TUNABLES}
