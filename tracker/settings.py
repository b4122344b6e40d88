"""Settings for Recommendation Tracker, read from the environment.

Defaults give a working local development set-up on SQLite; production sets
DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_cache, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

# A development key is only acceptable while DEBUG is on or under the test
# runner (which turns DEBUG off itself); `check --deploy` flags it anyway.
_DEV_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _DEV_SECRET_KEY
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's widget templates, for the site's forms (tracker.forms: TemplatesSetting renderer).
    "django.forms",
    "axes",
    "csp",
    "django_filters",
    "django_tables2",
    "import_export",
    "tracker",
    "reports",
    "recommendations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /healthz answers here, before anything that reads the database (sessions, users).
    "tracker.health.HealthCheckMiddleware",
    # Logs every 403 with who asked for what (tracker.audit), CSRF failures included.
    "tracker.audit.AuditMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every page (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Cache-Control: private, no-store for signed-in users and per-visitor responses.
    "tracker.privacy.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view requires a signed-in user unless it opts out with
    # @login_not_required (sign-in, /healthz).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A signed-in user without a role sees a page saying so (tracker.access).
    "tracker.access.RoleRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"

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
                "tracker.navigation.navigation",
                "recommendations.context_processors.viewer",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite ignores an index's INCLUDE columns (PostgreSQL's covering indexes): true, and said
# on every command; `dev.py run` would open with it four times.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# Django's cache framework: choice lists and page fragments kept under a data version
# (tracker.cache). In each process's memory by default; set CACHE_URL=redis://... when
# more than one process serves the site, so that all of them see a change at once.
CACHES = {"default": env_cache("CACHE_URL")}
# How long a kept fragment or list lives at most (a new data version replaces it sooner).
TRACKER_CACHE_SECONDS = env_int("TRACKER_CACHE_SECONDS", 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sessions and sign-in ---------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes' backend goes first: it refuses a locked-out sign-in before
# ModelBackend checks the password. It needs the request, which the sign-in
# view passes; a bare authenticate(username=..., password=...) without one
# raises AxesBackendRequestParameterRequired.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock out a username *at one IP address* after AXES_FAILURE_LIMIT failures.
# - Guessing one account's password from one address stops after the limit
#   (and each further failure during the lockout restarts the cool-off).
# - Nobody can lock someone else out: failures from the attacker's address do
#   not count against the real user at theirs, and cycling through usernames
#   from one address locks out only that address's attempts on those names,
#   not everyone (a username-only lockout would let anyone lock out any
#   account; an address-only one would lock out a whole office behind one
#   NAT address).
# The attempts are counted for unknown usernames exactly as for real ones, so
# the lockout says nothing about which usernames exist. The client address is
# REMOTE_ADDR: behind a reverse proxy that is the proxy's, which makes this a
# per-username lockout (safe, if blunter) until AXES_CLIENT_IP_CALLABLE is set.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(f"DJANGO_LOGIN_FAILURE_LIMIT must be at least 1; got {AXES_FAILURE_LIMIT}")
_cooloff_minutes = env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15)
if _cooloff_minutes < 1:
    raise ImproperlyConfigured(f"DJANGO_LOGIN_COOLOFF_MINUTES must be at least 1; got {_cooloff_minutes}")
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes)
AXES_RESET_ON_SUCCESS = True
# Any attempt during a lockout starts the cool-off again (axes' default; the
# lockout page says so).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# A page in the site's design (HTTP 429) that names no username.
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429

SESSION_COOKIE_AGE = 12 * 60 * 60  # seconds: a working day, then sign in again
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Cookies only over HTTPS, except while developing over plain http.
# (Chromium counts http://localhost as secure, so the browser tests still sign in.)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- End of sessions and sign-in ---------------------------------------------

# --- Transport, headers and Content-Security-Policy -------------------------
# Safe production defaults whenever DEBUG is off; each can be overridden (for
# example to serve plain http on 127.0.0.1 behind a TLS-terminating proxy).

# HTTP Strict Transport Security: browsers use HTTPS only, for a year.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
# Plain http is redirected to https, except the health check (load balancers probe it over http).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (and strips
# it from clients), trust it; otherwise never, or a client could claim https.
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Scripts, styles, images and fonts only from this site; no inline script or
# style, no eval, no plugins, no framing, forms post only here. Templates keep
# every script in static/js/ (tests/test_security_headers.py checks for inline
# ones). SVG charts are inline <svg> elements, which need nothing extra.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Logging ------------------------------------------------------------------
# One key=value line per record on stderr (tracker.logfmt.KeyValueFormatter):
# the audit events (sign-ins, failures, lockouts, 403s, progress updates) at
# INFO and above, Django's own warnings and errors (500s with their traceback,
# which never reaches the browser), and django-axes' lockout warnings.
LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL; got {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"key_value": {"()": "tracker.logfmt.KeyValueFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "key_value"}},
    "loggers": {
        "tracker.audit": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": True},
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": True},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": True},
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production WhiteNoise serves what collectstatic gathered, under names with
# a content hash, compressed, with a year's Cache-Control ("immutable"). While
# developing (DEBUG on) files are served as they are, straight from static/.
# Tests render pages without running collectstatic: tests/conftest.py switches
# them to the plain storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Evidence files attached to organisations' responses are kept through the "default"
# storage (set STORAGES to an S3-compatible backend in production), under MEDIA_ROOT here.
# They are never served from MEDIA_URL: only the evidence view serves them, to those who may
# see the response.
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
# The largest evidence file accepted (bytes); uploads above it are refused with a message.
TRACKER_EVIDENCE_MAX_BYTES = env_int("TRACKER_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)

DJANGO_TABLES2_TEMPLATE = "django_tables2/sgds_table.html"

# Dashboards list recommendations not assessed for longer than this (months).
TRACKER_STALE_MONTHS = env_int("TRACKER_STALE_MONTHS", 24)
# Above this many reports the table's report filter becomes a "title contains" box.
TRACKER_REPORT_CHOICES_MAX = env_int("TRACKER_REPORT_CHOICES_MAX", 300)

# --- Bulk import and export in the admin (django-import-export) -------------

# Importing needs the model's "import" permission (recommendations.import_recommendation,
# recommendations.import_progressupdate), not just access to the model in the admin.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# One transaction per file: any invalid row and nothing is written.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False  # imported rows go into the admin's change history
TRACKER_IMPORT_MAX_BYTES = env_int("TRACKER_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
TRACKER_IMPORT_MAX_ROWS = env_int("TRACKER_IMPORT_MAX_ROWS", 1000)

# --- Operations: retention, metrics, error reporting (#22) -------------------
# What is kept and for how long (README "Data we keep and for how long" and the privacy
# notice at /privacy/ show these values). `python manage.py maintenance`, run daily by
# deploy/systemd/tracker-maintenance.timer, applies them. Recommendations, progress
# updates and the admin's change history are the audit trail and are never removed.
TRACKER_RETENTION_SIGN_IN_DAYS = env_int("TRACKER_RETENTION_SIGN_IN_DAYS", 90)
if TRACKER_RETENTION_SIGN_IN_DAYS < 1:
    raise ImproperlyConfigured(
        f"TRACKER_RETENTION_SIGN_IN_DAYS must be at least 1; got {TRACKER_RETENTION_SIGN_IN_DAYS}"
    )
if timedelta(days=TRACKER_RETENTION_SIGN_IN_DAYS) <= AXES_COOLOFF_TIME:
    raise ImproperlyConfigured("TRACKER_RETENTION_SIGN_IN_DAYS must outlast the sign-in lockout's cool-off.")
# Who to ask about personal data, shown on the privacy notice.
TRACKER_PRIVACY_CONTACT = env_str("TRACKER_PRIVACY_CONTACT", "the tracker's administrator")

# Prometheus metrics (django-prometheus) at /metrics, for a scraper presenting
# "Authorization: Bearer <TRACKER_METRICS_TOKEN>". Without a token the path is a 404.
# With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (deploy/ does) so that the
# page sums every worker's counts.
TRACKER_METRICS_TOKEN = env_str("TRACKER_METRICS_TOKEN")
if TRACKER_METRICS_TOKEN and len(TRACKER_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("TRACKER_METRICS_TOKEN must be at least 32 characters long.")
INSTALLED_APPS.append("django_prometheus")
# Request counts and latencies by view: the first middleware times the whole stack, the last
# one records the view, the status and the latency.
MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
# Database query counts and times (the same database, through django-prometheus' wrapper).
_PROMETHEUS_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # Tests on SQLite stay in memory, as with Django's own engine: pytest-xdist would
        # otherwise name each worker's test database after the file's path.
        _database.setdefault("TEST", {}).setdefault("NAME", ":memory:")
    _database["ENGINE"] = _PROMETHEUS_DB_ENGINES.get(_database["ENGINE"], _database["ENGINE"])
# Cache hits and misses (tracker.cache_backends counts them under django-prometheus' names).
_COUNTED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "tracker.cache_backends.CountedLocMemCache",
    "django.core.cache.backends.redis.RedisCache": "tracker.cache_backends.CountedRedisCache",
}
for _cache in CACHES.values():
    _cache["BACKEND"] = _COUNTED_CACHES.get(_cache["BACKEND"], _cache["BACKEND"])

# Error reporting to Sentry only when SENTRY_DSN is set, with personal data scrubbed
# (tracker.sentry: no request bodies, cookies or addresses; usernames hashed).
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    from tracker.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "tracker.sentry.SentryUserMiddleware",
)
LOGGING["loggers"]["tracker.maintenance"] = {"handlers": ["stderr"], "level": "INFO", "propagate": True}
# --- End of operations ---------------------------------------------------------
