"""Settings, read from the environment with strict parsing.

Every deployment-specific value comes from an environment variable; `config.stack` sets them for the
embedded development stack (`make run`, `make test`). Production must set SECRET_KEY explicitly.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. `make run` generates one in var/; production must set it."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if "DATABASE_URL" not in env:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test`, which start an embedded "
        "PostgreSQL when it is unset, or export DATABASE_URL=postgres://user@host:5432/db."
    )
DATABASES = {"default": env.db_url("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Xianjie runs on PostgreSQL only (DATABASE_URL=postgres://…).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The planner's cost of a random page read: PostgreSQL's default (4) assumes spinning disks;
# on SSDs with the working set cached, 1.1 is the usual value. With 4 it hashes all 824k
# memberships rather than look up a district search's 5,000 persons (issue 7, bench/pages.py).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c random_page_cost=" + env.str(
    "DB_RANDOM_PAGE_COST", default="1.1"
)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_xianjie")}

REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is not set (redis://host:6379/0).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Registers OpClass for functional indexes (households: reverse(id_number) text_pattern_ops).
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    # The registry API's clients (transitions.registry_api): client-credentials grant only.
    "oauth2_provider",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "core",
    "households",
    "assistance",
    "poverty",
    "verification",
    "transitions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    # Before anything reads GET/POST into a query (CSRF reads POST): NUL → 400.
    "core.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out log-in into core.lockout's page / JSON.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

AUTH_USER_MODEL = "core.User"
# Axes first: it refuses a locked-out user before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "core.backends.RoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Working days the town has to answer an objection to a public disclosure (transitions.disclosure).
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "core.passwords.DemoPasswordValidator"},
]

# Demo mode (`make run` / `make dev` set DEMO_MODE=1): demo users with the public demo password.
# Outside it, that password is refused by the validator above and `demo_users` refuses to run.
DEMO_MODE = env.bool("DEMO_MODE", default=False)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="xianjie-demo")

# Log-in lockout (django-axes, docs/decisions/0005): after AXES_FAILURE_LIMIT failures for a
# user name, or from an address, that user / address is refused for the cool-off time (each
# further failure restarts it). A data administrator unlocks in the admin (访问尝试) or with
# `manage.py axes_reset_username NAME` / `axes_reset_ip IP`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # core.admin registers a scoped attempts admin instead
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # behind a proxy: see README

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Every dropdown's blank option reads 请选择 (core.forms.FormRenderer).
FORM_RENDERER = "core.forms.FormRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="xianjie"),
    }
}

# A department's dataset file (verification): 1,000,000 rows of CSV are ~100 MB.
DATASET_UPLOAD_MAX_BYTES = env.int("DATASET_UPLOAD_MAX_BYTES", default=500 * 1024 * 1024)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Task modules autodiscovery misses (it finds only `<app>.tasks`); a worker must know every task.
CELERY_IMPORTS = (
    "assistance.dibao.tasks",
    "assistance.payroll.tasks",
    "transitions.exchange.tasks",
    "transitions.supervision.tasks",
    "transitions.registry_api.tasks",
    "transitions.supervision.whatif.tasks",
    "transitions.reconciliation.tasks",
)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Dynamic management: periodic reviews that are due are opened every night (Asia/Shanghai).
    "assistance-open-due-reviews": {
        "task": "assistance.open_due_reviews",
        "schedule": crontab(hour=1, minute=0),
    },
    # Next month's draft payroll for every district, on the 25th (approved months are skipped).
    "assistance-build-next-month-payrolls": {
        "task": "assistance.build_next_month_payrolls",
        "schedule": crontab(day_of_month="25", hour=2, minute=0),
    },
    # Files of attachments whose upload transaction rolled back (no row points to them).
    "assistance-purge-orphan-attachments": {
        "task": "assistance.purge_orphan_attachments",
        "schedule": crontab(day_of_week="sunday", hour=3, minute=0),
    },
    # The lists' region tallies: each region's appended rows summed into one (households.tally).
    "households-compact-region-tallies": {
        "task": "households.compact_region_tallies",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every dibao household classified again (ages move on, rules take effect); one statement.
    "poverty-classify-all": {
        "task": "poverty.classify_all",
        "schedule": crontab(hour=1, minute=30),
    },
    # The 6-month phase-out: due and overdue re-assessments marked, their hand-offs opened.
    # The economic cross-check (verification): pending applications nightly, every active case
    # monthly (a newly merged snapshot re-checks both at once).
    "verification-check-pending-applications": {
        "task": "verification.check_pending_applications",
        "schedule": crontab(hour=2, minute=30),
    },
    "verification-check-active-cases": {
        "task": "verification.check_active_cases",
        "schedule": crontab(day_of_month="1", hour=3, minute=0),
    },
    # The standing public disclosure (公示): every standing list republished with the month's
    # recipients on the 1st (after the night's reviews and classification).
    "transitions-republish-disclosures": {
        "task": "transitions.republish_disclosures",
        "schedule": crontab(day_of_month="1", hour=4, minute=0),
    },
    # Return-to-poverty monitoring (防返贫): every rule in force over the register and the
    # latest datasets, on the 2nd (after the 1st's checks and merges); opens no case twice.
    "transitions-run-monitoring": {
        "task": "transitions.run_monitoring",
        "schedule": crontab(day_of_month="2", hour=3, minute=0),
    },
    "transitions-mark-phase-outs": {
        "task": "transitions.mark_phase_outs",
        "schedule": crontab(hour=0, minute=30),
    },
    # Hand-offs not acknowledged in time go to the district's supervisors.
    "transitions-escalate-handoffs": {
        "task": "transitions.escalate_handoffs",
        "schedule": crontab(hour=7, minute=0),
    },
    # Every dibao and tekun person on the social-security worklist.
    "transitions-sync-enrolments": {
        "task": "transitions.sync_enrolments",
        "schedule": crontab(hour=4, minute=0),
    },
    # Exchange batches (domain.md §8): every stream's batch of the previous month, on the day
    # and hour set below; receipts overdue told to the receiver once, every morning.
    "transitions-build-monthly-exchange-batches": {
        "task": "transitions.build_monthly_exchange_batches",
        "schedule": crontab(
            day_of_month=str(env.int("EXCHANGE_BUILD_DAY", default=1)),
            hour=env.int("EXCHANGE_BUILD_HOUR", default=5),
            minute=0,
        ),
    },
    "transitions-notify-overdue-exchange-batches": {
        "task": "transitions.notify_overdue_exchange_batches",
        "schedule": crontab(hour=7, minute=30),
    },
    # Jobs whose worker died (no progress for JOB_STALE_AFTER_MINUTES) are marked failed.
    "core-fail-stale-jobs": {
        "task": "core.fail_stale_jobs",
        "schedule": crontab(minute="*/2"),
    },
}

# A worker killed mid-task must not lose it: acknowledged only when done, rejected (so requeued)
# when a pool process dies, one task reserved at a time. Redis redelivers an unacknowledged task
# after the visibility timeout, which must outlast the longest job or a slow job runs twice.
JOB_TIME_LIMIT = env.int("JOB_TIME_LIMIT", default=30 * 60)  # seconds, hard limit of one task
# An exchange batch not acknowledged this many days after it was built is overdue.
JOB_STALE_AFTER_MINUTES = env.int("JOB_STALE_AFTER_MINUTES", default=10)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = JOB_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = JOB_TIME_LIMIT - 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=JOB_TIME_LIMIT + 10 * 60),
}

# Sessions are kept in the database and read through the cache (Redis): a page's session lookup
# is a cache read, not a query (bench/pages.py: every page paid one); logout and expiry still
# delete both.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HTTPS, when SECURE_COOKIES=1 or HTTPS=1 is set: redirect http → https and send HSTS
# (`check --deploy` warns until one is). Behind a TLS-terminating proxy also set BEHIND_PROXY=1,
# so that the proxy's X-Forwarded-Proto is trusted.
HTTPS = env.bool("HTTPS", default=env.bool("SECURE_COOKIES", default=False))
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Preloading a domain into browsers is hard to undo: the domain's owner decides (HSTS_PRELOAD=1).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): scripts and styles from this site only; the few inline
# <style> blocks carry the per-request nonce. No inline scripts or event handlers (static/js/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.api_auth.ExpiringTokenAuthentication",
    ],
    # Generous for people and scripts at work; a runaway loop or a scraper hits 429.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api_auth.AnonThrottle",
        "core.api_auth.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="60/min"),
        "user": env.str("API_RATE_USER", default="600/min"),
        "registry": env.str("API_RATE_REGISTRY", default="300/min"),
    },
    # The client address is REMOTE_ADDR: X-Forwarded-For is not trusted unless NUM_PROXIES says
    # how many proxies stand in front.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_PERMISSION_CLASSES": ["core.api_permissions.RolePermission"],
    # Every list: its declared filters, and a 400 naming any other query parameter.
    "DEFAULT_FILTER_BACKENDS": [
        "core.api_filters.UnknownParametersFilter",
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    # page and page_size (at most core.api_filters.MAX_PAGE_SIZE).
    "DEFAULT_PAGINATION_CLASS": "core.api_filters.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.api_renderers.BrowsableAPIRenderer",
    ],
}
# API tokens expire this long after they were issued; revoked by POST /api/v1/auth/token/revoke/,
# in the admin, and whenever the user's password changes.
API_TOKEN_TTL = timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30))

# The registry API for other systems (transitions.registry_api, docs/decisions/0025): OAuth2
# client credentials; tokens stored only as their SHA-256 (RFC 9700), valid one hour.
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("REGISTRY_TOKEN_SECONDS", default=3600),
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Only client credentials are used; the other grants' security-BCP behaviour on regardless.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "OAUTH2_VALIDATOR_CLASS": "transitions.registry_api.auth.RegistryOAuth2Validator",
    "SCOPES": {"registry": "Read the social registry"},
    "DEFAULT_SCOPES": ["registry"],
}
# Named by the registry client's foreign key (DOT's model is swappable).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
REGISTRY_API_MAX_PAGE_SIZE = env.int("REGISTRY_API_MAX_PAGE_SIZE", default=100)
REGISTRY_API_DEFAULT_PAGE_SIZE = 20
# Attempts to deliver one notification to a subscriber before it is marked failed.
REGISTRY_NOTIFY_MAX_ATTEMPTS = 5

SPECTACULAR_SETTINGS = {
    # core.converters.YearConverter (<year:…>) is an integer in the schema.
    "PATH_CONVERTER_OVERRIDE": {"year": int},
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN, so the CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Xianjie 衔接 API",
    "DESCRIPTION": _("Dibao and poverty-alleviation linkage case management, Jiangmen"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ProgrammeCaseStatusEnum": "assistance.models.ProgrammeCase.Status",
        "DibaoCaseStatusEnum": "assistance.models.DibaoCase.Status",
        "PayrollStatusEnum": "assistance.models.Payroll.Status",
        "OutreachReportStatusEnum": "assistance.models.OutreachReport.Status",
        "HandoffStatusEnum": "transitions.models.Handoff.Status",
        "HandoffKindEnum": "transitions.models.HandoffKind",
        "DepartmentEnum": "transitions.models.Department",
        "PhaseOutStatusEnum": "transitions.models.PhaseOut.Status",
        "PhaseOutDecisionEnum": "transitions.models.PhaseOut.Decision",
        "InsuranceEnrolmentStatusEnum": "transitions.models.InsuranceEnrolment.Status",
        "HandoffDecisionEnum": "transitions.models.HandoffDecision.Decision",
        "PhaseOutReassessmentOutcomeEnum": "transitions.kinds.REASSESSMENT_OUTCOMES",
        "CaseReviewOutcomeEnum": "assistance.models.CaseReview.Outcome",
        "PovertyRecordStatusEnum": "poverty.models.PovertyRecord.Status",
        "MeasureKindEnum": "poverty.models.MeasureKind",
        "PovertyCauseEnum": "poverty.models.PovertyCause",
        "PovertyConfirmingLevelEnum": "poverty.models.PovertyRecord.ConfirmingLevel",
        "ExchangeBatchStatusEnum": "transitions.models.ExchangeBatch.Status",
        "DatasetKindEnum": "verification.models.datasets.KindChoices",
        "DatasetSnapshotStatusEnum": "verification.models.DatasetSnapshot.Status",
        "FindingCategoryEnum": "verification.models.checks.Category",
        "FindingStateEnum": "verification.models.Finding.State",
        # queued, running, done, failed: jobs and what-if scenarios (the same choices).
        "JobStatusEnum": "core.models.Job.Status",
        "CrossCheckRunScopeEnum": "verification.models.CrossCheckRun.Scope",
        "CrossCheckRunTriggerEnum": "verification.models.CrossCheckRun.Trigger",
        "AuditPlanStatusEnum": "verification.models.AuditPlan.Status",
        "AuditPlanAllocationEnum": "verification.models.AuditPlan.Allocation",
        "AuditFrameEnum": "verification.models.audits.Frame",
        "AuditCategoryEnum": "verification.models.audits.Category",
        "AuditSampleResultEnum": "verification.models.AuditSample.Result",
        "AuditDiscrepancyEnum": "verification.models.AuditSample.Discrepancy",
        "MonitoringCaseOutcomeEnum": "transitions.models.MonitoringCase.Outcome",
        "MonitoringCaseStatusEnum": "transitions.models.MonitoringCase.Status",
        "DifferenceCategoryEnum": "transitions.models.Difference.Category",
        "DifferenceStateEnum": "transitions.models.Difference.State",
        "InboundBatchStatusEnum": "transitions.models.InboundBatch.Status",
    },
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
