"""Django settings, read from the environment.

With nothing set, DealerCRM runs as an embedded demo: SQLite under ``var/``, Celery tasks
in-process, DEBUG on. Production sets ``DJANGO_DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS``,
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (Celery broker and cache).
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("DEALERCRM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    # The ground (imports no app), the product bottom to top, then the roof (imports of no
    # product app): the same order as the layers contract in pyproject.toml.
    "core",
    "accounts",
    "customers",
    "vehicles",
    "contacts",
    "segmentation",
    "winback",
    "reports",
    "api",
    "demo",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealercrm.urls"
WSGI_APPLICATION = "dealercrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.navigation.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dealercrm.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a management command writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every sign-in (staff /login/ and /admin/login/) before the model backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first: zh-hans is the default language, English the second.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis: Celery broker and cache when REDIS_URL is set; otherwise in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dealercrm",
            # A Redis that drops packets must not hang a request: the API's throttle falls back
            # to counting in the process when the cache fails (docs/api.md: rate limits).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Scheduled scoring runs split the customers into this many shards, one Celery task each.
# A sharded run's coordinator waits for its shards in a worker slot of its own, so the workers
# need more than one slot between them.
SCORING_SHARDS = env.int("SCORING_SHARDS", default=1)
# The queue shard tasks go to (empty: the default queue), so dedicated machines can take them.
SCORING_SHARD_QUEUE = env.str("SCORING_SHARD_QUEUE", default="")
# Periodic jobs: monthly scoring at 02:00 on the 1st, early warnings every morning (R4).
CELERY_BEAT_SCHEDULE: dict = {
    "score-month": {
        "task": "segmentation.score_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "early-warning": {
        "task": "segmentation.early_warning",
        "schedule": crontab(minute=30, hour=5),
    },
    "winback-daily": {
        "task": "winback.daily",
        "schedule": crontab(minute=0, hour=6),
    },
    # After the morning's outcome measurement (winback-daily).
    "monthly-report-refresh": {
        "task": "reports.monthly_report_refresh",
        "schedule": crontab(minute=30, hour=6),
    },
    # Shorter than the cache lifetime of the dashboard's work figures (5 minutes).
    "dashboard-refresh": {
        "task": "reports.dashboard_refresh",
        "schedule": crontab(minute="*/4"),
    },
}
# Tasks enqueued (on commit, with the run id) after every successful scoring run: the apps
# above segmentation hook in here, so segmentation imports none of them.
SCORING_RUN_FOLLOW_UPS = ["winback.tasks.round_generate_task"]
# A service order for a customer worth a word (at risk, lost, 6+/7+, loan ending) puts a task
# on their advisor at once; a dealership without that workflow turns it off.
SERVICE_LANE_ALERTS = env.bool("SERVICE_LANE_ALERTS", default=True)

# The DMS sync API (api/, R8.1): token auth for DMS clients, session auth for browser users.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
}
#: Largest request body the API reads (a 5,000-record batch of service orders is ~2.5 MB).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=20 * 1024 * 1024)
#: Per-client rates (DRF syntax: N/s, N/min, N/hour, N/day).
API_SYNC_RATE = env.str("API_SYNC_RATE", default="120/min")
API_READ_RATE = env.str("API_READ_RATE", default="600/min")
#: The incremental feed serves rows older than this (clock skew, writes outside the API).
API_FEED_SETTLE_SECONDS = env.float("API_FEED_SETTLE_SECONDS", default=1.0)
SPECTACULAR_SETTINGS = {
    "TITLE": _("DealerCRM DMS sync API"),
    "DESCRIPTION": _(
        "Idempotent bulk upserts keyed by the DMS's own ids, per-record outcomes, incremental "
        "read-back over (updated_at, id), scoring results. Authenticate with "
        "`Authorization: Token <key>`."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.closed_inputs",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ContactChannelEnum": "contacts.models.ContactChannel.choices",
        "CustomerChannelEnum": "customers.models.Channel.choices",
        "ComplaintCategoryEnum": "contacts.models.ComplaintCategory.choices",
        "ComplaintStatusEnum": "contacts.models.ComplaintStatus.choices",
        "LineCategoryEnum": "vehicles.models.LineCategory.choices",
        "ScoreStatusEnum": "segmentation.models.Status.choices",
        "LineNecessityEnum": "vehicles.models.Necessity.choices",
        "PurchaseNecessityEnum": "winback.models.PurchaseNecessity.choices",
    },
}

# Sign-in lockout and audit (R7.2, django-axes): 5 wrong passwords for one user name from one
# address lock that pair out for 15 minutes; other users and addresses are not affected. Every
# sign-in, failed or not, is recorded (user, address, time) and listed to managers in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Behind a reverse proxy (Docker compose, nginx) the client's address is the last proxy's
# X-Forwarded-For entry: set AXES_PROXY_COUNT=1 there, 0 when clients connect directly.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from our own origin
# only, no inline script or style; the templates keep their behaviour in static/js/staff.js.
# The API's interactive docs (Swagger UI, ReDoc) start with inline script and are left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs/", "/api/v1/redoc/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Personal data (R7.2): one user exporting more customer rows than this in a day (Beijing)
# alerts their manager, and the access log page flags them.
EXPORT_ALERT_ROWS = env.int("EXPORT_ALERT_ROWS", default=5_000)
# Called with (log entry) after every export is logged (customers.services.data_access_record):
# the apps above customers hook in here, so customers imports none of them.
DATA_ACCESS_EXPORT_FOLLOW_UPS = ["reports.export_alerts.export_alert_check"]
# Mail, for that alert: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587;
# without it mails are written to the console (the log).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="dealercrm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Largest page of customers the API serves to a person signed in with a session (their bulk
# reads are logged); the DMS client's token may page up to the API's own maximum.
API_PEOPLE_MAX_LIMIT = env.int("API_PEOPLE_MAX_LIMIT", default=200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Production hardening: everything `manage.py check --deploy` asks for.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
