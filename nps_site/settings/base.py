"""Settings read from the environment.

Nothing set means the embedded defaults: DEBUG on, SQLite, local-memory cache,
Celery on a filesystem transport, console email. Production sets DEBUG=0 and
must then provide SECRET_KEY.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_DIR = BASE_DIR / ".run"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG=0. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "tenants",
    "surveys",
    "responses",
    "dashboards",
    "followups",
    "rollups",
    "outreach",
    "integrations",
    "delighted_api",
    "importer",
    "alerts",
    "themes",
    "testimonials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "nps_site.security.ContentSecurityPolicyMiddleware",
    # The widget's endpoints skip the layers below that do nothing for them.
    "responses.middleware.WidgetEndpointMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenants.language.InterfaceLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tenants.api_parsers.RefuseNulInApiUrlMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's saved language beats Accept-Language.
    "tenants.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.TenantMiddleware",
]

ROOT_URLCONF = "nps_site.urls"
WSGI_APPLICATION = "nps_site.wsgi.application"

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
                "tenants.context_processors.tenancy",
                "followups.context_processors.inbox_badge",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Empty counts as unset, so `DATABASE_URL= make run` means the embedded default.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if USES_POSTGRES:
    # Django's backend, plus the tenant context handed to Postgres for its
    # row-level security policies (tenants.row_security).
    DATABASES["default"]["ENGINE"] = "tenants.postgres"
    # A new Postgres connection costs ~9 ms; reusing them is worth a fivefold throughput.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast when the server is unreachable: requests answer 503 meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=3
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# The role the app connects as, when migrations run as the tables' owner:
# `migrate` grants it what it needs on every table (docs/SECURITY.md).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, with one Redis client per pool instead of one per call.
            "BACKEND": "nps_site.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="nps"),
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    # Longer than any task's hard limit: Redis hands an unacknowledged message
    # to another worker after this long, which must not happen to a running task.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        # Publishing fails in milliseconds when Redis is down, instead of ~6 s
        # of reconnect back-off inside a web request: what a request publishes
        # after its commit (webhooks, alerts) is also in Postgres for the beat
        # sweep. Workers reconnect under broker_connection_retry, not this.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded transport: a real worker and beat with no Redis to install.
    _broker_dir = RUN_DIR / "broker"
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A worker that dies mid-task hands its message back instead of acknowledging
# it: tasks are safe to run twice, losing one is worse.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(RUN_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {
        "task": "tenants.tasks.expire_invitations",
        "schedule": 3600.0,
    },
    "outreach-send-due": {"task": "outreach.tasks.send_due", "schedule": 60.0},
    # Webhook attempts that are due: retries, and first tries the broker missed.
    "webhooks-deliver-due": {
        "task": "integrations.tasks.deliver_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Fans out one rollup refresh per organization; a tick that waits in the
    # queue longer than a minute is dropped, the next one does the same work.
    "rollups-incremental": {
        "task": "rollups.tasks.refresh_all",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Weekly chat digests that are due, and alerts a lost message left unsent.
    "alerts-hourly": {
        "task": "alerts.tasks.hourly",
        "schedule": crontab(minute=0),
        "options": {"expires": 3000},
    },
}
# Rollups re-read writes this many seconds older than their watermark: the
# longest a transaction may take to commit after stamping its rows, plus clock
# skew between machines. Dashboards ignore rollups when ROLLUPS_ENABLED=0.
ROLLUPS_ENABLED = env.bool("ROLLUPS_ENABLED", default=True)
ROLLUPS_OVERLAP_SECONDS = env.int("ROLLUPS_OVERLAP_SECONDS", default=300)
# The largest Delighted export the back office accepts (stored in the database
# until imported); the import_delighted command has no limit.
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=50)
# Comment themes: a stale result younger than this is shown rather than redone.
THEMES_REFRESH_SECONDS = env.int("THEMES_REFRESH_SECONDS", default=300)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Failed logins before further attempts are refused, per email and per client
# IP, within LOGIN_LOCKOUT_SECONDS of the first failure.
LOGIN_MAX_FAILURES_PER_EMAIL = env.int("LOGIN_MAX_FAILURES_PER_EMAIL", default=5)
LOGIN_MAX_FAILURES_PER_IP = env.int("LOGIN_MAX_FAILURES_PER_IP", default=30)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
LOGOUT_REDIRECT_URL = "login"
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)

# --- Email ----------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="NPS <nps@localhost>")
# Survey emails: how long score links work, how often a send is tried, and
# when a send left unfinished by a stopped worker is tried again.
SURVEY_LINK_MAX_AGE_DAYS = env.int("SURVEY_LINK_MAX_AGE_DAYS", default=30)
OUTREACH_MAX_ATTEMPTS = env.int("OUTREACH_MAX_ATTEMPTS", default=5)
OUTREACH_STUCK_MINUTES = env.int("OUTREACH_STUCK_MINUTES", default=10)

# --- I18n -----------------------------------------------------------------
LANGUAGE_CODE = "en"
# The back office's languages; the widget speaks its own list (surveys.presets).
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
# Where collectstatic writes (the image builds it in); servers started side by side
# by the tests each collect into a directory of their own.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- API ------------------------------------------------------------------
# Requests per API key, as "<count>/<second|minute|hour|day>".
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "tenants.api_parsers.SafeJSONParser",
        "tenants.api_parsers.SafeFormParser",
        "tenants.api_parsers.SafeMultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "tenants.api_docs.ApiSchema",
    "EXCEPTION_HANDLER": "tenants.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["tenants.api_throttle.ApiKeyRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
API_DESCRIPTION = """\
Surveys, responses and scores of one organization: the one the API key belongs to.
No organization id is ever taken from the request.

