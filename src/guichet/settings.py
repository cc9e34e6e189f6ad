"""Guichet settings, read from environment variables with safe defaults.

GUICHET_ENV=production turns on the production checks: the server refuses to start with DEBUG on
or with the development SECRET_KEY.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GUICHET_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEVELOPMENT_SECRET_KEY = "guichet-development-secret-key-not-for-production"  # noqa: S105

GUICHET_ENV = os.environ.get("GUICHET_ENV", "development")
PRODUCTION = GUICHET_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with DEBUG on: unset DEBUG.")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("Production needs its own SECRET_KEY (at least 32 characters).")

# Every collectivité is reached by its own host name; the tenant middleware refuses unknown hosts,
# so Django's own host check lets every host through to it.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "*")
# Host names of the platform itself: the bare host lists the collectivités, and `<slug>.<host>`
# reaches the collectivité whose slug it is (`saint-aubin.localhost:8000` in development).
GUICHET_PLATFORM_HOSTS = env_list("GUICHET_PLATFORM_HOSTS", "localhost,127.0.0.1,testserver")
# Port of the links written into messages (e-mails, SMS, letters) when the site is not on 80/443 (development).
GUICHET_PUBLIC_PORT = os.environ.get("GUICHET_PUBLIC_PORT", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "guichet.background",
    "guichet.organisations",
    "guichet.accounts",
    "guichet.households",
    "guichet.agents",
    "guichet.oidc",
    "guichet.sms",
    "guichet.notifications",
    "guichet.letters",
    "guichet.documents",
    "guichet.service_requests",
    "guichet.procedures",
    "guichet.workflows",
    "guichet.formdefs",
    "guichet.queues",
    "guichet.answers",
    "guichet.search",
    "guichet.exports",
    "guichet.satisfaction",
    "guichet.duplicates",
    "guichet.dashboards",
    "guichet.citizen_records",
    "guichet.contact_centre",
    "guichet.knowledge",
    "guichet.directory",
    "guichet.mailroom",
    "guichet.api_clients",
    "guichet.api",
    "guichet.open311",
    "guichet.webhooks",
    "guichet.connectors",
    "guichet.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "guichet.organisations.middleware.OrganisationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "guichet.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guichet.organisations.middleware.OrganisationUserMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guichet.urls"
WSGI_APPLICATION = "guichet.wsgi.application"

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
                "guichet.organisations.context_processors.organisation",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to the same file: wait for locks, take them early.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "guichet.accounts.backends.OrganisationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
# Confirmation and password-reset links stay valid three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
SILENCED_SYSTEM_CHECKS = ["auth.W004"]  # e-mail is unique per collectivité, not platform-wide

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))

# Failed logins are throttled per collectivité, e-mail and IP address (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "guichet.accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "guichet.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True

OTP_TOTP_ISSUER = "Guichet"

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: files go through permission-checking views
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Guichet <ne-pas-repondre@guichet.localhost>")
# Domain of the Message-IDs of notifications, and the address bounces come back to (VERP: local+reference@domain).
GUICHET_MAIL_DOMAIN = os.environ.get("GUICHET_MAIL_DOMAIN", "guichet.localhost")
GUICHET_BOUNCE_ADDRESS = os.environ.get("GUICHET_BOUNCE_ADDRESS", "")
# Secret in the URL a mail gateway POSTs bounces to (platform host: /notifications/rebonds/<token>/); unset = off.
GUICHET_BOUNCE_TOKEN = os.environ.get("GUICHET_BOUNCE_TOKEN", "")
# An SMTP conversation that hangs is given up after this many seconds (the delivery is tried again later).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],  # any queue name
    }
}
# A failing job is tried this many times in all, waiting these delays (seconds) between tries.
GUICHET_TASK_MAX_ATTEMPTS = int(os.environ.get("GUICHET_TASK_MAX_ATTEMPTS", "6"))
GUICHET_TASK_BACKOFF_SECONDS = [30, 120, 600, 1800, 3600]
# Workers (`manage.py worker`): heartbeat/periodic/recovery pass every few seconds; a RUNNING job whose worker
# has been silent this long goes back to the queue; successful jobs are deleted after this many days.
GUICHET_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("GUICHET_WORKER_HEARTBEAT_SECONDS", "5"))
GUICHET_WORKER_STALE_SECONDS = float(os.environ.get("GUICHET_WORKER_STALE_SECONDS", "120"))
GUICHET_TASK_KEEP_DAYS = int(os.environ.get("GUICHET_TASK_KEEP_DAYS", "30"))

# Outbound HTTP calls (OpenID Connect providers…) never wait longer than this.
GUICHET_HTTP_TIMEOUT = float(os.environ.get("GUICHET_HTTP_TIMEOUT", "10"))

# The mail room (issue 6): incoming e-mails and their attachments above these sizes are kept as headers only /
# refused; IMAP sockets time out; OCR of scanned letters is bounded in pages and time.
GUICHET_MAIL_MAX_BYTES = int(os.environ.get("GUICHET_MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
GUICHET_MAIL_ATTACHMENT_MAX_BYTES = int(os.environ.get("GUICHET_MAIL_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
GUICHET_IMAP_TIMEOUT = float(os.environ.get("GUICHET_IMAP_TIMEOUT", "30"))
GUICHET_IMAP_CA_FILE = os.environ.get("GUICHET_IMAP_CA_FILE", "")
GUICHET_OCR_MAX_PAGES = int(os.environ.get("GUICHET_OCR_MAX_PAGES", "20"))
GUICHET_OCR_PAGE_TIMEOUT = float(os.environ.get("GUICHET_OCR_PAGE_TIMEOUT", "60"))
GUICHET_OCR_TOTAL_TIMEOUT = float(os.environ.get("GUICHET_OCR_TOTAL_TIMEOUT", "600"))

# Outgoing webhooks (issue 7): seconds between the tries of a delivery (then failed), days a finished one is logged.
GUICHET_WEBHOOK_RETRY_SECONDS = [int(value) for value in env_list("GUICHET_WEBHOOK_RETRY_SECONDS",
                                                                  "60,300,1800,7200,43200")]
GUICHET_WEBHOOK_KEEP_DAYS = int(os.environ.get("GUICHET_WEBHOOK_KEEP_DAYS", "90"))
# Outgoing calls (webhooks, connectors) never reach link-local/metadata addresses; private ones (a town's own
# servers) unless this is off — a platform shared by several collectivités should turn it off.
GUICHET_OUTGOING_PRIVATE_ADDRESSES = env_bool("GUICHET_OUTGOING_PRIVATE_ADDRESSES", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
