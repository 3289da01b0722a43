"""CreatorCompass settings: configuration comes from the environment only (12-factor).

Every variable read here is listed in docs/configuration.md (core/tests/test_docs.py checks it).
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL used in links that leave the site (emails, share links).
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
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "django_tasks",
    "django_tasks_db",
    "djstripe",
    "axes",
    "core",
    "accounts",
    "usage",
    "billing",
    "milestones",
    "tasks",
    "reminders",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestContextMiddleware",
    # django-csp's, with the policy header built once per process (core/csp.py).
    "core.csp.CSPMiddleware",
    # A body announcing more than REQUEST_BODY_MAX_BYTES: 400 before anything reads it.
    "core.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their long caching): an answer to a request with a
    # session cookie or an Authorization header is Cache-Control: no-store, private.
    "core.middleware.PrivateCacheMiddleware",
    # Pages compress ~5x (the roadmap: 191 KB -> 37 KB); Django pads gzip output against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    # Django's, with the session of a request without a session cookie built only when used.
    "core.middleware.LazySessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A NUL or other control character in the path, the query or a form field: 400 naming it,
    # before any view (nothing is written); form fields only once CSRF accepted the request.
    "core.middleware.ControlCharacterMiddleware",
    # Django's, holding the request weakly (no reference cycle to collect on every request).
    "core.middleware.AuthenticationMiddleware",
    # After authentication, inside gzip: the Idempotency-Key protocol of mutating API requests.
    "core.idempotency.IdempotencyMiddleware",
    # After authentication: the signed-in creator's time zone for every date on the page.
    "accounts.middleware.CreatorTimezoneMiddleware",
    # Django's, with the message storage built only when a request adds or reads a message.
    "core.middleware.LazyMessageMiddleware",
    # Last: it turns a lockout raised by the authentication backends into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "creatorcompass.urls"
WSGI_APPLICATION = "creatorcompass.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
    {
        # Plain-text emails (core.email): the same templates directory, no HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
_db = DATABASES["default"]
# DATABASE_URL points at PgBouncer in transaction pooling mode (see below).
DB_TRANSACTION_POOLING = env.bool("DB_TRANSACTION_POOLING", default=False)
# PostgreSQL: a stuck lock or runaway statement fails fast and cleanly instead of piling up requests.
DATABASE_TIMEOUTS = {
    "statement_timeout": env.int("DB_STATEMENT_TIMEOUT_MS", default=15000),
    "lock_timeout": env.int("DB_LOCK_TIMEOUT_MS", default=5000),
    "idle_in_transaction_session_timeout": env.int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=60000),
}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
    # instead of failing half-way with "database is locked"; WAL lets readers run alongside.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **_db.get("OPTIONS", {}),
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    if DB_TRANSACTION_POOLING:
        # Behind PgBouncer in transaction pooling mode consecutive transactions may run on
        # different server connections: no session state. The pool sets the timeouts on each
        # server connection (`connect_query`, deploy/pgbouncer/pgbouncer.ini), a startup
        # parameter would not reach PostgreSQL, and a server-side cursor would not outlive its
        # transaction.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        _db.setdefault("OPTIONS", {})["options"] = " ".join(
            f"-c {name}={value}" for name, value in DATABASE_TIMEOUTS.items()
        )
    # Persistent connections: without them every request forks a PostgreSQL backend.
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # A health check is a `SELECT 1` before the first query of each request on a reused
    # connection. Straight to PostgreSQL it finds a connection a restart cut; behind PgBouncer the
    # pool absorbs PostgreSQL's restarts (server_login_retry) and the check is one more round trip
    # through the pool per request, so it is off there by default (a PgBouncer restart then costs
    # each worker one 503 `unavailable`, after which Django reconnects).
    _db["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=not DB_TRANSACTION_POOLING)

# Read replicas (streaming replicas of the primary): selectors read there, anything after a write
# in the same request, and anything inside a transaction, reads the primary (core.db_router).
DATABASE_REPLICAS = []
for _index, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _alias = f"replica_{_index}"
    DATABASES[_alias] = {**env.db_url_config(_url), "OPTIONS": _db.get("OPTIONS", {}),
                         "CONN_MAX_AGE": _db.get("CONN_MAX_AGE", 0), "CONN_HEALTH_CHECKS": _db.get("CONN_HEALTH_CHECKS", False)}
    DATABASE_REPLICAS.append(_alias)
    if DATABASES[_alias]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that is down must cost a read a moment, not a hung worker.
        DATABASES[_alias]["OPTIONS"] = {**DATABASES[_alias]["OPTIONS"], "connect_timeout": 2}
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
# After a write, that browser reads the primary for this long (replication lag stays far below it).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
# A replica whose replay is further behind than this is skipped until it catches up.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How often each process asks a replica how far behind it is (one query per replica).
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the throttle counters: every worker must see the same ones. Redis (Django's
# RedisCache: INCR is atomic, so a limit of N lets exactly N through across workers); else
# CACHE_URL; else the database cache (shared, no extra server; its table is made by migrate).
# A per-process cache with more than one worker fails `check --deploy` (core.checks).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          # Several apps (or checkouts) can share one Redis.
                          "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="creatorcompass")}}
elif env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "creatorcompass_cache"}}
# gunicorn's worker count (gunicorn.conf.py reads the same variable); the deploy check uses it.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=3)

# --- Client IP and throttles ----------------------------------------------------------------
# Reverse proxies in front of the app, each appending to X-Forwarded-For (core.client_ip);
# TRUSTED_PROXIES (networks) limits whose X-Forwarded-For is read at all.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# The one header the proxies name the client in: x-forwarded-for, forwarded (RFC 7239) or x-real-ip.
FORWARDED_HEADER = env.str("FORWARDED_HEADER", default="x-forwarded-for").lower()
if FORWARDED_HEADER not in ("x-forwarded-for", "forwarded", "x-real-ip"):
    raise ImproperlyConfigured(f"FORWARDED_HEADER={FORWARDED_HEADER!r}: x-forwarded-for, forwarded or x-real-ip.")
# Rates "<count>/<seconds>" or "<count>/second|minute|hour|day" (core.throttle: a fixed window
# counted with one atomic INCR in the shared cache).
THROTTLE_RATES = {
    "signup": env.str("THROTTLE_SIGNUP", default="20/hour"),  # per client IP, page and API
    "token": env.str("THROTTLE_TOKEN", default="30/minute"),  # per client IP
    "login": env.str("THROTTLE_LOGIN", default="30/minute"),  # password posts per client IP
    "verification_resend": env.str("THROTTLE_VERIFICATION_RESEND", default="3/hour"),  # per account
    "password_reset": env.str("PASSWORD_RESET_RATE", default="5/3600"),  # per address and per IP
    # "Someone tried to sign up with your email" notices, per existing account.
    "signup_notice": "3/hour",
    # Records kept of webhook deliveries with a bad signature, per client IP (past it: still a 400).
    "webhook_rejected": env.str("THROTTLE_WEBHOOK_REJECTED", default="20/hour"),
    # Password confirmations while signed in (change, delete), per account, like the login.
    "password_confirm": env.str("THROTTLE_PASSWORD_CONFIRM", default="10/hour"),
    "email_change": env.str("THROTTLE_EMAIL_CHANGE", default="5/hour"),  # per account: each one is two emails
}
# --- Request bodies (core.bodylimits) -------------------------------------------------------
# A larger body is a 400 before anything reads it; Django's own limits (form fields in memory, an
# uploaded file kept in memory before it spills to disk) use the same figure. No page takes uploads.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses (without hashing) an account and IP that failed too often.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
# Login lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords for one account from one
# client IP lock that pair for AXES_COOLOFF_HOURS, on /login/, /admin/login/ and the token API.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(hours=env.float("AXES_COOLOFF_HOURS", default=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.authentication.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.authentication.lockout_response"
# Token auth: a token older than this many seconds is refused and deleted (0: no maximum age).
# 30 days by default: POST /api/v1/auth/token gives a new one.
API_TOKEN_MAX_AGE = env.int("API_TOKEN_MAX_AGE", default=30 * 24 * 3600)
# auth.W004: email is unique case-insensitively by a database constraint on Lower(email), which
# the check for a plain unique=True field cannot see. security.W002 (no XFrameOptionsMiddleware):
# every response's Content-Security-Policy says `frame-ancestors 'none'`, which every browser we
# serve obeys over X-Frame-Options (a second header and middleware layer on every request:
# 32,000 CPU instructions of the bare request's 1,264,000, bench/middleware_instructions.py);
# core/tests/test_hostile_input.py checks pages, the API, errors and the admin carry it.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "security.W002"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N / static --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

# --- Email (anymail) and background jobs ----------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CreatorCompass <hello@creatorcompass.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Optional mailto target of List-Unsubscribe beside the one-click URL (accounts.unsubscribe).
UNSUBSCRIBE_MAILTO = env.str("UNSUBSCRIBE_MAILTO", default="")
# "This wasn't me" link of the email-change notice to the old address.
EMAIL_CHANGE_REVERT_MAX_AGE = datetime.timedelta(days=env.float("EMAIL_CHANGE_REVERT_DAYS", default=7))
# How long the download link of a data export (ops.export) works.
EXPORT_LINK_MAX_AGE = datetime.timedelta(hours=env.float("EXPORT_LINK_HOURS", default=72))
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in env.ENVIRON.items()
    if name.startswith("ANYMAIL_")
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Recovery of email jobs (core.job_retries, core.email). A job RUNNING longer than
# JOB_STALE_AFTER lost its worker; `retry_jobs` enqueues it again after
# JOB_RETRY_BACKOFF * 2^(attempt - 1). A send claim older than EMAIL_CLAIM_EXPIRY belongs to a
# dead worker: it must be shorter than JOB_STALE_AFTER, so that the retry of a stale job finds
# the claim expired and sends.
JOB_STALE_AFTER = datetime.timedelta(minutes=15)
JOB_RETRY_BACKOFF = datetime.timedelta(minutes=1)
EMAIL_CLAIM_EXPIRY = datetime.timedelta(minutes=10)
# The send ledger (core.send_ledger): an SQLite file outside the database, on another disk, never
# restored with it, so that a restored email job does not send again. Empty: off (development).
EMAIL_SEND_LEDGER = env.str("EMAIL_SEND_LEDGER", default="")

# Retention (core.retention, `manage.py prune_records`): finished jobs and their retry records,
# and the address of a sent email (its key stays, for deduplication).
JOB_RESULT_RETENTION = datetime.timedelta(days=env.int("JOB_RESULT_RETENTION_DAYS", default=14))
EMAIL_ADDRESS_RETENTION = datetime.timedelta(days=env.int("EMAIL_ADDRESS_RETENTION_DAYS", default=30))

# Idempotency-Key on mutating API requests (core.idempotency): a key and its stored answer live
# IDEMPOTENCY_KEY_TTL; a claim whose request died before any effect is free again after
# IDEMPOTENCY_KEY_RUNNING_EXPIRY (longer than any request: statement and lock timeouts end them).
IDEMPOTENCY_PATH_PREFIX = "/api/"
IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=24)
IDEMPOTENCY_KEY_RUNNING_EXPIRY = datetime.timedelta(minutes=5)

# --- Stripe (dj-stripe) ----------------------------------------------------------------------
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
# Pinned: every Stripe call and webhook payload uses this API version (dj-stripe 2.11's own).
STRIPE_API_VERSION = "2026-05-27.dahlia"
if env.str("STRIPE_API_HOST", default=""):
    # A Stripe-compatible server instead of api.stripe.com (the local emulator in tests and dev).
    STRIPE_API_HOST = env.str("STRIPE_API_HOST")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# Price ids per plan and interval, from the Stripe dashboard of each environment.
STRIPE_PRICES = {
    ("pro", "month"): env.str("STRIPE_PRICE_PRO_MONTHLY", default="price_pro_monthly"),
    ("pro", "year"): env.str("STRIPE_PRICE_PRO_YEARLY", default="price_pro_yearly"),
    ("studio", "month"): env.str("STRIPE_PRICE_STUDIO_MONTHLY", default="price_studio_monthly"),
    ("studio", "year"): env.str("STRIPE_PRICE_STUDIO_YEARLY", default="price_studio_yearly"),
}

# A renewal's webhook can arrive after the period it ends: active/trialing keep the plan this
# long past the period end (billing.plan_rules).
BILLING_RENEWAL_GRACE_HOURS = env.int("BILLING_RENEWAL_GRACE_HOURS", default=48)
# `manage.py webhook_deliveries_prune` deletes processed (and invalid) deliveries older than this.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
# dj-stripe lets a request choose the webhook secret by header (X-Djstripe-Webhook-Secret) when
# DEBUG is on: refused unless this is set too (local testing against the Stripe CLI only).
STRIPE_WEBHOOK_SECRET_HEADER_OVERRIDE = env.bool("STRIPE_WEBHOOK_SECRET_HEADER_OVERRIDE", default=False)

# --- Transactions ---------------------------------------------------------------------------
SLOW_TRANSACTION_MS = env.int("SLOW_TRANSACTION_MS", default=500)
# A row lock taken out of core.locks.LOCK_ORDER raises at once (tests turn it on too); off,
# the check is one flag test per lock.
LOCK_ORDER_CHECKS = DEBUG
# Attempts in all of a durable service hit by a deadlock or serialization failure (PostgreSQL):
# each re-runs the whole transaction after a short backoff; 1 turns retries off.
DB_CONFLICT_ATTEMPTS = env.int("DB_CONFLICT_ATTEMPTS", default=3)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CreatorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsCreator"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "core.idempotency.ApiSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Applies to views that name a throttle_scope (rates: THROTTLE_RATES, client IP: core.client_ip).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttle.ScopedThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CreatorCompass API",
    "DESCRIPTION": "Daily roadmaps for YouTube, TikTok and Twitch creators.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Security (production) ------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# API paths answer CSRF failures, oversized bodies and other 400/403s in the JSON envelope.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
# Content-Security-Policy on every response (django-csp 4): scripts and styles from our own
# origin only (the inline scripts that remain carry the per-request nonce), no plugins, no
# framing. Inline style attributes (meters' widths) are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # No form-action: the checkout and portal forms are answered with a redirect to Stripe.
    },
}

# --- Metrics ----------------------------------------------------------------------------------
# /metrics answers a bearer token or a client in these networks (Prometheus scraping over a
# private network). PROMETHEUS_MULTIPROC_DIR (read by prometheus-client) for several workers.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# The admin's Transactions page reads Prometheus' query API when PROMETHEUS_URL is set (what it
# scraped from every instance), otherwise the per-minute rollup each process writes (core.rollup).
PROMETHEUS_URL = env.str("PROMETHEUS_URL", default="")
PROMETHEUS_QUERY_TIMEOUT_SECONDS = env.float("PROMETHEUS_QUERY_TIMEOUT_SECONDS", default=3)
ROLLUP_ENABLED = env.bool("ROLLUP_ENABLED", default=True)  # off only to measure its cost
ROLLUP_FLUSH_SECONDS = env.float("ROLLUP_FLUSH_SECONDS", default=10)
ROLLUP_KEEP_HOURS = env.int("ROLLUP_KEEP_HOURS", default=48)

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(client_ip)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # stripe-python logs every request at INFO.
    "loggers": {"stripe": {"level": "WARNING"}},
}
