"""Django settings for MineWatch, built from the environment by :mod:`minewatch.core.config`."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from minewatch.core import config

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
TUNABLES = config.read_tunables(os.environ)
DATABASE_URL = config.database_url(os.environ, DATA_DIR)

SECRET_KEY = config.secret_key(os.environ, DATA_DIR)
DEBUG = bool(TUNABLES["debug"])
ALLOWED_HOSTS = [h.strip() for h in str(TUNABLES["allowed_hosts"]).split(",") if h.strip()]
if os.environ.get("MINEWATCH_TESTING"):
    ALLOWED_HOSTS.append("testserver")

# One Django app per capability: the list lives in core.config.CAPABILITY_APPS.
MINEWATCH_APPS = list(config.CAPABILITY_APPS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    *MINEWATCH_APPS,
]

MIDDLEWARE = [
    "minewatch.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "minewatch.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "minewatch.core.middleware.ContentSecurityPolicyMiddleware",
    "minewatch.core.metrics.RequestMetricsMiddleware",
]

ROOT_URLCONF = "minewatch.urls"
WSGI_APPLICATION = "minewatch.wsgi.application"
ASGI_APPLICATION = "minewatch.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minewatch.web.context_processors.minewatch",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASE_VENDOR = "sqlite" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
if DATABASE_VENDOR == "postgresql":
    # Django's backend with every datetime sent in UTC (see core/dbbackend).
    DATABASES["default"]["ENGINE"] = "minewatch.core.dbbackend"
if DATABASE_VENDOR == "sqlite":
    # WAL lets the web server read while an ingest worker writes; IMMEDIATE
    # transactions avoid "database is locked" upgrades under concurrent writers.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("MINEWATCH_TEST_SQLITE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("MINEWATCH_TESTING"):
    # Tests create many users; Argon2 stays first in production, MD5 never leaves tests.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["minewatch.core.auth.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# Two-factor login (accounts app): enforced per organisation policy. Off only under the test
# runner (MINEWATCH_TESTING, which also swaps in MD5 hashes), whose fixtures log in as
# managers; the accounts tests switch it back on (the browser test's server by
# MINEWATCH_TEST_TWO_FACTOR=1).
MINEWATCH_ENFORCE_TWO_FACTOR = (
    not os.environ.get("MINEWATCH_TESTING") or os.environ.get("MINEWATCH_TEST_TWO_FACTOR") == "1"
)
OTP_TOTP_ISSUER = "MineWatch"
# Single sign-on with OpenID Connect, when MINEWATCH_OIDC_* configure it (accounts/oidc.py).
OIDC_SETTINGS = config.oidc_settings(os.environ)
globals().update(OIDC_SETTINGS)
MINEWATCH_OIDC_ISSUER = OIDC_SETTINGS.get("MINEWATCH_OIDC_ISSUER", "")
if MINEWATCH_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("minewatch.accounts.oidc.MineWatchOIDCBackend")

LANGUAGE_CODE = "es" if TUNABLES["language"] != "en" else "en"
LANGUAGES = [("es", "Español (Perú)"), ("en", "English")]
# 24-hour times in both languages; es-PE numbers (1,234.56) as Intl "es-PE" writes them.
FORMAT_MODULE_PATH = ["minewatch.formats"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = str(TUNABLES["time_zone"])
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = bool(TUNABLES["secure_cookies"])
CSRF_COOKIE_SECURE = bool(TUNABLES["secure_cookies"])
# Idle timeout: every request moves the expiry on, so a session ends after this long unused.
SESSION_COOKIE_AGE = int(TUNABLES["session_idle_s"])
SESSION_SAVE_EVERY_REQUEST = True
if TUNABLES["secure_cookies"]:
    # Served over TLS: browsers must keep using HTTPS for a year (HSTS).
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = int(TUNABLES["max_body_mb"]) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The size limit applies while the body streams in (core/uploads.py), then Django's own handlers.
FILE_UPLOAD_HANDLERS = [
    "minewatch.core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "minewatch_cache",
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "minewatch.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "minewatch.core.drf.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["minewatch.core.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "minewatch.core.drf.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "minewatch.core.drf.exception_handler",
    # Anonymous API requests (health, and any unauthenticated probe) per address.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MineWatch API",
    "DESCRIPTION": "Security operations and risk intelligence for mines (Peru first).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = config.logging_config(config.log_file(os.environ), config.log_format(os.environ))
