"""Settings for the helpdesk, read from the environment.

The defaults make a fresh clone run: SQLite under var/, Celery tasks run in-process,
outgoing mail written as .eml files under var/mail/. Production sets DEBUG=0 and the
variables listed in the README.
"""

import hashlib
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import django.forms
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helpdesk.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "accounts",
    "departments",
    "tickets",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "privacy",
    "crispy_forms",
    "crispy_bootstrap5",
    "anymail",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "helpdesk.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.second_factor.StaffSecondFactorMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

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
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.helpdesk",
            ],
        },
    },
    # The hot partials (a queue row, a message card, a badge) are rendered by Jinja2, included
    # from the Django templates with {% jinja %} (tickets/templatetags/partials.py); so are the
    # workspace's form fields (tickets.forms.staff.WorkspaceForm).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        # The project's partials, and Django's own form templates (for the workspace's forms).
        "DIRS": [BASE_DIR / "templates" / "jinja2", Path(django.forms.__file__).resolve().parent / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "helpdesk.jinja2.environment",
            "autoescape": True,
            "extensions": ["jinja2.ext.i18n"],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under var/.
if not env_str("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
        # A connection kept open across a database restart is checked and replaced, not used broken.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Queries are sent with their parameters apart (server-side binding), so that a query a
    # connection runs again and again is prepared once: PostgreSQL plans it once instead of on every
    # request (what that saves: bench/README.md). It pays off with connections kept open
    # (DATABASE_CONN_MAX_AGE). DATABASE_PREPARE_THRESHOLD is how many runs of a query make it
    # prepared; 0 turns preparing off (PgBouncer in transaction mode before 1.21).
    _prepare = env_int("DATABASE_PREPARE_THRESHOLD", 2, minimum=0)
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=_prepare or None)
if env_str("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker and the cache when set; without it tasks run in-process.
REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # In the database, shared by every process (each MTA pipe run is a new one) and working while Redis
    # is down: the rate limits count here, and the default cache answers from here during an outage.
    # The table is created by the migration tickets/0008_inbound_authentication.
    "ratelimit": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "helpdesk_ratelimit"},
}
if REDIS_URL:
    # Short timeouts, and while Redis is unreachable the `ratelimit` cache answers (helpdesk/cache.py).
    CACHES["default"] = {
        "BACKEND": "helpdesk.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"FALLBACK": "ratelimit"},
    }
# Every cache key starts with this, so installations sharing one Redis database never read each
# other's entries (sessions, figures, menus). By default it names the database the installation uses.
# (The `ratelimit` cache, also the fallback while Redis is down, is a table of that database: no other
# installation reads it.)
_database = DATABASES["default"]
CACHE_KEY_PREFIX = env_str(
    "CACHE_KEY_PREFIX",
    "helpdesk-"
    + hashlib.sha256(
        "|".join(str(_database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME")).encode()
    ).hexdigest()[:12],
)
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host, or kombu warns on every process start
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Workers and beat wait for the broker however long it is away, and reconnect by themselves.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A web request must not wait on a broker that is down: one quick attempt, then the notification
# stays in the outbox for the sweep (tickets.tasks.mail.queue_notifications).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
    "socket_connect_timeout": 0.25,
    "socket_timeout": 0.25,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 300, minimum=10)
CELERY_BEAT_SCHEDULE = {
    # Mail whose task was lost (Redis down at commit) or that waits for a retry.
    "sweep-outbox": {"task": "tickets.tasks.mail.sweep_outbox", "schedule": 60.0},
    # Response targets: breaches are noticed within a minute; Answered tickets close within the hour.
    "mark-overdue": {"task": "tickets.tasks.sla.mark_overdue_tickets", "schedule": 60.0},
    "auto-close": {"task": "tickets.tasks.sla.auto_close_tickets", "schedule": 900.0},
    # The dashboard: changes' rows folded into its counts, its cached figures recomputed before
    # they expire (they are kept three times as long), and its counts checked against the tickets.
    "compact-rollups": {"task": "tickets.tasks.dashboard.compact_rollups", "schedule": 60.0},
    "refresh-dashboard": {"task": "tickets.tasks.dashboard.refresh_dashboard", "schedule": DASHBOARD_REFRESH_SECONDS},
    "reconcile-rollups": {"task": "tickets.tasks.dashboard.reconcile_rollups", "schedule": crontab(hour=3, minute=17)},
    # Recurring problems: bursts of similar new tickets noticed within a minute; replies to all
    # linked tickets whose task was lost are taken up again.
    "notice-bursts": {"task": "tickets.tasks.problems.notice_bursts", "schedule": 60.0},
    "resume-broadcasts": {"task": "tickets.tasks.problems.resume_broadcasts", "schedule": 120.0},
    # Personal data: files, raw mail and data exports past their department's retention.
    "retention": {"task": "privacy.tasks.apply_retention_policy", "schedule": 3600.0},
}

# Accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "tickets:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "10/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "confirm_email": "1/3m/key",
}

