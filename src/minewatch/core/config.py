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
    "minewatch.inventory",
    "minewatch.accountability",
    "minewatch.people",
    "minewatch.sharing",
    "minewatch.accounts",
    "minewatch.reports",
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
        "max_body_mb",
        10,
        "Largest request body accepted other than a file upload, in megabytes; larger bodies "
        "are refused (413) before they are read.",
        int,
    ),
    Tunable(
        "max_text_chars",
        50_000,
        "Longest free text accepted in one field (a narrative, a note), in characters.",
        int,
    ),
    Tunable(
        "max_tracker_body_kb",
        1024,
        "Largest request body the tracker listener accepts, in kilobytes (413 above).",
        int,
    ),
    Tunable(
        "max_image_megapixels",
        150,
        "Largest photo accepted, in megapixels (width × height / 1,000,000). A small file "
        "can declare a huge image (a decompression bomb); above about 179 megapixels "
        "Pillow refuses any image anyway.",
        int,
    ),
    Tunable(
        "alert_site_radius_m",
        3000.0,
        "A panic or hand-raised alert sent without a site gets the nearest site the sender "
        "may see within this distance of its boundary (or centre), in metres; 0 turns it off.",
        float,
    ),
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
    Tunable(
        "secure_cookies",
        False,
        "Send cookies only over HTTPS and turn HSTS on (set true behind TLS).",
        bool,
    ),
    Tunable(
        "session_idle_s",
        1800,
        "A web session ends after this long without a request (s); 30 min for the control room.",
        int,
    ),
    Tunable(
        "trusted_proxies",
        "",
        "Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed; empty "
        "(default): the client address is the connection's, whatever headers say.",
    ),
    Tunable("login_attempts", 5, "Failed logins per user and address before a lock-out.", int),
    Tunable("login_lockout_s", 900, "How long a login lock-out lasts, in seconds.", int),
    Tunable(
        "login_attempts_per_address",
        20,
        "Failed logins from one address (any user names, existing or not) before it is locked out.",
        int,
    ),
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
    Tunable(
        "metrics_token",
        "",
        "Bearer token that Prometheus sends to scrape /metrics; empty (default): /metrics is off.",
    ),
    Tunable(
        "mqtt_broker",
        "",
        "host:port of the MQTT broker the deployment runs, checked by /api/v1/health "
        "(empty: no broker is expected).",
    ),
    Tunable(
        "signing_key",
        "",
        "Path of the Ed25519 private key (PEM) that signs the audit and custody checkpoints; "
        "keep it outside the database. Empty: <data dir>/signing_key.pem, created on first use.",
    ),
    Tunable(
        "checkpoint_interval_s",
        3600,
        "How often 'serve' writes a signed checkpoint of every chain's head (s); 0 = never "
        "(checkpoints are still written at every dossier export).",
        int,
    ),
    Tunable(
        "inventory_moisture_sd_pp",
        0.3,
        "Standard deviation of one moisture sample, percentage points (concentrate loss model).",
        float,
    ),
    Tunable(
        "inventory_trip_z",
        3.09,
        "z-score beyond which one trip's missing dry mass raises an alert (3.09: 1 in 1000).",
        float,
    ),
    Tunable(
        "inventory_cusum_k",
        0.3,
        "CUSUM reference value k (half the standardised loss to find fastest; 0.3 ≈ 0.3 %).",
        float,
    ),
    Tunable(
        "inventory_cusum_h",
        7.0,
        "CUSUM decision threshold h (7 with k 0.3: ≈700 clean trips per false alarm).",
        float,
    ),
    Tunable(
        "grievance_acknowledge_days",
        5,
        "Working days (Peruvian holidays excluded) to acknowledge a community grievance.",
        int,
    ),
    Tunable(
        "grievance_response_days",
        30,
        "Working days after acknowledgement to give the complainant a response.",
        int,
    ),
    Tunable(
        "use_of_force_filing_h",
        24.0,
        "Hours after the incident within which a use-of-force report must be filed.",
        float,
    ),
    Tunable(
        "grievance_intake_per_hour",
        5,
        "Public grievances accepted per hour from one address (the form has no captcha).",
        int,
    ),
    Tunable(
        "incident_earliest_date",
        "1990-01-01",
        "Earliest date (YYYY-MM-DD, Lima time) an incident may have occurred; older is a typo.",
    ),
    Tunable(
        "basemap_pmtiles",
        "basemap.pmtiles",
        "Offline vector basemap: a PMTiles file (Protomaps basemap schema, e.g. a Peru extract), "
        "relative to the data directory or absolute. Used by the maps when the file exists; "
        "without it they draw the bundled regions, provinces, rivers, lakes and places.",
    ),
)


