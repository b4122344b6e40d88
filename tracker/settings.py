"""Settings for Recommendation Tracker, read from the environment.

Defaults give a working local development set-up on SQLite; production sets
DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_int, env_list, env_str

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
    "axes",
    "django_filters",
    "django_tables2",
    "import_export",
    "tracker",
    "reports",
    "recommendations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

DJANGO_TABLES2_TEMPLATE = "django_tables2/sgds_table.html"

# Dashboards list recommendations not assessed for longer than this (months).
TRACKER_STALE_MONTHS = env_int("TRACKER_STALE_MONTHS", 24)

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
