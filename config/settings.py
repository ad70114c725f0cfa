"""Settings for every environment, read from the process environment (and `.env`).

With no environment at all the project runs locally on SQLite with DEBUG on. Every
variable is documented in `.env.example`.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from decouple import Csv, config
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = config("DEBUG", default=True, cast=bool)

_LOCAL_SECRET = "django-insecure-local-only-do-not-use-in-production"
SECRET_KEY = config("SECRET_KEY", default=_LOCAL_SECRET)
if not DEBUG and SECRET_KEY == _LOCAL_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1],testserver", cast=Csv())
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "stores",
    "accounts",
    "catalog",
    "cart",
    "orders",
    "payments",
    "reviews",
    "wishlist",
    "coupons",
    "dashboard",
    "recommendations",
    # Demo data, on top: it uses the other apps and no app uses it.
    "demo",
]

MIDDLEWARE = [
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
]

ROOT_URLCONF = "config.urls"
# An API client that drops the trailing slash gets a clear 404, not a redirect that turns
# its POST into a GET (or, with DEBUG on, a RuntimeError).
APPEND_SLASH = False
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        config("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=config("DB_CONN_MAX_AGE", default=60, cast=int),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also the throttle store) --------------------------------------------------
REDIS_URL = config("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": config("CACHE_KEY_PREFIX", default="marketplace"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
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
MAX_IMAGE_UPLOAD_BYTES = config("MAX_IMAGE_UPLOAD_BYTES", default=5 * 1024 * 1024, cast=int)
# Django refuses bodies larger than this before any view runs; leave room for multipart.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_IMAGE_UPLOAD_BYTES + 1024 * 1024

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

# --- Payments -------------------------------------------------------------------------
# Providers a client may choose in `POST payments/`; the first is the default.
PAYMENT_PROVIDERS = config("PAYMENT_PROVIDERS", default="fake,stripe", cast=Csv())
STRIPE_SECRET_KEY = config("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = config("STRIPE_WEBHOOK_SECRET", default="")
# Seconds a signed webhook stays acceptable; older signatures are refused as replays.
STRIPE_WEBHOOK_TOLERANCE = config("STRIPE_WEBHOOK_TOLERANCE", default=300, cast=int)

# --- Celery ---------------------------------------------------------------------------
# With no broker, tasks run eagerly in-process; set a broker to use a real worker.
CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = config("CELERY_TASK_DEFAULT_QUEUE", default="marketplace")
CELERY_TIMEZONE = "UTC"
# For `celery -A config beat`; the same jobs exist as management commands for cron.
CELERY_BEAT_SCHEDULE = {
    "expire-unpaid-orders": {"task": "orders.tasks.expire_unpaid_orders", "schedule": 300.0},
    "purge-idempotency-keys": {"task": "core.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "purge-guest-carts": {"task": "cart.tasks.purge_guest_carts", "schedule": 86400.0},
    "compute-recommendations": {
        "task": "recommendations.tasks.compute_recommendations",
        "schedule": 86400.0,
    },
    "refresh-product-prices": {"task": "catalog.tasks.refresh_product_prices", "schedule": 60.0},
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
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": config("API_PAGE_SIZE", default=20, cast=int),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": config("THROTTLE_ANON", default="300/min"),
        "user": config("THROTTLE_USER", default="1200/min"),
        "login": config("THROTTLE_LOGIN", default="10/min"),
        "register": config("THROTTLE_REGISTER", default="5/min"),
        "password_reset": config("THROTTLE_PASSWORD_RESET", default="5/hour"),
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
        "REST API of the marketplace: accounts, catalog, cart, orders, payments, reviews, "
        "wishlists, coupons, metrics and recommendations. "
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Bearer <access>`. "
        "Every error has the shape `{code, detail, errors?}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HealthStateEnum": ["ok", "unavailable"],
        "StoreKindEnum": "stores.models.StoreKind",
        "StoreStatusEnum": "stores.models.StoreStatus",
        "CouponKindEnum": "coupons.models.CouponKind",
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
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
