"""Settings shared by every environment; each value that differs per deployment comes from the environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_countries",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cooperation_portal.accounts",
    "cooperation_portal.partners",
    "cooperation_portal.situations",
    "requests_app",
    "agreements_app",
    "warrants_app",
    "cooperation_portal.demo",
    "cooperation_portal.reports",
    "cooperation_portal.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads request.POST: uploads whose names were paths or held control characters are refused.
    "cooperation_portal.multipart.UploadNameMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Outside the view's transaction, and around the session and two-factor checks, to record their refusals too.
    "cooperation_portal.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cooperation_portal.accounts.middleware.SessionTimeoutMiddleware",
    "cooperation_portal.accounts.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during authentication into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# A file past the upload limit is refused without being kept whole in memory or in a temporary file
# (cooperation_portal/multipart.py).
FILE_UPLOAD_HANDLERS = [
    "cooperation_portal.multipart.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

ROOT_URLCONF = "cooperation_portal.urls"
WSGI_APPLICATION = "cooperation_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default so that the portal starts on a bare machine; deployments set DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Deadlines are dates in the Court's own time zone.
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# Uploads live outside the static tree and are only ever served through a view that checks access.
MEDIA_ROOT = Path(env.str("PORTAL_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="cooperation-portal@localhost")

# One cache shared by every web process (the dashboards' figures, the API throttle): Redis when DJANGO_CACHE_URL
# names it, as in docker-compose.yml (Django's backend, one client per pool: cooperation_portal/cache.py); otherwise
# each process keeps its own in memory, enough for one machine.
_CACHE_URL = env.str("DJANGO_CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "cooperation_portal.cache.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or bad credential a 401, as API clients expect.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cooperation_portal.accounts.authentication.ClearanceTokenAuthentication",
        # Session authentication that refuses a registry or administrator session without its second factor.
        "cooperation_portal.accounts.authentication.OTPSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # DRF's browsable API, with what its page needs under the Content-Security-Policy.
        "cooperation_portal.api.renderers.PortalBrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "cooperation_portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "cooperation_portal.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["cooperation_portal.api.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("PORTAL_API_THROTTLE_USER", default="3000/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cooperation Portal API",
    "DESCRIPTION": "Cooperation requests, voluntary agreements and arrest warrants of the International Criminal "
    "Court, scoped to the caller's role. Changes carry If-Match with the ETag read.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PartnerKindEnum": "cooperation_portal.partners.choices.PartnerKind",
        "EventKindEnum": "requests_app.choices.EventKind",
        "RequestStatusEnum": "requests_app.choices.Status",
    },
}


def _broker_transport_options(broker_url: str) -> dict[str, object]:
    """The filesystem transport needs its folders, created before any worker or producer starts."""
    if not broker_url.startswith("filesystem://"):
        return {"visibility_timeout": 3600}
    root = VAR_DIR / "celery-broker"
    folders = {
        "data_folder_in": root / "queue",
        "data_folder_out": root / "queue",
        "processed_folder": root / "processed",
        # Kombu's default is "control" in the working directory, which would litter the checkout.
        "control_folder": root / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {**{k: str(v) for k, v in folders.items()}, "store_processed": False}


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = _broker_transport_options(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# Days a transmitted request has to be answered, per type group; urgent requests get URGENT_RESPONSE_DAYS.
PORTAL_DEFAULT_RESPONSE_DAYS = env.int("PORTAL_DEFAULT_RESPONSE_DAYS", default=60)
PORTAL_URGENT_RESPONSE_DAYS = env.int("PORTAL_URGENT_RESPONSE_DAYS", default=15)

# On PostgreSQL the dashboards count what is overdue, the escalation levels and the outcomes on a second connection
# while the first counts the period (cooperation_portal/dashboards/services.py); off, one connection does both.
DASHBOARD_CONCURRENT_QUERIES = env.bool("PORTAL_DASHBOARD_CONCURRENT_QUERIES", default=True)
# Seconds after which a dashboard's cached figures are recounted even though no change was seen (a write committed
# out of order can leave the data stamp where it was).
DASHBOARD_CACHE_SECONDS = env.int("PORTAL_DASHBOARD_CACHE_SECONDS", default=60)

# --- Overdue engine (requests_app/overdue.py, requests_app/tasks.py, cooperation_portal/notifications) ---
INSTALLED_APPS = [*INSTALLED_APPS, "cooperation_portal.notifications"]

# The escalation ladder, in days past the due date (negative: before it). "default" applies to every request
# type; "urgent" to urgent requests; "by_type" overrides single steps for one type, with its own "urgent" part.
# Each level must come later than the one below it. A request that crossed several thresholds between two sweeps
# goes straight to the highest one reached.
PORTAL_ESCALATION_LADDER: dict[str, object] = {
    "default": {
        "reminder_sent": -7,
        "overdue_notice": 1,
        "second_notice": 30,
        "referral_art97": 60,
        "non_compliance_candidate": 90,
    },
    "urgent": {
        "reminder_sent": -3,
        "overdue_notice": 1,
        "second_notice": 15,
        "referral_art97": 30,
        "non_compliance_candidate": 45,
    },
    "by_type": {
        # A visa is answered within days, not months.
        "visa": {
            "default": {"reminder_sent": -3, "second_notice": 7, "referral_art97": 14, "non_compliance_candidate": 30}
        },
    },
}

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # Deadlines are whole days in the Court's time zone (CELERY_TIMEZONE): one sweep each morning suffices;
    # `manage.py flag_overdue` runs it on demand.
    "sweep-overdue-requests": {
        "task": "requests_app.tasks.sweep_overdue",
        "schedule": crontab(hour=6, minute=0),
    },
    "send-notifications": {"task": "requests_app.tasks.send_notifications", "schedule": 60.0},
}

# --- Accounts and browser security (cooperation_portal/accounts: middleware.py, two_factor.py, lockout.py) ---
import datetime  # noqa: E402

from csp.constants import NONE, SELF  # noqa: E402

# Every page, in every environment (tests and the browser tests too): scripts, styles and fonts only from the
# portal's own static files, no inline script or style, no framing. Pages that need more widen it per response
# (the Redoc page, the browsable API); none allows inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap's stylesheet draws its icons (toggler, checks, validation) as data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# django-axes: failures are counted per username and address together, so one person cannot lock another out
# from elsewhere; an unknown username is counted and locked the same way as a real one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cooperation_portal.accounts.lockout.lockout_response"
# Behind the reverse proxy, the client's address is the one it appends to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Two-factor (django-otp, TOTP): required of registry staff and administrators, on every page and on the API
# under session authentication; token authentication is not affected.
OTP_TOTP_ISSUER = env.str("PORTAL_OTP_ISSUER", default="Cooperation Portal")
# The admin may delete a lost device (the user then enrols anew) but never shows a device's secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# A session ends after PORTAL_SESSION_IDLE_MINUTES without a request, and PORTAL_SESSION_MAX_HOURS after login
# whatever the activity (cooperation_portal.accounts.middleware.SessionTimeoutMiddleware).
PORTAL_SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=env.int("PORTAL_SESSION_IDLE_MINUTES", default=30))
PORTAL_SESSION_ABSOLUTE_TIMEOUT = datetime.timedelta(hours=env.int("PORTAL_SESSION_MAX_HOURS", default=12))
SESSION_COOKIE_AGE = int(PORTAL_SESSION_ABSOLUTE_TIMEOUT.total_seconds())

# --- Audit trail (cooperation_portal/audit): security events, append-only, read at /audit/ and in the admin ---
INSTALLED_APPS = [*INSTALLED_APPS, "cooperation_portal.audit"]
# Trusted proxies in front of the portal (PORTAL_TRUSTED_PROXY_COUNT, also read for django-axes): the audit trail
# records the address the nearest of them saw, never what the client put in X-Forwarded-For.
PORTAL_AUDIT_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)
