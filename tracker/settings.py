"""Settings for the treaty implementation status tracker.

Everything that differs between a laptop and production comes from the
environment. With nothing set, the site runs locally on SQLite in DEBUG mode,
so a checkout, the README's serve command and a browser are all it takes.
"""

import ipaddress
import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    value = os.getenv(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    value = os.getenv(name)
    return int(value) if value not in (None, "") else default


def envlist(name, default):
    value = os.getenv(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

# A development key is only acceptable while DEBUG is on; production must set one.
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django_filters",
    "simple_history",
    "import_export",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page comes from its address only (/fr/…, /es/…; English
    # unprefixed): tracker/i18n.py and docs/public-site.md, "Languages".
    "tracker.i18n.PathLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in editor on every history row.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A NUL character in an admin request is refused in words (tracker/guards.py).
    "tracker.guards.RefuseNulInAdminMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

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
                "tracker.i18n.languages",
            ],
        },
    },
    # The public pages with long lists (templates/jinja2/): Jinja2 renders a row several
    # times faster than Django templates (docs/performance.md, "Render fast"). Listed
    # second, so a name found in both folders is the Django template's.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "tracker.jinja2.environment",
            "context_processors": ["tracker.i18n.languages"],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://...) selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the busy timeout makes a
    # second writer wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# British English is the default, at the unprefixed addresses; the public pages also
# exist in French under /fr/ and in Spanish under /es/ (tracker/urls.py). The admin,
# the downloads and the API stay in English. docs/public-site.md, "Languages".
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tracker.formats"]
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "tracker" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed names; in DEBUG the plain finder storage is used
    # so that runserver works without collectstatic.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if DEBUG:
    # In development, static files come from the app folders; staticfiles/ exists only
    # after collectstatic, and WhiteNoise need not warn that it is missing.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

LOGIN_URL = "admin:login"

# simple-history: keep the history of deleted rows, and never record the same
# state twice when a save changes nothing.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = False

# Production hardening, switched on whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# --- Admin hardening: login throttling, Content Security Policy, upload limits ----------
# (Maintained with the admin; see docs/admin.md, "Production settings".)

# django-axes: after AXES_FAILURE_LIMIT failed admin logins for the same username
# from the same address, further attempts are refused for AXES_COOLOFF_TIME hours
# with templates/admin/lockout.html. Its backend must come first. Tests keep it on:
# log test users in with client.force_login(), not client.login().
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# Behind the TLS proxy (README, "Production") REMOTE_ADDR is the proxy's. The client's
# address is read from X-Forwarded-For only when the request comes from one of the
# TRUSTED_PROXIES (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"), and then as the
# right-most address that is not itself a trusted proxy: the left end of the header is
# whatever the client chose to send. With no trusted proxy (the default) the header is
# ignored, so a client reaching gunicorn directly cannot choose its address.
TRUSTED_PROXIES = [ipaddress.ip_network(item, strict=False) for item in envlist("TRUSTED_PROXIES", [])]


def _trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in TRUSTED_PROXIES)


def client_ip_address(request):
    remote = request.META.get("REMOTE_ADDR")
    if not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return remote


AXES_CLIENT_IP_CALLABLE = client_ip_address

# django-csp 4: only this site's own scripts, styles and images; no inline script
# anywhere (the admin's scripts are static files, so it works under this policy).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    CSRF_COOKIE_SAMESITE = "Lax"
    # Admin sessions end with the browser and after eight hours at most.
    SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)

# Upload limits: a request body (without files) and the size kept in memory before a
# file goes to a temporary file; the spreadsheet import refuses larger files or more rows.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = envint("DATA_UPLOAD_MAX_NUMBER_FIELDS", 5000)
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
TRACKER_IMPORT_MAX_BYTES = envint("TRACKER_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
TRACKER_IMPORT_MAX_ROWS = envint("TRACKER_IMPORT_MAX_ROWS", 1000)

# --- Performance: the public page cache (tracker/caching.py; docs/performance.md) -------
# Anonymous GETs of public pages get an ETag and Last-Modified from the newest history
# row, answer If-None-Match/If-Modified-Since with 304, and are served from the cache
# below under a key that any edit, a new day or a deployment changes (nothing to purge).
# PUBLIC_CACHE=false switches it all off; PUBLIC_CACHE_SECONDS=0 keeps no rendered page
# but still answers conditional requests. The tests switch it off (tests/conftest.py)
# except where they test it.
# It comes right after WhiteNoise, so that a cached page skips the session, CSRF,
# authentication, messages and CSP middleware (it keeps the headers they set when the
# page was rendered); SecurityMiddleware still runs on every response.
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "tracker.caching.PublicPageCacheMiddleware",
)
PUBLIC_CACHE = envbool("PUBLIC_CACHE", True)
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", 600)
# Rows and parts of pages derived from one version of the data, kept in each worker for the
# next request of that version (tracker/derived.py). Off: every request computes everything.
DERIVED_MEMO = envbool("DERIVED_MEMO", True)
DERIVED_MEMO_SECONDS = envint("DERIVED_MEMO_SECONDS", 600)
# Local memory (one cache per worker process) by default: right for one machine.
# Several workers or machines share rendered pages through Redis (Django's own backend,
# with the pinned redis client): CACHE_URL=redis://127.0.0.1:6379/1 (or rediss:// with TLS;
# REDIS_URL is read when CACHE_URL is not set). See docs/performance.md, "Several machines".
CACHE_URL = os.getenv("CACHE_URL") or os.getenv("REDIS_URL") or ""
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A page of the same release and data version is the same on every instance.
            "KEY_PREFIX": "tracker",
        }
    }
elif CACHE_URL in ("", "locmem://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tracker",
            "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 1000)},
        }
    }
else:
    raise ImproperlyConfigured(
        f"CACHE_URL is redis://…, rediss://…, unix://… or locmem://, not {CACHE_URL!r}."
    )

# --- The read API, /api/v1/ (tracker/api.py; docs/public-site.md, "The read API") ------------
# django-ninja's app serves Swagger UI from its own static files (no CDN: the CSP stays 'self').
INSTALLED_APPS += ["ninja"]
# CORS for GET on /api/v1/ only, outside the page cache so that its 304s carry the headers.
MIDDLEWARE.insert(
    MIDDLEWARE.index("tracker.caching.PublicPageCacheMiddleware"), "tracker.cors.ApiCorsMiddleware"
)
