"""Settings, all from the environment so one build runs on a laptop and behind a load balancer.

Settings never raise: a problem is recorded in CONFIG_PROBLEMS and explained by the system
checks in contingency.core.checks, so `contingency serve` says what is wrong in plain words.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
CONFIG_PROBLEMS: list[tuple[str, str, str]] = []  # (check id, message, hint)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    CONFIG_PROBLEMS.append(("contingency.E004", f"{name}={raw!r} is not a boolean.", "Use true or false."))
    return default


def _env_int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and minimum <= int(raw) <= maximum:
        return int(raw)
    CONFIG_PROBLEMS.append(
        ("contingency.E006", f"{name}={raw!r} is not a whole number from {minimum} to {maximum}.", f"e.g. {default}")
    )
    return default


DATA_DIR = Path(os.environ.get("CONTINGENCY_DATA_DIR", BASE_DIR.parent / "var")).resolve()
DEBUG = _env_bool("DEBUG", False)
DEMO = _env_bool("CONTINGENCY_DEMO", False)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if key_file := os.environ.get("SECRET_KEY_FILE"):
        try:
            return Path(key_file).read_text().strip()
        except OSError as exc:
            CONFIG_PROBLEMS.append(
                (
                    "contingency.E001",
                    f"SECRET_KEY_FILE={key_file!r} cannot be read: {exc.strerror}.",
                    "Point SECRET_KEY_FILE at a readable file holding the key, or set SECRET_KEY.",
                )
            )
            return "unreadable-secret-key-file"
    # Embedded default: a key generated once and kept beside the database, so a laptop
    # install needs no configuration and sessions survive restarts.
    path = DATA_DIR / "secret_key"
    try:
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError as exc:
        CONFIG_PROBLEMS.append(
            (
                "contingency.E001",
                f"No SECRET_KEY given and {path} cannot be written: {exc.strerror}.",
                "Set SECRET_KEY or SECRET_KEY_FILE, or make CONTINGENCY_DATA_DIR writable.",
            )
        )
        return "unwritable-secret-key"


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
if TIME_ZONE not in zoneinfo.available_timezones():
    CONFIG_PROBLEMS.append(
        (
            "contingency.E002",
            f"TIME_ZONE={TIME_ZONE!r} is not a known IANA time zone.",
            "Use a name such as Europe/London.",
        )
    )
    TIME_ZONE = "Europe/London"
USE_TZ = True
LANGUAGE_CODE = "en-gb"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    "contingency.core",
    "contingency.plans",
    "contingency.mirror",
    "contingency.incidents",
    "contingency.notify",
    "contingency.packs",
    "contingency.downtime",
    "contingency.status",
    "contingency.monitor",
    "contingency.compliance",
    "contingency.commissioning",
    "contingency.suppliers",
    "contingency.exercises",
    "contingency.web",
    "contingency.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "contingency.web.middleware.SecurityHeadersMiddleware",
    "contingency.web.middleware.OfflineOwnerMiddleware",
    # Last, as django-axes requires: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Wrong passwords (ADR 0008, contingency/core/signin.py): each username and address pair is slowed
# down after five, with a growing delay; five for one username lock it for 15 minutes (per username,
# not per address, because a hospital's staff share a few NAT addresses), except from the addresses
# that user has signed in from lately, which are never locked out by failures from elsewhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_WHITELIST_CALLABLE = "contingency.core.signin.known_address"
AXES_CLIENT_IP_CALLABLE = "contingency.core.signin.client_address"
# How many reverse proxies (load balancer, TLS terminator) stand in front of the server: the client's
# address is then read from X-Forwarded-For, counted from the right. 0: REMOTE_ADDR is the client.
CONTINGENCY_TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0, 0, 5)
# W006 asks for the address in the lock-out key; leaving it out is deliberate (see above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

ROOT_URLCONF = "contingency.urls"
WSGI_APPLICATION = "contingency.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# A web thread keeps its SQLite connection between requests: opening one (and running the PRAGMAs
# below) costs more than a page served from the read models.
SQLITE_CONN_MAX_AGE = 600

SQLITE_OPTIONS = {
    # WAL lets readers proceed while a worker writes; IMMEDIATE takes the write lock at the
    # start of a transaction so two writers queue instead of failing half-way.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "contingency.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": SQLITE_CONN_MAX_AGE,
        }
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        CONFIG_PROBLEMS.append(
            (
                "contingency.E003",
                f"DATABASE_URL cannot be understood: {exc}.",
                "Use sqlite:///path/to/file.sqlite3 or postgres://user@host:5432/name.",
            )
        )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    if config.get("ENGINE") == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
        config["CONN_MAX_AGE"] = SQLITE_CONN_MAX_AGE
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Static files are served from the installed apps (WHITENOISE_USE_FINDERS), so nothing needs
# collecting; the directory exists only so WhiteNoise does not warn about it.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60  # one long shift
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the form or the hx-headers attribute
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # Served over HTTPS by a TLS-terminating proxy (waitress speaks plain HTTP), which must set
    # X-Forwarded-Proto and overwrite any the client sent; browsers are then told to use HTTPS only.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _env_int("HSTS_SECONDS", 365 * 24 * 60 * 60, 0, 2 * 365 * 24 * 60 * 60)
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step of every page at INFO; its warnings still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# ---------------------------------------------------------------- notifications
# Links in messages (the incident page, acknowledgement links) start with this address.
CONTINGENCY_BASE_URL = os.environ.get("CONTINGENCY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long an acknowledgement link keeps working after it was sent.
CONTINGENCY_ACK_LINK_HOURS = _env_int("CONTINGENCY_ACK_LINK_HOURS", 72, 1, 24 * 30)

# ---------------------------------------------------------------- laptop copies (the mirror)
# The private key the server signs the mirror feed with (made on first use); laptops pin its
# public key, which `contingency mirror-key` prints. Every web process must read the same file.
CONTINGENCY_MIRROR_KEY_FILE = Path(
    os.environ.get("CONTINGENCY_MIRROR_KEY_FILE", "") or DATA_DIR / "mirror_signing_key.pem"
).resolve()
