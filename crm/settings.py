"""Settings for the CRM, driven by environment variables (see the table in README.md)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", None)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The customer page shows deals and sales, so the sales app serves it; the project says where it is.
ABSOLUTE_URL_OVERRIDES = {
    "customers.customer": lambda customer: reverse("sales:customer_detail", args=[customer.pk]),
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_filters",
    "history",
    "people",
    "accounts",
    "customers",
    "sales",
    "dataio",
    "automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crm.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.replica.ReplicaMiddleware",
    "history.middleware.ActorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "crm.context_processors.crm",
            ],
            "builtins": ["crm.formatting"],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A kept connection dies with a database restart; checking it before reuse saves each
        # worker's next request from a server error.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let a web process and a worker share the file without
    # "database is locked" errors; the busy timeout makes a writer wait instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
    }

# A connection pool per process (psycopg's pool) instead of one kept connection per thread.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0, minimum=0)


def _pooled(database: dict) -> dict:
    if DB_POOL_SIZE and database["ENGINE"] == "django.db.backends.postgresql":
        database["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        database.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE}
    return database


_pooled(DATABASES["default"])

# A streaming replica for reports: dashboards, the metrics API and exports read from it (crm/replica.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # In tests the replica serves the primary's test database, which reaches it by replication.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    _pooled(DATABASES["replica"])
    DATABASE_ROUTERS = ["crm.replica.ReplicaRouter"]
REPLICA_READ_VIEWS = {
    "sales:dashboard",
    "api:metrics",
    "dataio:customer_export",
    "dataio:deal_export",
    "dataio:salesrecord_export",
}
# After a write, a user's pages read from the primary this long, so they see what they wrote.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 30, minimum=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Counts failed sign-ins and refuses attempts over the limit before checking the password.
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sales:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["crm.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "crm@localhost")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
# The public address of the CRM, for links in emails (e.g. https://crm.example.com).
CRM_SITE_URL = env_str("CRM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The worker (python manage.py worker): seconds between its rounds, how long a claimed reminder is
# held before another worker may take it over (and how often it is tried), and when the daily
# jobs run (business time zone).
CRM_WORKER_INTERVAL = env_int("CRM_WORKER_INTERVAL", 10, minimum=1)
CRM_REMINDER_LEASE_SECONDS = env_int("CRM_REMINDER_LEASE_SECONDS", 120, minimum=1)
# How many times a reminder's email is tried (a lease each) before it is marked failed.
CRM_REMINDER_MAX_ATTEMPTS = env_int("CRM_REMINDER_MAX_ATTEMPTS", 5, minimum=1)
CRM_DIGEST_HOUR = env_int("CRM_DIGEST_HOUR", 7, minimum=0)
# The weekday of the managers' weekly digest (0 Monday … 6 Sunday).
CRM_WEEKLY_DIGEST_WEEKDAY = env_int("CRM_WEEKLY_DIGEST_WEEKDAY", 0, minimum=0)
# /health/ answers 503 when no worker went round its loop for this many seconds.
CRM_HEALTH_HEARTBEAT_SECONDS = env_int("CRM_HEALTH_HEARTBEAT_SECONDS", 120, minimum=1)
# The worker rebuilds "Suggested next" nightly, and after new sales at most this often.
CRM_RECOMMEND_REBUILD_MINUTES = env_int("CRM_RECOMMEND_REBUILD_MINUTES", 10, minimum=1)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The one reporting currency; every amount in the CRM is in it.
CRM_CURRENCY = env_str("CRM_CURRENCY", "USD")
# Days without a logged activity after which an open deal counts as stale.
CRM_STALE_DAYS = env_int("CRM_STALE_DAYS", 14)
# Seconds a user's dashboard figures for one scope are reused (0 turns the cache off).
CRM_DASHBOARD_CACHE_SECONDS = env_int("CRM_DASHBOARD_CACHE_SECONDS", 0)
# Seconds the pipeline settings and learned stage probabilities are reused (0 turns this off).
CRM_LEARNED_PROBABILITIES_CACHE_SECONDS = env_int("CRM_LEARNED_PROBABILITIES_CACHE_SECONDS", 300, minimum=0)
# Rows with data an imported file may have, in the browser and on the command line.
CRM_IMPORT_MAX_ROWS = env_int("CRM_IMPORT_MAX_ROWS", 200_000)
# A browser import of more rows than this runs in the worker, with a progress bar.
CRM_IMPORT_BACKGROUND_ROWS = env_int("CRM_IMPORT_BACKGROUND_ROWS", 2000, minimum=0)
# A list export of more rows than this is written by the worker and offered for download (0: never).
CRM_EXPORT_BACKGROUND_ROWS = env_int("CRM_EXPORT_BACKGROUND_ROWS", 20_000, minimum=0)
# How long a worker holds a background import or export before another may take it over (a dead
# worker's import rolled back; an export is simply written again).
CRM_IMPORT_LEASE_SECONDS = env_int("CRM_IMPORT_LEASE_SECONDS", 1800, minimum=60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Refuses malformed tokens (NUL bytes) with a 401 before they reach the database.
        "sales.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "Customers, deals, activities, sales records, plans and metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API is documented as JSON; form posts (the browsable API's) still work but are not promised.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sales.api.schema.document_error_answers",
    ],
}

# Sign-in protection: an account or a client address is locked for CRM_LOCKOUT_MINUTES once
# CRM_LOCKOUT_FAILURES sign-ins failed within that many minutes.
CRM_LOCKOUT_FAILURES = env_int("CRM_LOCKOUT_FAILURES", 10, minimum=1)
CRM_LOCKOUT_MINUTES = env_int("CRM_LOCKOUT_MINUTES", 15, minimum=1)
# Password-reset emails: at most CRM_RESET_LIMIT per email address, and separately per client
# address, within CRM_RESET_MINUTES; more are answered alike but send nothing.
CRM_RESET_LIMIT = env_int("CRM_RESET_LIMIT", 5, minimum=1)
CRM_RESET_MINUTES = env_int("CRM_RESET_MINUTES", 60, minimum=1)
# Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are believed.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# A session ends after CRM_SESSION_IDLE_MINUTES without a request and CRM_SESSION_MAX_HOURS after
# signing in, whichever comes first (accounts.middleware); an API token after CRM_TOKEN_HOURS.
CRM_SESSION_IDLE_MINUTES = env_int("CRM_SESSION_IDLE_MINUTES", 30, minimum=1)
CRM_SESSION_MAX_HOURS = env_int("CRM_SESSION_MAX_HOURS", 12, minimum=1)
CRM_TOKEN_HOURS = env_int("CRM_TOKEN_HOURS", 24 * 30, minimum=1)
SESSION_COOKIE_AGE = CRM_SESSION_MAX_HOURS * 3600

HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
# Browsers refuse plain HTTP to the site for a year once they have seen it over HTTPS.
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if TRUSTED_PROXY_COUNT:
    # The proxy terminates TLS; without this every request would look like plain HTTP and be
    # redirected forever.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