# Second factor (django-allauth's MFA): TOTP with recovery codes, required for staff when set.
MFA_ADAPTER = "accounts.second_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", False)

# Personal data: a customer's data export link works this many days.
DATA_EXPORT_LINK_DAYS = env_int("DATA_EXPORT_LINK_DAYS", 7, minimum=1)

# Internationalisation
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "pt-br")
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, got {LANGUAGE_CODE!r}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Sao_Paulo")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from None
USE_I18N = True
USE_TZ = True

# Static files, served by whitenoise; uploads are private and never under a public URL.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "uploads")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads up to the attachment limits travel through memory, larger ones through a temp file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# A post larger than this is refused before it is read: 25 MB of files per message and its text.
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_BYTES", 26 * 1024 * 1024, minimum=1024 * 1024)

# Attachments on S3-compatible storage when a bucket is configured (the serving view still checks access).
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL"),
            "region_name": env_str("S3_REGION"),
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Form and field templates from TEMPLATES, so a form may draw its fields with a project template.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: .eml files under var/mail by default, any django-anymail provider by settings.
# EMAIL_BACKEND takes a dotted path or a provider name ("mailgun", "postmark", "amazon_ses"...);
# every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"].
_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "helpdesk.mail.EmlFileBackend")
EMAIL_BACKEND = _EMAIL_BACKEND if "." in _EMAIL_BACKEND else f"anymail.backends.{_EMAIL_BACKEND}.EmailBackend"
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Helpdesk <suporte@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
# Providers whose inbound and tracking webhooks are served under /anymail/<provider>/: the sending
# provider by default. Each is served only while its credentials are set (ANYMAIL_WEBHOOK_SECRET,
# or the provider's signing key): otherwise it answers 404 and `check --deploy` fails.
MAIL_WEBHOOK_PROVIDERS = env_list("MAIL_WEBHOOK_PROVIDERS", [] if "." in _EMAIL_BACKEND else [_EMAIL_BACKEND])
EMAIL_SUBJECT_PREFIX_TICKET = env_str("TICKET_SUBJECT_PREFIX", "")
# Inbound mail over these limits is rejected (the MTA bounces it; only its headers are kept).
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
INBOUND_MAX_PARTS = env_int("INBOUND_MAX_PARTS", 100, minimum=1)
# Sender authentication: only Authentication-Results stamped by these hosts (authserv-ids, e.g. the
# receiving MTA's hostname) count. Mail that fails is always held; mail that nothing trusted
# checked (verdict "none") is accepted by default ("accept"), or held for review ("hold").
INBOUND_AUTHSERV_IDS = env_list("INBOUND_AUTHSERV_IDS", [])
INBOUND_UNAUTHENTICATED = env_str("INBOUND_UNAUTHENTICATED", "accept")
if INBOUND_UNAUTHENTICATED not in ("accept", "hold"):
    raise ImproperlyConfigured(f"INBOUND_UNAUTHENTICATED must be accept or hold, got {INBOUND_UNAUTHENTICATED!r}")
# Two copies of a message without a Message-ID within this many seconds are stored once.
INBOUND_DUPLICATE_WINDOW = env_int("INBOUND_DUPLICATE_WINDOW", 86400, minimum=60)

# The product's name and logo in pages, e-mails and the admin. The logo: a path among the static
# files or a full https:// URL (e-mails show it from SITE_URL); empty for none.
HELPDESK_NAME = env_str("HELPDESK_NAME", "Helpdesk")
HELPDESK_LOGO = env_str("HELPDESK_LOGO", "img/logo.png")

# Security: the production profile (DEBUG off) passes `manage.py check --deploy`.
# Scripts only from our own static files (or with the request's nonce); nothing framed, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# Sessions live in the database only: a Redis outage logs nobody out, and a logout made during
# one cannot come back from a stale cached copy.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "helpdesk.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
