"""Settings for every environment, read from the process environment (and `.env`).

With no environment at all the project runs on SQLite with DEBUG *off*, and then refuses to
start until SECRET_KEY and JWT_SIGNING_KEY are set: a forgotten variable fails closed. The
Makefile's run and test targets turn DEBUG on explicitly for local work. Every variable is
documented in `.env.example`.
"""

import ipaddress
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from decouple import Csv, config
from django.core.exceptions import ImproperlyConfigured

from core.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = config("DEBUG", default=False, cast=bool)

_LOCAL_SECRET = "django-insecure-local-only-do-not-use-in-production"
SECRET_KEY = config("SECRET_KEY", default=_LOCAL_SECRET)
if not DEBUG and SECRET_KEY == _LOCAL_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1],testserver", cast=Csv())
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
    # First: its runserver serves HTTP and WebSocket (ASGI) on one port.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_prometheus",
    "channels",
    "core",
    "stores",
    "accounts",
    "catalog",
    "cart",
    "orders",
    "earnings",
    "payments",
    # Above cart, coupons, orders, earnings and payments: it coordinates them.
    "checkout",
    "reviews",
    "wishlist",
    "coupons",
    "dashboard",
    "recommendations",
    "conversations",
    "consultations",
    "webhooks",
    "skin",
    # Demo data, on top: it uses the other apps and no app uses it.
    "demo",
]