**Auth**: `Authorization: Bearer nps_<prefix>_<secret>`. Read-only keys may only read;
a write with one answers 403.

**Errors** always have one shape, `{"error": {"code", "message", "details"}}`: 401 no or
bad key, 403 read-only key, 404 not found (another organization's objects too), 409
conflict, 422 invalid input (`details` lists the problems per field), 429 throttled.

**Pagination**: lists answer one page at a time with `next` and `previous` links to
follow (`page`/`per_page`, or an opaque `cursor` on long, growing lists).

**Rate limits**: each key has its own budget (`API_RATE_LIMIT`, 1200 a minute by
default); over it, 429 with `Retry-After` in seconds.

Guide: `docs/API.md`. This schema: `/api/schema/` (YAML, `?format=json` for JSON).
"""
API_TAGS = [
    {"name": "organization", "description": "The organization the key belongs to."},
    {"name": "surveys", "description": "Surveys: create, change, pause and resume."},
    {"name": "respondents", "description": "The people who answer, their traits, erasure."},
    {"name": "responses", "description": "Answers, their comments, tags, notes, follow-up."},
    {"name": "metrics", "description": "NPS and its parts, by survey, channel, trait, time."},
    {"name": "survey_requests", "description": "Survey emails: schedule and cancel."},
    {"name": "unsubscribes", "description": "People who asked for no more survey emails."},
    {"name": "webhooks", "description": "Subscriptions to events, and their deliveries."},
]
SPECTACULAR_SETTINGS = {
    "TITLE": "NPS service API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVERS": [{"url": "http://127.0.0.1:8000", "description": "A local `make run`"}],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "TAGS": API_TAGS,
    "PREPROCESSING_HOOKS": ["tenants.api_docs.only_public_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenants.api_docs.finish_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SurveyRequestStatusEnum": "outreach.models.Status",
        "SurveyRequestSourceEnum": "outreach.models.Source",
        "ChannelEnum": "responses.models.Channel",
        "FollowUpStatusEnum": "responses.models.FollowUpStatus",
        "SurveyKindEnum": "surveys.models.SurveyKind",
        "TestimonialStatusEnum": "testimonials.models.Status",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Offline: no call to the public validator (Redoc's page: templates/api/redoc.html).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by load balancers and compose.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# API keys are stored as HMAC(pepper, key); rotating the pepper revokes every key.
API_KEY_PEPPER = env.str("API_KEY_PEPPER", default=SECRET_KEY)


# --- Public widget endpoints ---------------------------------------------
def _rate(name: str, default: str) -> tuple[int, int]:
    """`requests/seconds`, e.g. 300/60: a fixed window per client or survey."""
    raw = env.str(name, default=default)
    count, _, seconds = raw.partition("/")
    try:
        return int(count), int(seconds or 60)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 300/60, not {raw!r}") from None


WIDGET_RATE_LIMIT_PER_IP = _rate("WIDGET_RATE_LIMIT_PER_IP", "300/60")
WIDGET_RATE_LIMIT_PER_SURVEY = _rate("WIDGET_RATE_LIMIT_PER_SURVEY", "20000/60")
# Seconds each web process remembers a survey looked up by its public key (the
# first step of every widget request); a change made elsewhere shows within that.
WIDGET_SURVEY_CACHE_SECONDS = env.float("WIDGET_SURVEY_CACHE_SECONDS", default=5.0)
# How many reverse proxies append to X-Forwarded-For in front of the app.
WIDGET_TRUSTED_PROXIES = env.int("WIDGET_TRUSTED_PROXIES", default=0)

# --- Outbound HTTP (webhooks, chat alerts) ------------------------------------
# Tenants choose these URLs: private, loopback and link-local targets are
# refused unless an operator opts in (a receiver on the same private network).
OUTBOUND_ALLOW_PRIVATE_NETWORKS = env.bool("OUTBOUND_ALLOW_PRIVATE_NETWORKS", default=False)

# --- Webhooks -------------------------------------------------------------
# Seconds to wait after each failed attempt; one attempt more than entries.
WEBHOOK_RETRY_SCHEDULE = [
    int(seconds)
    for seconds in env.list(
        "WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000"]
    )
]
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A subscription is disabled after this many deliveries given up in a row, or
# when every attempt has failed for this many hours.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
# An attempt still 'sending' after this long was left by a stopped worker.
WEBHOOK_STUCK_MINUTES = env.int("WEBHOOK_STUCK_MINUTES", default=5)

# --- Chat alerts (Slack, Teams) ---------------------------------------------
# Chat alerts wait this long after an answer, so the comment that usually
# follows the score is in the message.
ALERTS_DELAY_SECONDS = env.int("ALERTS_DELAY_SECONDS", default=60)
