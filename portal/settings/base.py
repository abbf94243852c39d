"""Settings shared by every environment; values come from the environment (django-environ).

With no environment set the portal runs on the embedded default: SQLite and eager Celery.
``DATABASE_URL`` switches to PostgreSQL (psycopg 3 with Django's pool) and ``REDIS_URL`` to a
Redis broker and cache.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The one base URL of every absolute link the portal sends or prints: e-mails (allauth's too, accounts.adapter),
# notifications, the award notice's and the 申报书's verification QR codes. `make demo` / `make serve` set it from
# HOST and PORT, so the links of a demo on another port lead back to it.
SITE_URL = env("SITE_URL", default=f"http://{env('HOST', default='127.0.0.1')}:{env('PORT', default='8000')}")
# The bank's 附言 field of a payment: the 用途 of the upload file is cut to this many characters.
PAYOUT_PURPOSE_MAX_LENGTH = env.int("PAYOUT_PURPOSE_MAX_LENGTH", default=20)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "core",
    "accounts",
    "programs",
    "applications",
    "review",
    "allocations",
    "notices",
    "publicity",
    "payouts",
    "evaluations",
    "simulator",
    "dashboard",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's middleware: staff need a second factor (TOTP) for the admin, see accounts.middleware.
    "accounts.middleware.StaffSecondFactorMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "core.context_processors.portal",
                "applications.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Embedded default: SQLite with IMMEDIATE transactions, so that a writer takes the lock at BEGIN
# and concurrent writers wait instead of failing with "database is locked" mid-transaction.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    # psycopg 3 with Django's built-in pool; the pool replaces persistent connections.
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=10),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE: dict = {
    # Hourly (idempotent), so notices close soon after midnight; also `manage.py close_publicity`.
    "close-publicity": {"task": "publicity.tasks.close_publicity_task", "schedule": 60 * 60},
    # Every 6 hours (idempotent): report reminders and overdue marks; also `manage.py report_reminders`.
    "report-reminders": {"task": "evaluations.tasks.send_report_reminders_task", "schedule": 6 * 60 * 60},
    # Nightly at 02:30 Beijing time (idempotent), at a fixed hour whatever time beat was started: verify every
    # application's event chain, alert on findings, write the chain heads; also `manage.py verify_audit_chain
    # --write-heads` (eager mode runs no beat).
    "verify-audit-chain": {
        "task": "applications.audit_tasks.verify_audit_chain_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly (idempotent, one notice per crossing): the pro-rata forecast of open calls against their thresholds;
    # also `manage.py check_forecasts`.
    "check-forecasts": {"task": "dashboard.tasks.check_forecasts_task", "schedule": 60 * 60},
}
# The HMAC key of the event chain and of the chain heads (applications.audit). Empty: derived from SECRET_KEY
# (local and test only); production must set it (portal/settings/production.py) and keep it off the database host.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so that a locked-out username/address never reaches the other backends.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"  # the portal's front page (portal.urls)

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[质量品牌专项资金] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_SESSION_REMEMBER = False
# The login form with a bounded e-mail address (a 300-character one was a DataError on PostgreSQL).
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# Its e-mails carry the portal's name and links under SITE_URL (no django.contrib.sites: nothing to keep in step).
ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
# django-axes decides password lockout (5 failures per username and address, with a Chinese message).
# allauth's failed-login limit is set looser, so that axes always answers first for passwords; it still
# matters for second-factor codes, which axes does not see: at most 10 wrong TOTP codes per user per 5 minutes.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,10/5m/key"}

# Second factor (等保三级: 管理员双因素认证). Staff enter the admin only after a TOTP code in this session;
# staff without an authenticator are sent to set one up (accounts.middleware.StaffSecondFactorMiddleware).
# On everywhere except the local demo (portal.settings.local) and the test suite, whose tests turn it on.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="质量品牌专项资金")
# Model history is evidence to read in the admin: hide its "revert" button (edits go through the change form).
SIMPLE_HISTORY_REVERT_DISABLED = True

# The client's address for login lockout and rate limits, the same everywhere (core.net.client_ip): REMOTE_ADDR,
# or behind the deployment's reverse proxy (which overwrites X-Forwarded-For) the last entry of that header.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
# benchmarks/load.py only: serve /load-floor, a constant JSON view measured beside the API as its floor.
LOAD_BENCHMARK_FLOOR = env.bool("LOAD_BENCHMARK_FLOOR", default=False)
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if BEHIND_PROXY else 0

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.auth.lockout_response"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 2)
SESSION_SAVE_EVERY_REQUEST = True  # inactivity timeout: the age restarts with every request
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="质量品牌专项资金 <noreply@portal.local>")
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploaded files are private: they are never served from a public URL, only through views that
# check permissions (see applications.views). MEDIA_URL is therefore not routed.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_BYTES = env.int("FILE_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
# API tokens (django-rest-knox, accounts.models.ApiToken): stored as SHA-512 digests, valid API_TOKEN_TTL_HOURS
# (default 12) from issue and not renewed by use, at most API_TOKEN_LIMIT_PER_USER per user (the oldest go);
# revoked on a password change or reset and on leaving an organisation or a staff group (accounts.signals).
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations would create its (swapped-out) knox_authtoken table anyway, which Django then cannot flush
# (TRUNCATE of accounts_user fails on PostgreSQL): without migrations, the swapped model gets no table at all.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",  # clients keep sending "Authorization: Token <key>"
    "AUTH_TOKEN_CHARACTER_LENGTH": 64,
    "TOKEN_LIMIT_PER_USER": env.int("API_TOKEN_LIMIT_PER_USER", default=10),
}
# How often a token's "last used" time is written at most (one UPDATE per token per interval).
API_TOKEN_LAST_USE_INTERVAL = timedelta(minutes=5)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON bodies of bounded size and depth (core.parsers): "body_too_large" (413), "json_too_deep" (400).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's rates and scopes, counted at one cache round trip a request (core.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
        "core.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min", "token": "30/min", "objection": "10/hour"},
    # As core.net.client_ip: DRF's default (None) would take the whole X-Forwarded-For, which a client can forge.
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "质量品牌领域专项资金申报系统 API",
    "DESCRIPTION": "深圳市市场监督管理局质量品牌领域专项资金申报、审核、公示、拨付与绩效评价接口（v1）。",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from static/ (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    # Several models have a "status" with their own choices; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "AllocationRunStatusEnum": "allocations.models.RunStatus",
        "PayoutBatchStatusEnum": "payouts.models.BatchStatus",
        "PayoutLineStatusEnum": "payouts.models.LineStatus",
        "ObjectionStatusEnum": "publicity.models.ObjectionStatus",
        "AwardNoticeStatusEnum": "notices.models.NoticeStatus",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- The portal -----------------------------------------------------------------------------
PORTAL_NAME = _("深圳市质量品牌领域专项资金申报系统")
BUREAU_NAME = _("深圳市市场监督管理局")
# The footer's 主办单位, contact lines and ICP filing number (备案号); the defaults are the demo's placeholders.
PORTAL_ORGANISER = env("PORTAL_ORGANISER", default="深圳市市场监督管理局")
PORTAL_CONTACT_DEPARTMENT = env("PORTAL_CONTACT_DEPARTMENT", default="深圳市市场监督管理局质量发展处")
PORTAL_CONTACT_PHONE = env("PORTAL_CONTACT_PHONE", default="0755-83070000（示例）")
PORTAL_CONTACT_HOURS = env("PORTAL_CONTACT_HOURS", default="工作日 9:00—12:00、14:00—18:00")
PORTAL_CONTACT_ADDRESS = env("PORTAL_CONTACT_ADDRESS", default="深圳市福田区（示例地址）")
PORTAL_ICP_NUMBER = env("PORTAL_ICP_NUMBER", default="粤ICP备00000000号（示例）")
# Demo data may only be seeded where this is true (local and test settings).
DEMO_SEED_ALLOWED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The 决策材料 of a run with up to this many 拟资助 rows renders in the request (about 26 rows a page, 0.4 s a page);
# a larger one renders in a Celery job while the approver watches its progress.
DECISION_PACK_INLINE_MAX = env.int("DECISION_PACK_INLINE_MAX", default=400)