MIDDLEWARE = [
    # Operations (see "Operations" below): Prometheus times everything in between; the
    # request id, access log and KPI sample wrap every other layer; CORS answers
    # preflights before anything can refuse them (authentication, throttles, 404s), and
    # its headers reach a browser on every refusal below, a 413 included.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestLogMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Before anything that could read the body: an oversize one is refused unread.
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiErrorPagesMiddleware",
    "core.middleware.PrivateResponseCacheMiddleware",
    # Which reads may go to the replica (nothing without DATABASE_REPLICA_URL).
    "core.replicas.ReplicaRoutingMiddleware",
    # Last: turns a locked-out admin login into its lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
# An API client that drops the trailing slash gets a clear 404, not a redirect that turns
# its POST into a GET (or, with DEBUG on, a RuntimeError).
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# The server: gunicorn's ASGI worker (config/asgi.py) unless GUNICORN_WORKER_CLASS names a
# WSGI one (sync, gthread: config/wsgi.py). Under ASGI every request runs its view in a
# thread of its own, so a connection kept for reuse would stay open in a thread no later
# request runs in: persistent connections are off there, as Django's docs advise, and
# DB_CONN_MAX_AGE applies to the WSGI workers only.
# Read from the process environment, as config/gunicorn.py reads it, never from .env.
SERVES_ASGI = os.environ.get("GUNICORN_WORKER_CLASS", "asgi") == "asgi"
# Views one ASGI worker process runs at once (others wait, holding no thread and no database
# connection): an instance opens at most GUNICORN_WORKERS x this many connections.
ASGI_MAX_CONCURRENT_REQUESTS = config("ASGI_MAX_CONCURRENT_REQUESTS", default=4, cast=int)
if ASGI_MAX_CONCURRENT_REQUESTS < 1:
    raise ImproperlyConfigured("ASGI_MAX_CONCURRENT_REQUESTS must be at least 1.")
DATABASES = {
    "default": dj_database_url.parse(
        config("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0 if SERVES_ASGI else config("DB_CONN_MAX_AGE", default=60, cast=int),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests (the ASGI server runs views in threads) must wait for SQLite's
    # single writer, not fail with "database is locked": take the write lock when a
    # transaction starts, wait for it, and let readers go on while one writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# A streaming replica for the public reads (core/replicas.py): unset, there is one database.
# REPLICA_STICKY_SECONDS: how long after a caller's write all their reads go to the primary;
# REPLICA_MAX_LAG_SECONDS: a replica further behind makes /health/ say "degraded".
DATABASE_REPLICA_URL = config("DATABASE_REPLICA_URL", default="")
REPLICA_STICKY_SECONDS = config("REPLICA_STICKY_SECONDS", default=5, cast=int)
REPLICA_MAX_LAG_SECONDS = config("REPLICA_MAX_LAG_SECONDS", default=10, cast=float)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    # Tests read the replica through a second connection to the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
# Behind PgBouncer in transaction mode a server-side cursor (.iterator()) could be declared
# on one server connection and fetched on another: turn them off there.
DB_DISABLE_SERVER_SIDE_CURSORS = config("DB_DISABLE_SERVER_SIDE_CURSORS", default=False, cast=bool)
# Under ASGI, a pool of connections per process (psycopg's) that each request borrows and
# gives back, instead of a connection opened and closed per request: a new PostgreSQL
# backend costs milliseconds to start and as many again to warm its caches on its first
# queries. config/gunicorn.py turns it on (DB_POOL) for its ASGI workers; elsewhere (tests,
# Celery, commands, runserver) there is none unless asked for. A process opens at most
# DB_POOL_MAX_SIZE connections: the views it runs at once, and the socket consumers' reads.
DB_POOL = SERVES_ASGI and config("DB_POOL", default=False, cast=bool)
DB_POOL_MAX_SIZE = config("DB_POOL_MAX_SIZE", default=ASGI_MAX_CONCURRENT_REQUESTS + 2, cast=int)
# Seconds a request waits for a free pooled connection before it gives up (a database error).
DB_POOL_TIMEOUT = config("DB_POOL_TIMEOUT", default=10, cast=float)
if DB_POOL_MAX_SIZE < 1:
    raise ImproperlyConfigured("DB_POOL_MAX_SIZE must be at least 1.")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["DISABLE_SERVER_SIDE_CURSORS"] = DB_DISABLE_SERVER_SIDE_CURSORS
        if DB_POOL:
            _database.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                "max_size": DB_POOL_MAX_SIZE,
                "timeout": DB_POOL_TIMEOUT,
            }

# The same engines, measured for Prometheus (query counts, durations and errors).
_MEASURED_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    _database["ENGINE"] = _MEASURED_DB_ENGINES.get(_database["ENGINE"], _database["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also the throttle store) --------------------------------------------------
REDIS_URL = config("REDIS_URL", default="")
# Seconds a Redis call may take to connect, and to answer: a hung Redis costs a request at
# most this, once, before the process stops asking it (below).
REDIS_SOCKET_TIMEOUT = config("REDIS_SOCKET_TIMEOUT", default=0.25, cast=float)
# After a failed call, each process leaves Redis alone this long, serving the cache and the
# throttle counters from its own memory, then tries again (core/cache_backends.py).
REDIS_RETRY_AFTER_SECONDS = config("REDIS_RETRY_AFTER_SECONDS", default=5, cast=float)
# The Redis cache, as used when REDIS_URL is set (tests point it at a Redis of their own).
REDIS_CACHE = {
    # django-redis, measured for Prometheus, behind a per-process circuit breaker.
    "BACKEND": "core.cache_backends.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": config("CACHE_KEY_PREFIX", default="marketplace"),
    "OPTIONS": {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        "RETRY_AFTER_SECONDS": REDIS_RETRY_AFTER_SECONDS,
        # Off: the breaker must see failures (ignored, a throttle's read answers None: 500).
        "IGNORE_EXCEPTIONS": False,
    },
}
if REDIS_URL:
    CACHES = {"default": REDIS_CACHE}
else:
    CACHES = {"default": {"BACKEND": "core.cache_backends.LocMemCache"}}

# --- Real time (Django Channels) ------------------------------------------------------
# Socket events go through the channel layer: Redis (shared by every instance) when
# REDIS_URL is set, process memory otherwise (one process only, fine for development).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: an event is fanned out to the sockets connected now (a socket that
            # reconnects catches up over REST); no per-channel queues to poll.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": config("CACHE_KEY_PREFIX", default="marketplace") + ":channels",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Frames a client may send on a socket (they only ping); larger ones close it.
WEBSOCKET_MAX_FRAME_BYTES = config("WEBSOCKET_MAX_FRAME_BYTES", default=4096, cast=int)

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login of a locked-out account or address, before the password
    # is even checked (the admin's and the API's).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one account,
# or from one client address, further logins of it are refused for LOGIN_LOCKOUT_MINUTES
# (each one tried meanwhile starts the wait again); a successful login clears the account's
# failures. The failures are kept in the database: they survive a Redis outage.
AXES_FAILURE_LIMIT = config("LOGIN_FAILURE_LIMIT", default=5, cast=int)
AXES_COOLOFF_TIME = timedelta(minutes=config("LOGIN_LOCKOUT_MINUTES", default=15, cast=int))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = config("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24, cast=int)
# Where the frontend shows its "choose a new password" page; the emailed link points there.
PASSWORD_RESET_URL = config(
    "PASSWORD_RESET_URL", default="http://localhost:3000/reset-password/{uid}/{token}/"
)

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(config("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Skin photos (health data): outside MEDIA_ROOT, never served as files, only by the
# skin app's authenticated views.
PRIVATE_MEDIA_ROOT = Path(config("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private")))
# The class that measures a skin photo (skin.analyzers: `analyze(image) -> Measures`).
SKIN_ANALYZER = config("SKIN_ANALYZER", default="skin.analyzers.BuiltinSkinAnalyzer")
MAX_IMAGE_UPLOAD_BYTES = config("MAX_IMAGE_UPLOAD_BYTES", default=5 * 1024 * 1024, cast=int)
# Decoded size cap of an uploaded image (width x height): a few KB of PNG can describe
# a 40-megapixel canvas that takes hundreds of MB to decode. Default 4096 x 4096.
MAX_IMAGE_PIXELS = config("MAX_IMAGE_PIXELS", default=4096 * 4096, cast=int)
# Request bodies are refused (413) from their Content-Length above these, before they are
# read: multipart bodies (uploads) get the image cap plus room for the other fields, every
# other body (JSON, forms) the smaller limit.
MAX_REQUEST_BODY_BYTES = config("MAX_REQUEST_BODY_BYTES", default=1024 * 1024, cast=int)
MAX_MULTIPART_BODY_BYTES = config(
    "MAX_MULTIPART_BODY_BYTES", default=MAX_IMAGE_UPLOAD_BYTES + 1024 * 1024, cast=int
)
# Django's own check of the non-file part of a body agrees with the limit above.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="localhost")
EMAIL_PORT = config("EMAIL_PORT", default=25, cast=int)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=False, cast=bool)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="Marketplace <no-reply@localhost>")

# --- Marketplace ----------------------------------------------------------------------
DEFAULT_CURRENCY = config("DEFAULT_CURRENCY", default="USD")
# Guest carts untouched for this long are removed by `manage.py purge_guest_carts`.
GUEST_CART_MAX_AGE_DAYS = config("GUEST_CART_MAX_AGE_DAYS", default=30, cast=int)
# Pending (unpaid) orders older than this are cancelled by `manage.py expire_unpaid_orders`.
ORDER_UNPAID_EXPIRY_MINUTES = config("ORDER_UNPAID_EXPIRY_MINUTES", default=60, cast=int)
# Unpaid orders hold their stock until they expire: how many one user may have at once, and
# how many units they may hold in them together (a user cannot corner a product unpaid).
ORDER_MAX_PENDING_PER_USER = config("ORDER_MAX_PENDING_PER_USER", default=3, cast=int)
ORDER_MAX_PENDING_UNITS_PER_USER = config("ORDER_MAX_PENDING_UNITS_PER_USER", default=20, cast=int)
# New reviews wait for staff approval before they are public when this is on.
REVIEWS_REQUIRE_APPROVAL = config("REVIEWS_REQUIRE_APPROVAL", default=False, cast=bool)
# Stock at or below this counts as low in the metrics (overridable per request).
LOW_STOCK_THRESHOLD = config("LOW_STOCK_THRESHOLD", default=5, cast=int)
# Seconds request-time recommendations are cached.
RECOMMENDATIONS_CACHE_SECONDS = config("RECOMMENDATIONS_CACHE_SECONDS", default=3600, cast=int)
# Idempotency keys are kept at least this long (SPEC: 24 h), then purged.
IDEMPOTENCY_KEY_TTL_HOURS = config("IDEMPOTENCY_KEY_TTL_HOURS", default=24, cast=int)
# Seconds a request may hold an in-progress key before a retry counts it as abandoned (its
# worker died) and takes it over. Longer than a request can run (GUNICORN_TIMEOUT).
IDEMPOTENCY_LEASE_SECONDS = config("IDEMPOTENCY_LEASE_SECONDS", default=60, cast=int)

# --- Catalog reads at scale -----------------------------------------------------------
# A list's `count` is exact up to this many products, the database's estimate above it.
EXACT_COUNT_LIMIT = config("EXACT_COUNT_LIMIT", default=10_000, cast=int)
# `?page=` goes this many products deep (page x page_size); deeper pages use `?cursor=`.
MAX_PAGE_DEPTH = config("MAX_PAGE_DEPTH", default=10_000, cast=int)
# Seconds an anonymous catalog answer is kept in the cache (0: no cache). Writes invalidate
# what they change at once, so this only bounds memory.
CATALOG_CACHE_SECONDS = config("CATALOG_CACHE_SECONDS", default=300, cast=int)
# Seconds a product list's count is kept in the cache, for every caller (0: counted on every
# request). Kept under the same versions as the cached answers, so a write that changes
# the products counts again at once: a kept count is never stale.
CATALOG_COUNT_CACHE_SECONDS = config("CATALOG_COUNT_CACHE_SECONDS", default=300, cast=int)
# max-age of the public Cache-Control on anonymous catalog answers (browsers, CDNs).
CATALOG_CACHE_MAX_AGE = config("CATALOG_CACHE_MAX_AGE", default=30, cast=int)

# --- Marketplace money ----------------------------------------------------------------
# The platform's commission, in percent of a line's total, where no commission rule applies.
PLATFORM_COMMISSION_PERCENT = config("PLATFORM_COMMISSION_PERCENT", default="10", cast=Decimal)
# A sale's earnings stay pending until its fulfilment was delivered this many days ago
# (returns and disputes), then they are available for payout.
SELLER_PAYOUT_HOLD_DAYS = config("SELLER_PAYOUT_HOLD_DAYS", default=7, cast=int)
# The smallest payout; a store's available balance below it waits for the next run.
SELLER_PAYOUT_MINIMUM = config("SELLER_PAYOUT_MINIMUM", default="10.00", cast=Decimal)
# Which payout provider sends the money: `fake` moves none (local use only), `stripe`
# makes Stripe Connect transfers to the store's connected account.
PAYOUT_PROVIDER = config("PAYOUT_PROVIDER", default="fake" if DEBUG else "stripe")
# Signing secret of the Stripe webhook endpoint for Connect (transfer.*) events.
STRIPE_CONNECT_WEBHOOK_SECRET = config("STRIPE_CONNECT_WEBHOOK_SECRET", default="")

# --- Conversations --------------------------------------------------------------------
# New conversations a customer may open in 24 hours (continuing one is not counted).
CONVERSATIONS_PER_DAY = config("CONVERSATIONS_PER_DAY", default=20, cast=int)
# A side with unread messages is emailed at most once per conversation per this delay, and
# not at all when they read them before it passes.
MESSAGE_EMAIL_DELAY_MINUTES = config("MESSAGE_EMAIL_DELAY_MINUTES", default=15, cast=int)
# The frontend page of a conversation, linked from that email; {id} is filled in.
CONVERSATION_URL = config("CONVERSATION_URL", default="http://localhost:3000/conversations/{id}/")

# --- Consultations ----------------------------------------------------------------------
# Slots start at least this many hours from now and at most this many days ahead.
CONSULTATION_MIN_LEAD_HOURS = config("CONSULTATION_MIN_LEAD_HOURS", default=2, cast=int)
CONSULTATION_HORIZON_DAYS = config("CONSULTATION_HORIZON_DAYS", default=60, cast=int)
# An unpaid booking holds its slot this long, then the slot is free again.
CONSULTATION_HOLD_MINUTES = config("CONSULTATION_HOLD_MINUTES", default=15, cast=int)
# Unpaid bookings a customer may hold at once (a slot hoarder holds at most this many).
CONSULTATION_MAX_HOLDS_PER_CUSTOMER = config(
    "CONSULTATION_MAX_HOLDS_PER_CUSTOMER", default=2, cast=int
)
# A customer's cancellation is refunded up to this many hours before the start.
CONSULTATION_FREE_CANCEL_HOURS = config("CONSULTATION_FREE_CANCEL_HOURS", default=24, cast=int)
# The room's join_url is shown from this many minutes before the start until its end.
CONSULTATION_JOIN_WINDOW_MINUTES = config("CONSULTATION_JOIN_WINDOW_MINUTES", default=10, cast=int)
CONSULTATION_URL = config("CONSULTATION_URL", default="http://localhost:3000/consultations/{id}/")
VIDEO_PROVIDER = config("VIDEO_PROVIDER", default="jitsi")
if VIDEO_PROVIDER not in ("jitsi",):
    raise ImproperlyConfigured("VIDEO_PROVIDER must be jitsi.")
VIDEO_BASE_URL = config("VIDEO_BASE_URL", default="https://meet.jit.si")

# --- Outbound webhooks -----------------------------------------------------------------
# Seconds to wait after each failed attempt before the next one; one attempt more than the
# list is long, then the delivery has failed.
WEBHOOK_RETRY_SCHEDULE = config(
    "WEBHOOK_RETRY_SCHEDULE", default="5,30,300,1800,14400", cast=Csv(int)
)
if any(delay < 0 for delay in WEBHOOK_RETRY_SCHEDULE):
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE must list seconds (0 or more).")
# An endpoint is disabled (and staff emailed) after this many failed attempts in a row
# (0: never).
WEBHOOK_DISABLE_AFTER_FAILURES = config("WEBHOOK_DISABLE_AFTER_FAILURES", default=15, cast=int)
# Seconds to connect to an endpoint, and to wait for each part of its answer.
WEBHOOK_CONNECT_TIMEOUT = config("WEBHOOK_CONNECT_TIMEOUT", default=3.0, cast=float)
WEBHOOK_READ_TIMEOUT = config("WEBHOOK_READ_TIMEOUT", default=5.0, cast=float)
# On: endpoints may be on loopback, private and link-local addresses (local development).
# Off (the default): every address of an endpoint's host must be public, checked when it is
# saved and before every request.
WEBHOOK_ALLOW_PRIVATE_TARGETS = config("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False, cast=bool)
# Endpoints must use https (unless private targets are allowed); on by default with DEBUG off.
WEBHOOK_REQUIRE_HTTPS = config("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG, cast=bool)

# --- Payments -------------------------------------------------------------------------
# Providers a client may choose in `POST payments/`; the first is the default.
PAYMENT_PROVIDERS = config(
    "PAYMENT_PROVIDERS", default="fake,stripe" if DEBUG else "stripe", cast=Csv()
)
# The fake providers mark orders and payouts paid without moving money: with DEBUG off they
# are refused at start-up, unless a staging deployment opts in with this deliberately
# alarming name (and `check --deploy` then warns).
PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE = config(
    "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE", default=False, cast=bool
)
if not DEBUG and not PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE:
    if "fake" in PAYMENT_PROVIDERS:
        raise ImproperlyConfigured(
            "The fake payment provider marks orders paid without taking money: remove it "
            "from PAYMENT_PROVIDERS when DEBUG is off (a staging site may set "
            "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE=True)."
        )
    if PAYOUT_PROVIDER == "fake":
        raise ImproperlyConfigured(
            "The fake payout provider marks payouts paid without sending money: set "
            "PAYOUT_PROVIDER=stripe when DEBUG is off (a staging site may set "
            "PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE=True)."
        )
STRIPE_SECRET_KEY = config("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = config("STRIPE_WEBHOOK_SECRET", default="")
# Seconds a signed webhook stays acceptable; older signatures are refused as replays.
STRIPE_WEBHOOK_TOLERANCE = config("STRIPE_WEBHOOK_TOLERANCE", default=300, cast=int)

# --- Celery ---------------------------------------------------------------------------
# With no broker, tasks run eagerly in-process; set a broker to use a real worker.
CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still borrow a producer from the broker pool; an in-process transport
    # keeps kombu from warning about (and resolving) a default AMQP host on every task.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = config("CELERY_TASK_DEFAULT_QUEUE", default="marketplace")
CELERY_TIMEZONE = "UTC"
# For `celery -A config beat`; the same jobs exist as management commands for cron.
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-orders": {"task": "checkout.tasks.expire_unpaid_orders", "schedule": 300.0},
    "purge-idempotency-keys": {"task": "core.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "purge-guest-carts": {"task": "cart.tasks.purge_guest_carts", "schedule": 86400.0},
    "compute-recommendations": {
        "task": "recommendations.tasks.compute_recommendations",
        "schedule": 86400.0,
    },
    "run-payouts": {"task": "earnings.tasks.run_payouts", "schedule": 86400.0},
    "expire-consultation-holds": {
        "task": "consultations.tasks.expire_consultation_holds",
        "schedule": 60.0,
    },
    "send-consultation-reminders": {
        "task": "consultations.tasks.send_consultation_reminders",
        "schedule": 300.0,
    },
    "notify-unread-messages": {
        "task": "conversations.tasks.notify_unread_messages",
        "schedule": 60.0,
    },
    "refresh-product-prices": {"task": "catalog.tasks.refresh_product_prices", "schedule": 60.0},
    # Webhook retries, and deliveries a stopped process left behind.
    "send-due-webhooks": {"task": "webhooks.tasks.send_due_deliveries", "schedule": 10.0},
    "purge-response-times": {"task": "core.tasks.purge_response_times", "schedule": 86400.0},
    "repair-product-prices": {
        "task": "catalog.tasks.refresh_product_prices",
        "schedule": 86400.0,
        "kwargs": {"all_products": True},
    },
}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, so every request body has one content type (and one shape for a client
    # generated from the schema); the endpoints that take an image upload add multipart.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": config("API_PAGE_SIZE", default=20, cast=int),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.filters.OrderingFilter",
    ],
    "DEFAULT_METADATA_CLASS": "core.metadata.Metadata",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": config("THROTTLE_ANON", default="300/min"),
        "user": config("THROTTLE_USER", default="1200/min"),
        "login": config("THROTTLE_LOGIN", default="10/min"),
        "login_account": config("THROTTLE_LOGIN_ACCOUNT", default="10/hour"),
        "coupon": config("THROTTLE_COUPON", default="10/min"),
        "register": config("THROTTLE_REGISTER", default="5/min"),
        "password_reset": config("THROTTLE_PASSWORD_RESET", default="5/hour"),
        "stripe_webhook": config("THROTTLE_STRIPE_WEBHOOK", default="300/min"),
        "messages": config("THROTTLE_MESSAGES", default="30/min"),
    },
    # 0 means "use REMOTE_ADDR": X-Forwarded-For is trusted only when a known number of
    # proxies sits in front of the app, so a client cannot pick its own throttle key.
    "NUM_PROXIES": config("TRUSTED_PROXY_COUNT", default=0, cast=int),
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

# Tokens are signed with their own key, so rotating it logs everyone out without touching
# sessions, password reset links or anything else SECRET_KEY signs.
JWT_SIGNING_KEY = config("JWT_SIGNING_KEY", default="")
if not JWT_SIGNING_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("JWT_SIGNING_KEY must be set when DEBUG is off.")
    JWT_SIGNING_KEY = f"{SECRET_KEY}-jwt-local"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=config("JWT_ACCESS_MINUTES", default=15, cast=int)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=config("JWT_REFRESH_DAYS", default=7, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Deactivated users and tokens minted before a password change are refused at once.
    "CHECK_USER_IS_ACTIVE": True,
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace API",
    "DESCRIPTION": (
        "REST API of the marketplace: accounts, stores, catalog, cart, checkout, payments, "
        "the sellers' fulfilments, earnings and payouts, conversations, consultations, "
        "reviews, wishlists, coupons, metrics, recommendations and outbound webhooks. "
        "Request bodies are JSON (`application/json`); the endpoints that take an image "
        "also accept it as `multipart/form-data`. "
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Bearer <access>`. "
        "Every error has the shape `{code, detail, errors?}`."
    ),
    "VERSION": "1.0.0",
    # Every tag the operations use, with what it groups (a generated client names its
    # modules after them).
    "TAGS": [
        {
            "name": "auth",
            "description": "Register, log in (JWT), refresh, log out, reset a password.",
        },
        {
            "name": "users",
            "description": "The caller's account, profile and addresses; staff manage users.",
        },
        {
            "name": "stores",
            "description": (
                "Stores of brands and dermatologists: apply, review, storefronts, the owner's "
                "store, services and free consultation slots."
            ),
        },
        {"name": "categories", "description": "The category tree (public read, staff write)."},
        {"name": "brands", "description": "Brands (public read, staff write)."},
        {
            "name": "products",
            "description": (
                "The catalog: search, filters, facets, suggestions, cursor pages, images, "
                "promotions, recommendations."
            ),
        },
        {
            "name": "cart",
            "description": "Guest (X-Cart-Token) and user carts, their lines and coupon.",
        },
        {"name": "coupons", "description": "Coupons (staff)."},
        {
            "name": "orders",
            "description": (
                "Checkout, the buyer's orders and each store's part of them; staff ship, "
                "deliver and cancel."
            ),
        },
        {
            "name": "payments",
            "description": "Paying an order (fake or Stripe), refunds, the Stripe webhook.",
        },
        {
            "name": "seller",
            "description": (
                "A seller's own fulfilments, balance, ledger, payouts, availability and "
                "consultations."
            ),
        },
        {"name": "commission-rules", "description": "The platform's commission rules (staff)."},
        {"name": "ledger", "description": "Staff adjustments of a store's ledger."},
        {
            "name": "payouts",
            "description": "Payouts to the stores (staff) and the payout provider's webhook.",
        },
        {
            "name": "conversations",
            "description": (
                "Customers and stores talking, with read state, blocks and reports (events over"
                " the WebSocket)."
            ),
        },
        {"name": "messages", "description": "Reporting a message to staff."},
        {
            "name": "consultation-services",
            "description": "A dermatologist's consultation services.",
        },
        {
            "name": "consultations",
            "description": "Booking, paying, moving and cancelling video consultations; regimens.",
        },
        {"name": "reviews", "description": "Product reviews and their moderation."},
        {"name": "wishlist", "description": "Wishlists, moving items to the cart, share links."},
        {
            "name": "dashboard",
            "description": "Metrics for staff and sellers (JSON or CSV), the response-time KPI.",
        },
        {
            "name": "webhooks",
            "description": (
                "Outbound webhooks (staff): endpoints, their signing secret, the delivery log, "
                "ping and redelivery."
            ),
        },
        {"name": "health", "description": "Liveness and readiness of an instance."},
        {
            "name": "skin",
            "description": (
                "The caller's skin profile and photo analyses (measurements, not a "
                "diagnosis), and what a dermatologist sees of them in a shared consultation."
            ),
        },
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.split_upload_bodies",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HealthStateEnum": ["ok", "unavailable"],
        "HealthStatusEnum": ["ok", "degraded", "unavailable"],
        "StoreKindEnum": "stores.models.StoreKind",
        "StoreStatusEnum": "stores.models.StoreStatus",
        "CouponKindEnum": "coupons.models.CouponKind",
        # An order and each of its stores' parts share one status vocabulary.
        "OrderStatusEnum": "orders.models.OrderStatus",
        "CountryCodeEnum": "core.countries.COUNTRY_CODES",
        "ErrorCodeEnum": "core.exceptions.ErrorCode",
        "ConsultationStatusEnum": "consultations.models.ConsultationStatus",
        "SkinTypeEnum": "catalog.models.SkinType",
        "SkinConcernEnum": "catalog.models.SkinConcern",
        "SkinAnalysisStatusEnum": "skin.models.AnalysisStatus",
    },
}

# --- Security (production values come with DEBUG off) ---------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=not DEBUG, cast=bool)
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config("SECURE_PROXY_SSL_HEADER", default=False, cast=bool):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is probed over plain HTTP by load balancers.
# Prometheus scrapes each instance directly, usually over the internal network.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]

# --- Operations: CORS ------------------------------------------------------------------
# Browser frontends on other origins. Only these origins (exact, e.g.
# https://shop.example.com) and regexes may call the API from a page; none by default.
CORS_ALLOWED_ORIGINS = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
CORS_ALLOWED_ORIGIN_REGEXES = config("CORS_ALLOWED_ORIGIN_REGEXES", default="", cast=Csv())
# Cookies are not needed (the API takes bearer tokens): off unless a frontend needs them.
CORS_ALLOW_CREDENTIALS = config("CORS_ALLOW_CREDENTIALS", default=False, cast=bool)
CORS_PREFLIGHT_MAX_AGE = config("CORS_PREFLIGHT_MAX_AGE", default=86400, cast=int)
# The API and its schema; not the admin, /health/ or /metrics.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "x-cart-token",
    "x-request-id",
    "x-requested-with",
)
# What a page may read from an answer beyond the CORS-safelisted headers.
CORS_EXPOSE_HEADERS = (
    "X-Cart-Token",
    "Retry-After",
    "X-Request-ID",
    "ETag",
    "Content-Disposition",
)

# --- Operations: logs -------------------------------------------------------------------
LOG_LEVEL = config("LOG_LEVEL", default="INFO")
# text: human-readable lines; json: one JSON object a line, for a log pipeline.
LOG_FORMAT = config("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logs.RequestIdFilter"},
        "no_response_summaries": {"()": "core.logs.DropResponseSummaries"},
    },
    "formatters": {
        "text": {"()": "core.logs.TextFormatter"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every record twice.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # The access log ("access") has one line per request; keep only tracebacks here.
        "django.request": {"filters": ["no_response_summaries"]},
        # runserver's own access lines, replaced by ours.
        "django.server": {"handlers": [], "propagate": False},
        # One line per failed login is the access log's job; axes keeps its warnings.
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Operations: metrics ----------------------------------------------------------------
# /metrics answers `Authorization: Bearer <METRICS_TOKEN>` and callers in
# METRICS_ALLOWED_IPS (addresses or networks, by REMOTE_ADDR); nobody else.
METRICS_TOKEN = config("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = config("METRICS_ALLOWED_IPS", default="", cast=Csv())
try:
    [ipaddress.ip_network(entry, strict=False) for entry in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from None
PROMETHEUS_LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, float("inf"),
)  # fmt: skip
# The dashboard's API response-time KPI: per-minute latency histograms per route group.
API_RESPONSE_TIMES = config("API_RESPONSE_TIMES", default=True, cast=bool)
# Days of those histograms kept (`manage.py purge_response_times`, daily from beat).
RESPONSE_TIME_RETENTION_DAYS = config("RESPONSE_TIME_RETENTION_DAYS", default=90, cast=int)

# --- Operations: error tracking ---------------------------------------------------------
# Set SENTRY_DSN to report errors to Sentry (or a compatible tracker); unset, nothing is
# loaded or sent.
SENTRY_DSN = config("SENTRY_DSN", default="")
sentry_init(
    dsn=SENTRY_DSN,
    environment=config("SENTRY_ENVIRONMENT", default="production" if not DEBUG else "local"),
    release=config("SENTRY_RELEASE", default="") or None,
    traces_sample_rate=config("SENTRY_TRACES_SAMPLE_RATE", default=0.0, cast=float),
)