def default_data_dir() -> Path:
    """Where MineWatch keeps its database, secret key and evidence by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "minewatch"


def data_dir(environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = environ.get("MINEWATCH_DATA_DIR")
    path = Path(raw).expanduser() if raw else default_data_dir()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        # It holds the database, the evidence and the keys: nobody else may list or read it.
        path.chmod(0o700)
    return path


MAIN_DATABASE_FILE = "minewatch.sqlite3"
DEMO_DATABASE_FILE = "demo.sqlite3"


def default_database_path(directory: Path) -> Path:
    """The SQLite file used when MINEWATCH_DATABASE_URL is not set.

    ``minewatch.sqlite3`` in the data dir; until that holds a database (it is missing or
    an empty file), the demo's ``demo.sqlite3`` when ``minewatch demo`` made one, so that
    after ``make demo`` every command (``minewatch token admin``, ``minewatch dossier
    build``, ...) works on the demo's data. ``minewatch migrate`` always creates the main file.
    """
    main, demo = directory / MAIN_DATABASE_FILE, directory / DEMO_DATABASE_FILE
    has_main = main.exists() and main.stat().st_size > 0
    return demo if not has_main and demo.exists() else main


def database_url(environ: dict[str, str], directory: Path) -> str:
    """The database URL: MINEWATCH_DATABASE_URL or a SQLite file in the data dir."""
    url = environ.get("MINEWATCH_DATABASE_URL") or f"sqlite:///{default_database_path(directory)}"
    scheme = urlparse(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ConfigError(
            f"MINEWATCH_DATABASE_URL: unsupported scheme {scheme!r}; "
            "use sqlite:///path or postgresql://user@host:port/name"
        )
    return url


def log_file(environ: dict[str, str]) -> Path | None:
    """MINEWATCH_LOG_FILE: write MineWatch's log there instead of the console (``minewatch
    demo`` sets it to ``<data dir>/demo.log`` unless ``--verbose``)."""
    raw = environ.get("MINEWATCH_LOG_FILE", "").strip()
    return Path(raw).expanduser() if raw else None


def log_format(environ: dict[str, str]) -> str:
    """MINEWATCH_LOG_FORMAT: ``text`` (default, for people) or ``json`` (one JSON object per
    line with request id, user and organisation, for log shippers; ``core.logs``)."""
    raw = environ.get("MINEWATCH_LOG_FORMAT", "").strip().lower() or "text"
    if raw not in {"text", "json"}:
        raise ConfigError(f"MINEWATCH_LOG_FORMAT={raw!r}: expected text or json")
    return raw


def logging_config(path: Path | None, fmt: str = "text") -> dict[str, object]:
    """Django's LOGGING: MineWatch's INFO lines to the console, or everything to ``path``;
    ``fmt="json"`` writes every line as one JSON object (``core.logs.JsonFormatter``)."""
    formatters: dict[str, object] = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "minewatch.core.logs.JsonFormatter"},
    }
    if path is None:
        console: dict[str, object] = {"class": "logging.StreamHandler"}
        if fmt == "json":
            console["formatter"] = "json"
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": formatters,
            "handlers": {"console": console},
            "loggers": {"minewatch": {"handlers": ["console"], "level": "INFO"}},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(path),
                "encoding": "utf-8",
                "formatter": "json" if fmt == "json" else "plain",
            },
        },  # fmt: skip
        "root": {"handlers": ["file"], "level": "WARNING"},
        "loggers": {"minewatch": {"level": "INFO"}, "py.warnings": {"level": "WARNING"}},
    }


def oidc_settings(environ: dict[str, str]) -> dict[str, object]:
    """Single sign-on (accounts/oidc.py) from MINEWATCH_OIDC_*; empty when not configured.

    MINEWATCH_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET turn it on (all three or none);
    _CREATE_USERS (false), _ORGANISATION and _DEFAULT_ROLE (auditor) govern accounts for
    unknown e-mails; _ROLE_CLAIM (none) names a claim whose value sets the role.
    """
    issuer = environ.get("MINEWATCH_OIDC_ISSUER", "").strip()
    client_id = environ.get("MINEWATCH_OIDC_CLIENT_ID", "").strip()
    secret = environ.get("MINEWATCH_OIDC_CLIENT_SECRET", "").strip()
    if not (issuer or client_id or secret):
        return {}
    if not (issuer and client_id and secret):
        raise ConfigError("MINEWATCH_OIDC_ISSUER, MINEWATCH_OIDC_CLIENT_ID and "
                          "MINEWATCH_OIDC_CLIENT_SECRET: set all three or none")  # fmt: skip
    create = environ.get("MINEWATCH_OIDC_CREATE_USERS", "false").strip().lower()
    if create not in {"true", "false", "1", "0", "yes", "no"}:
        raise ConfigError(f"MINEWATCH_OIDC_CREATE_USERS={create!r}: expected true/false")
    organisation = environ.get("MINEWATCH_OIDC_ORGANISATION", "").strip()
    if create in {"true", "1", "yes"} and not organisation:
        raise ConfigError("MINEWATCH_OIDC_CREATE_USERS=true needs MINEWATCH_OIDC_ORGANISATION")
    return {
        "MINEWATCH_OIDC_ISSUER": issuer,
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": secret,
        "OIDC_RP_SIGN_ALGO": environ.get("MINEWATCH_OIDC_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_CREATE_USER": create in {"true", "1", "yes"},
        "MINEWATCH_OIDC_ORGANISATION": organisation,
        "MINEWATCH_OIDC_DEFAULT_ROLE": environ.get("MINEWATCH_OIDC_DEFAULT_ROLE", "auditor"),
        "MINEWATCH_OIDC_ROLE_CLAIM": environ.get("MINEWATCH_OIDC_ROLE_CLAIM", "").strip(),
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:oidc-callback",
    }


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
