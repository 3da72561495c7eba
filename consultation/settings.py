"""Settings of the consultation platform, driven by environment variables.

Safe development defaults let a fresh clone run with no configuration; every
production value comes from the environment (see README.md).
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from accounts.franceconnect import conf as franceconnect_conf

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of an environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Return a comma-separated environment variable as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_ID = 1

INSTALLED_APPS = [
    # First: its `createsuperuser` (which confirms the address) replaces auth's.
    "accounts",
    "consultation.admin_site.SiteAdminConfig",  # django.contrib.admin, branded
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "simple_history",
    "csp",
    "template_partials.apps.SimpleAppConfig",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.github",
    "allauth.mfa",
    "allauth.usersessions",
    "consultation",
    "accounts.franceconnect",
    "debates",
    "debates.opendata",
    "answers",
    "followups",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id, and the
    # probes (/healthz, /readyz) are answered before host checks or sessions.
    "consultation.logging.RequestIdMiddleware",
    "consultation.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages gzip-compressed when the client accepts it (static files come
    # compressed from whitenoise already). Safe against BREACH-style guessing:
    # Django masks the CSRF token differently in every response, and the
    # middleware pads each response with random bytes (Django 4.2+).
    # Brotli is left out: no well-kept Django middleware serves it today.
    "django.middleware.gzip.GZipMiddleware",
    # The database unreachable (PostgreSQL restarting): a 503 page, no traceback.
    "consultation.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.middleware.StaffSessionTimeoutMiddleware",
    "accounts.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "consultation.urls"
WSGI_APPLICATION = "consultation.wsgi.application"
ASGI_APPLICATION = "consultation.asgi.application"

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
                "consultation.brand.brand",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# SQLite is the embedded default for a fresh clone; production and CI give a
# PostgreSQL DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler costs more than it saves on these short queries:
    # off, the growing pages ran 21 to 36 % faster (bench/README.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two requests that
    # post at once queue for the lock instead of failing on a lock upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# OWASP ASVS 5.0 level 2: at least 12 characters, and no password from the
# lists attackers try first, even with digits or symbols added (accounts/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.CommonPasswordCoreValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# The signup form hashes the password even when the email is taken, so both
# answers take the same time (accounts/signup.py).
ACCOUNT_FORMS = {"signup": "accounts.signup.SignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming one's address signs one in, in the browser that signed up (allauth
# remembers the new account in that session); a link opened elsewhere confirms
# the address and asks to sign in, so a forwarded link never opens a session.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A stolen session cannot change the email, the password or the two-factor
# devices, nor delete the account, without a fresh password, TOTP or a code
# sent to a confirmed address (within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Failed sign-ins: at most 5 per account *and client* in 5 minutes (the key
# includes the client address, accounts/adapters.py), so an attacker elsewhere
# cannot lock the owner out; at most 10 a minute from one address, whatever
# the account. The counts live in the shared cache (CACHES below).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_USER_DISPLAY = "accounts.models.public_name"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The platform's identity, set by the operator. SITE_NAME empty means the
# translated default, « Consultation citoyenne ». SITE_LOGO_URL is a static
# path (e.g. "brand/logo.svg") or an absolute path; BRAND_PRIMARY_COLOR and
# BRAND_ACCENT_COLOR are #rrggbb colours served as CSS custom properties by
# /brand.css (a system check refuses colours below WCAG AA contrast).
SITE_NAME = os.environ.get("SITE_NAME", "")
SITE_DOMAIN = os.environ.get("SITE_DOMAIN", "127.0.0.1:8000")
SITE_LOGO_URL = os.environ.get("SITE_LOGO_URL", "")
BRAND_PRIMARY_COLOR = os.environ.get("BRAND_PRIMARY_COLOR", "")
BRAND_ACCENT_COLOR = os.environ.get("BRAND_ACCENT_COLOR", "")
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", SITE_NAME or "Consultation citoyenne")
# Staff (moderators, organisers) must set up two-factor authentication
# before they reach the admin; set STAFF_REQUIRE_2FA=false to relax it.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", True)


def identity_providers(oidc: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """Return allauth provider settings read from the environment, with no code change.

    OIDC_PROVIDERS is a JSON list of OpenID Connect identity providers
    (FranceConnect or any other):
    [{"id": "franceconnect", "name": "FranceConnect", "client_id": "…",
      "secret": "…", "server_url": "https://…", "verifies_identity": true}]
    GITHUB_CLIENT_ID / GITHUB_SECRET enable sign-in with GitHub.
    """
    providers: dict[str, dict[str, object]] = {}
    if oidc:
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": item["id"],
                    "name": item.get("name", item["id"]),
                    "client_id": item["client_id"],
                    "secret": item.get("secret", ""),
                    "settings": {
                        "server_url": item["server_url"],
                        "token_auth_method": item.get("token_auth_method", "client_secret_post"),
                        "scope": item.get("scope", ["openid", "email", "profile"]),
                    },
                }
                for item in oidc
            ],
            "VERIFIED_EMAIL": True,
        }
    if os.environ.get("GITHUB_CLIENT_ID"):
        providers["github"] = {
            "APPS": [
                {
                    "client_id": os.environ["GITHUB_CLIENT_ID"],
                    "secret": os.environ.get("GITHUB_SECRET", ""),
                }
            ],
            "SCOPE": ["user:email"],
        }
    return providers


OIDC_PROVIDERS = json.loads(os.environ.get("OIDC_PROVIDERS", "") or "[]")
SOCIALACCOUNT_PROVIDERS = identity_providers(OIDC_PROVIDERS)
# FranceConnect, FranceConnect+, ProConnect (docs/franceconnect.md): FRANCECONNECT_* variables.
SOCIALACCOUNT_PROVIDERS |= franceconnect_conf.providers_setting(
    franceconnect_conf.from_environment()
)
SOCIALACCOUNT_FORMS = {"signup": "accounts.franceconnect.forms.SocialSignupForm"}
# Providers whose sign-in proves identity: their accounts get « Compte vérifié ».
IDENTITY_VERIFYING_PROVIDERS = set(env_list("IDENTITY_VERIFYING_PROVIDERS", "")) | {
    str(item["id"]) for item in OIDC_PROVIDERS if item.get("verifies_identity")
}

# Every email is sent by a worker through the task queue (consultation/mail.py),
# never inside a request: EMAIL_BACKEND enqueues, and the worker hands the
# message once to EMAIL_DELIVERY_BACKEND, SMTP when EMAIL_HOST is set,
# otherwise the console (the `make run` terminal shows the worker's output).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "consultation.mail.TaskQueueEmailBackend")
EMAIL_DELIVERY_BACKEND = os.environ.get(
    "EMAIL_DELIVERY_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "consultation@localhost")
NOTIFICATION_BATCH_SIZE = int(os.environ.get("NOTIFICATION_BATCH_SIZE", "500"))

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Frozen exports of closed consultations are written here; with several app
# servers it must be a shared volume.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background work goes through Django's Tasks API (the django-tasks backport
# on Django 5.2; Django 6 ships the same API as django.tasks). The default
# backend keeps the queue in the database, so a fresh clone needs no other
# service: `manage.py db_worker` runs it (`make run` starts one). RQ on Redis
# by configuration: TASKS_BACKEND=django_tasks_rq.RQBackend and RQ_URL.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": TASKS_BACKEND,
        "QUEUES": ["default", "emails"],
    }
}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        name: {"URL": os.environ.get("RQ_URL", "redis://127.0.0.1:6379/1")}
        for name in TASKS["default"]["QUEUES"]
    }

# The cache holds the sign-in throttling counts and the used TOTP codes, so in
# production every worker and app server must share it: Redis with CACHE_URL,
# else a table in the database (created by `migrate`, accounts/apps.py).
# Local memory, one per process, only in development; a system check refuses
# it when DEBUG is off (accounts/checks.py).
if os.environ.get("CACHE_URL"):
    # django-redis rather than Django's own backend for one option: while Redis
    # is down, reads miss and writes are dropped (logged) instead of failing
    # the request. Sign-in answers 429 meanwhile: allauth cannot take its
    # rate-limit lock, so no attempt goes uncounted (docs/DEPLOY.md).
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }

# Sessions live in the database. Everyone: SESSION_COOKIE_AGE seconds (two
# weeks by default) from the last change of the session. Staff: signed out
# after STAFF_SESSION_IDLE_TIMEOUT seconds without a request (30 minutes by
# default, accounts/middleware.py). allauth.usersessions lists one's sessions
# on /comptes/sessions/ and ends the others.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
STAFF_SESSION_IDLE_TIMEOUT = int(os.environ.get("STAFF_SESSION_IDLE_TIMEOUT", "1800"))
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Content Security Policy: the pages load nothing from elsewhere and run no
# inline script, so a strict policy costs nothing and blunts any injection.
# (No form-action: signing in through an identity provider redirects a form
# submission to another origin.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# HTTPS. In production the app redirects plain HTTP to HTTPS and sends HSTS
# for a year (subdomains included, preload-ready), each switchable for a
# proxy that does it already. `manage.py check --deploy` passes with these
# defaults (tests/test_security_settings.py); a protection the operator turns
# off on purpose has its warning silenced rather than failing every check.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# A check stays quiet only for a protection the operator turned off by name.
_TURNED_OFF = {
    "security.W008": "SECURE_SSL_REDIRECT" in os.environ and not SECURE_SSL_REDIRECT,
    "security.W004": "SECURE_HSTS_SECONDS" in os.environ and not SECURE_HSTS_SECONDS,
    "security.W005": "SECURE_HSTS_INCLUDE_SUBDOMAINS" in os.environ
    and not SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "security.W021": "SECURE_HSTS_PRELOAD" in os.environ and not SECURE_HSTS_PRELOAD,
}
SILENCED_SYSTEM_CHECKS = [check for check, off in _TURNED_OFF.items() if off]
# X-Forwarded-Proto and X-Forwarded-For come from the client unless a proxy in
# front overwrites them: trust them only when the operator says one does
# (BEHIND_PROXY=true). TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For;
# allauth reads the client address there for its rate limits.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ALLAUTH_TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT", "1" if BEHIND_PROXY else "0")
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# The __Host- prefix: the browser keeps such a cookie only when it is Secure,
# has Path=/ and no Domain, so no subdomain or plain-HTTP page can plant or
# overwrite it. Django's defaults give Path=/ and no Domain.
if not DEBUG:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Contributions per page on a debate, and arguments per stance on a proposal.
PROPOSALS_PER_PAGE = int(os.environ.get("PROPOSALS_PER_PAGE", "30"))
ARGUMENTS_PER_PAGE = int(os.environ.get("ARGUMENTS_PER_PAGE", "50"))

# Posting rate limit per user: at most POSTING_RATE_LIMIT contributions in
# POSTING_RATE_WINDOW seconds; a burst beyond it is answered 429 with a message.
POSTING_RATE_LIMIT = int(os.environ.get("POSTING_RATE_LIMIT", "10"))
POSTING_RATE_WINDOW = int(os.environ.get("POSTING_RATE_WINDOW", "300"))

# Logs go to the console (gunicorn and systemd collect them). In production
# (DEBUG off) each line is a JSON object with the request's id; LOG_FORMAT=text
# or json overrides. One line per request at INFO (consultation.request).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "consultation.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Sign-ins, failed sign-ins and account changes (accounts/security_log.py).
        "accounts.security": {"level": os.environ.get("SECURITY_LOG_LEVEL", "INFO")},
        "consultation.request": {
            "level": os.environ.get("ACCESS_LOG_LEVEL", "WARNING" if DEBUG else "INFO")
        },
    },
}
