"""Settings for Yimen.

Defaults give the embedded mode: SQLite under var/, tasks on the database, notifications to the log.
Production differs only by environment variables (see docs/configuration.md).
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from yimen.common.env import env_bool, env_int, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("YIMEN_VAR_DIR", str(BASE_DIR / "var")))

# Demo mode: the fictional city, its published passwords and the SMS code shown on the page. `make run`
# switches it on and every page says so; a centre running in earnest leaves it off (the default).
YIMEN_DEMO = env_bool("YIMEN_DEMO", False)
# Off unless set on purpose: a debug page shows settings and whatever a request carried (a party's
# ID number). Nothing in the README sets it.
DEBUG = env_bool("YIMEN_DEBUG", False)
# The fixed default serves only the demo: outside demo mode the start-up check refuses it.
DEMO_SECRET_KEY = "embedded-mode-only-not-secret"
SECRET_KEY = env_secret("YIMEN_SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = [h for h in env_str("YIMEN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("YIMEN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "yimen.common",
    "yimen.regions",
    "yimen.accounts",
    "yimen.audit",  # the audit trail (安全审计): the block "Separation of duties" below
    "yimen.cases",
    "yimen.notifications",
    "yimen.residents",
    "yimen.triage",
    "yimen.api",
    "yimen.web",
    "yimen.demo",
    "yimen.ops",  # `yimen backup` / `yimen restore` (no models): docs/operations.md
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
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "yimen.urls"
WSGI_APPLICATION = "yimen.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides of other apps' templates (the admin's base_site: the demo banner).
        "DIRS": [BASE_DIR / "yimen" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yimen.web.nav.workbench",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("YIMEN_DATABASE_URL", f"sqlite:///{VAR_DIR / 'yimen.sqlite3'}"),
        conn_max_age=env_int("YIMEN_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes; IMMEDIATE makes a
    # writer take the lock at BEGIN so two writers queue instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# ---- A read replica (docs/operations.md, "More than one machine"): yimen/common/dbrouter.py
# Reads go there only inside replica_reads() (dashboards, the Excel ledger, the API's lists); every write,
# every other read and every migration go to the primary. After a write request the user reads the
# primary for YIMEN_REPLICA_STICKY_SECONDS (their own write); a replica more than
# YIMEN_REPLICA_MAX_LAG_SECONDS behind (checked every YIMEN_REPLICA_LAG_CHECK_SECONDS) is not used.
YIMEN_REPLICA_STICKY_SECONDS = env_int("YIMEN_REPLICA_STICKY_SECONDS", 15)
YIMEN_REPLICA_MAX_LAG_SECONDS = env_int("YIMEN_REPLICA_MAX_LAG_SECONDS", 5)
YIMEN_REPLICA_LAG_CHECK_SECONDS = env_int("YIMEN_REPLICA_LAG_CHECK_SECONDS", 2)
if env_str("YIMEN_REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("YIMEN_REPLICA_DATABASE_URL"), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        from yimen.common.env import ImproperEnvironment

        raise ImproperEnvironment("YIMEN_REPLICA_DATABASE_URL must be a PostgreSQL streaming replica (postgres://…)")
    # list_time_limit() bounds the primary's transaction; the replica's statements get the same bound
    # per session (its "statement timeout" error is answered the same way: "narrow your filters").
    _replica_timeout = env_int("YIMEN_REPLICA_STATEMENT_TIMEOUT_MS", env_int("YIMEN_LIST_TIMEOUT_MS", 3000))
    if _replica_timeout:
        DATABASES["replica"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={_replica_timeout}"
    # Tests without a second server read the same database through this alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["yimen.common.dbrouter.ReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                      "yimen.common.dbrouter.ReplicaPinningMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yimen" / "locale"]
TIME_ZONE = env_str("YIMEN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env_str("YIMEN_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Attachments on S3-compatible object storage (MinIO, Ceph RGW, a cloud's OSS/COS/S3) through
# django-storages, so every web node and worker sees the same files: YIMEN_STORAGE=s3 and YIMEN_S3_*.
# Files are private: links are signed and last YIMEN_S3_URL_SECONDS.
YIMEN_STORAGE = env_str("YIMEN_STORAGE", "local")
if YIMEN_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("YIMEN_S3_BUCKET"),
            "endpoint_url": env_str("YIMEN_S3_ENDPOINT_URL") or None,
            "region_name": env_str("YIMEN_S3_REGION") or None,
            "access_key": env_secret("YIMEN_S3_ACCESS_KEY"),
            "secret_key": env_secret("YIMEN_S3_SECRET_KEY"),
            "location": env_str("YIMEN_S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("YIMEN_S3_URL_SECONDS", 300),
            "file_overwrite": False,
            "addressing_style": env_str("YIMEN_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
        },
    }
    if not STORAGES["default"]["OPTIONS"]["bucket_name"]:
        from yimen.common.env import ImproperEnvironment

        raise ImproperEnvironment("YIMEN_STORAGE=s3 needs YIMEN_S3_BUCKET")
elif YIMEN_STORAGE != "local":
    from yimen.common.env import ImproperEnvironment

    raise ImproperEnvironment(f"YIMEN_STORAGE must be local or s3, not {YIMEN_STORAGE!r}")
WHITENOISE_USE_FINDERS = True
# Front-end packages installed by npm from package-lock.json (`make assets`), served as our own
# static files: centres run on intranets, so nothing is fetched from a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [("vendor/htmx", NODE_MODULES / "htmx.org" / "dist")]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

# Background work: Django's task API. The database backend needs no server; set
# YIMEN_TASK_BACKEND=rq (with YIMEN_REDIS_URL) to run on Redis workers at scale.
_TASK_BACKEND = env_str("YIMEN_TASK_BACKEND", "database")
YIMEN_REDIS_URL = env_str("YIMEN_REDIS_URL", "redis://127.0.0.1:6379/0")
if _TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif _TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": YIMEN_REDIS_URL, "DEFAULT_TIMEOUT": 600}}
elif _TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif _TASK_BACKEND == "dummy":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
else:
    from yimen.common.env import ImproperEnvironment

    raise ImproperEnvironment(
        f"YIMEN_TASK_BACKEND must be database, rq, immediate or dummy, not {_TASK_BACKEND!r}"
    )

# The cache (rate limits, reference data, replica pins, "once in the cluster" guards such as the hourly
# follow-up repair) and the sessions in Redis, shared by every web node and worker: on with the rq task
# backend, or YIMEN_REDIS_CACHE=true. Sessions are then cached_db: read from Redis, written through to
# the database, so a Redis restart signs nobody out.
if env_bool("YIMEN_REDIS_CACHE", _TASK_BACKEND == "rq"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": YIMEN_REDIS_URL,
                          "KEY_PREFIX": env_str("YIMEN_CACHE_PREFIX", "yimen")}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# ---- HTTPS, cookies, the Content-Security-Policy ----------------------------------------------
# YIMEN_HTTPS=true where the centre serves over TLS (its reverse proxy terminates it): cookies only over
# HTTPS, HSTS, and plain-HTTP requests redirected. The policy below holds in every mode: scripts and
# styles come only from Yimen's own static files (no inline script, no outside address).
YIMEN_HTTPS = env_bool("YIMEN_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = YIMEN_HTTPS
# Pages carry the CSRF token in the form (and htmx in hx-headers); no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if YIMEN_HTTPS:
    SECURE_HSTS_SECONDS = env_int("YIMEN_HSTS_SECONDS", 31536000)
    SECURE_SSL_REDIRECT = env_bool("YIMEN_SSL_REDIRECT", True)
    # The proxy's header saying the original request was HTTPS; set only when the proxy overwrites it.
    if env_str("YIMEN_PROXY_SSL_HEADER", ""):
        SECURE_PROXY_SSL_HEADER = (env_str("YIMEN_PROXY_SSL_HEADER"), "https")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The API's docs page and OpenAPI document need a signed-in user or a token unless this is true.
YIMEN_API_DOCS_PUBLIC = env_bool("YIMEN_API_DOCS_PUBLIC", False)

# ---- Sign-in security (身份鉴别, GB/T 22239-2019 level 3): yimen.accounts ----------------------
# Lockout (django-axes, database handler): N failures per account and, separately, per client address
# lock that account / address for M minutes. Tries made while locked do not extend the lock, so the
# unlock time the page shows holds. The address is read where the residents' rate limits read it.
YIMEN_LOCKOUT_FAILURES = env_int("YIMEN_LOCKOUT_FAILURES", 5)
YIMEN_LOCKOUT_MINUTES = env_int("YIMEN_LOCKOUT_MINUTES", 30)
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = "yimen.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "yimen.accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "yimen.accounts.lockout.client_ip"  # yimen.web.residents.client_address, checked
AXES_LOCKOUT_CALLABLE = "yimen.accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Passwords: Django's validators plus two of ours (accounts.passwords); checked wherever a password is set.
YIMEN_PASSWORD_MIN_LENGTH = env_int("YIMEN_PASSWORD_MIN_LENGTH", 10)
YIMEN_PASSWORD_HISTORY = env_int("YIMEN_PASSWORD_HISTORY", 5)
# Days a password lasts before its owner must change it; 0 = never. Skipped in demo mode.
YIMEN_PASSWORD_MAX_AGE_DAYS = env_int("YIMEN_PASSWORD_MAX_AGE_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "yimen.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "yimen.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ["username", "full_name", "phone", "email"]}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "yimen.accounts.passwords.PasswordHistoryValidator"},
]
# Sessions: signed out after this long without a request, and after this long in any case.
YIMEN_SESSION_IDLE_MINUTES = env_int("YIMEN_SESSION_IDLE_MINUTES", 30)
YIMEN_SESSION_MAX_HOURS = env_int("YIMEN_SESSION_MAX_HOURS", 12)
# A staff session's cookie lasts as long (accounts.sessions.session_start); residents' sessions, which
# carry an unfinished registration for days, keep Django's default age.
# TOTP second factor (django-otp): optional for everyone, required for these roles and superusers.
YIMEN_OTP_REQUIRED_ROLES = [
    r.strip() for r in env_str("YIMEN_OTP_REQUIRED_ROLES", "system_admin,security_admin,audit_admin").split(",") if r.strip()
]
OTP_TOTP_ISSUER = env_str("YIMEN_OTP_ISSUER", "一门")
# The admin may delete a lost phone's device (the owner enrols again) but never sees a key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# API bearer tokens expire after this many days unless issued with `yimen token create --days N`.
YIMEN_API_TOKEN_DAYS = env_int("YIMEN_API_TOKEN_DAYS", 90)
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
                  "yimen.accounts.middleware.AccountRequirementsMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
                  "yimen.accounts.middleware.SessionLimitsMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as axes' documentation asks

# Yimen's own settings, read at call time through django.conf.settings.
YIMEN_NOTIFICATION_SENDERS = [
    s for s in env_str("YIMEN_NOTIFICATION_SENDERS", "yimen.notifications.senders.LogSender").split(",") if s
]
YIMEN_OUTBOX_MAX_ATTEMPTS = env_int("YIMEN_OUTBOX_MAX_ATTEMPTS", 8)
YIMEN_SWEEP_INTERVAL_SECONDS = env_int("YIMEN_SWEEP_INTERVAL_SECONDS", 60)
YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS = env_int("YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS", 5)
YIMEN_OUTBOX_BACKOFF_SECONDS = env_int("YIMEN_OUTBOX_BACKOFF_SECONDS", 30)
YIMEN_OUTBOX_BACKOFF_MAX_SECONDS = env_int("YIMEN_OUTBOX_BACKOFF_MAX_SECONDS", 3600)
YIMEN_OUTBOX_LEASE_SECONDS = env_int("YIMEN_OUTBOX_LEASE_SECONDS", 300)
YIMEN_WEBHOOK_URL = env_str("YIMEN_WEBHOOK_URL", "")
YIMEN_WEBHOOK_SECRET = env_secret("YIMEN_WEBHOOK_SECRET", "")
YIMEN_WEBHOOK_TIMEOUT_SECONDS = env_int("YIMEN_WEBHOOK_TIMEOUT_SECONDS", 10)
# A resident who answers 不满意 at follow-up reopens the matter (policy; set false to only record it).
YIMEN_REOPEN_ON_UNSATISFIED = env_bool("YIMEN_REOPEN_ON_UNSATISFIED", True)
# A list query on PostgreSQL that runs longer than this answers 400 "narrow the filters".
YIMEN_LIST_TIMEOUT_MS = env_int("YIMEN_LIST_TIMEOUT_MS", 3000)
# The workbench list counts its matters only up to a cap, within this time (else "50 件以上").
YIMEN_LIST_COUNT_TIMEOUT_MS = env_int("YIMEN_LIST_COUNT_TIMEOUT_MS", 30)
# Text search asks its index for candidates within this time; past it the word is taken as common and
# the list is walked newest first instead (cases/search.py). Rare words answer in < 1 ms.
YIMEN_SEARCH_PROBE_TIMEOUT_MS = env_int("YIMEN_SEARCH_PROBE_TIMEOUT_MS", 1000)
# One Excel ledger export holds at most this many rows (the file says so when it is cut).
YIMEN_EXPORT_MAX_ROWS = env_int("YIMEN_EXPORT_MAX_ROWS", 50000)
YIMEN_MAX_ATTACHMENT_BYTES = env_int("YIMEN_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
# Run the triage engine (without legal retrieval) on every registration: suggestions and repeat links.
YIMEN_TRIAGE_ON_INTAKE = env_bool("YIMEN_TRIAGE_ON_INTAKE", True)
# …in the registration's request (false), or in `yimen worker` seconds after the commit (true): each
# registration then costs about a third less CPU (docs/performance.md, "Registration nearer its floor"),
# and the matter shows 研判中 until the worker has made its proposal (it looks every few seconds).
YIMEN_TRIAGE_IN_WORKER = env_bool("YIMEN_TRIAGE_IN_WORKER", False)
YIMEN_TRIAGE_WORKER_INTERVAL_SECONDS = env_int("YIMEN_TRIAGE_WORKER_INTERVAL_SECONDS", 2)
# Empty: links (the receipt's QR code) use the address the request came in on.
YIMEN_PUBLIC_BASE_URL = env_str("YIMEN_PUBLIC_BASE_URL", "")
# ---- Residents' door (解纷码): yimen.residents and the /r/ pages ---------------------------------
# Where one-time SMS codes go: a dotted path to a yimen.residents.sms.SmsSender. The default writes
# the code to the log (embedded mode); a real gateway is an adapter class named here.
YIMEN_SMS_SENDER = env_str("YIMEN_SMS_SENDER", "yimen.residents.sms.LogSmsSender")
YIMEN_SMS_CODE_TTL_SECONDS = env_int("YIMEN_SMS_CODE_TTL_SECONDS", 600)
YIMEN_SMS_CODE_MAX_ATTEMPTS = env_int("YIMEN_SMS_CODE_MAX_ATTEMPTS", 5)
# Demo mode only (refused at start-up otherwise): also show the code on the page, since no phone receives it.
YIMEN_SMS_ECHO_CODE = env_bool("YIMEN_SMS_ECHO_CODE", YIMEN_DEMO)
# Rate limits, "<count>/<s|m|h|d>", per phone number and per client address.
YIMEN_RATE_SMS_PER_PHONE = env_str("YIMEN_RATE_SMS_PER_PHONE", "5/h")
YIMEN_RATE_SMS_PER_ADDRESS = env_str("YIMEN_RATE_SMS_PER_ADDRESS", "20/h")
YIMEN_RATE_LOOKUP_PER_ADDRESS = env_str("YIMEN_RATE_LOOKUP_PER_ADDRESS", "30/h")
YIMEN_RATE_LOOKUP_PER_NUMBER = env_str("YIMEN_RATE_LOOKUP_PER_NUMBER", "10/h")
YIMEN_RATE_REGISTER_PER_PHONE = env_str("YIMEN_RATE_REGISTER_PER_PHONE", "5/d")
YIMEN_RATE_REGISTER_PER_ADDRESS = env_str("YIMEN_RATE_REGISTER_PER_ADDRESS", "30/d")
# Behind a reverse proxy, the request header that carries the client's address (e.g. HTTP_X_REAL_IP);
# empty: REMOTE_ADDR. Only set it when the proxy overwrites the header.
YIMEN_CLIENT_ADDRESS_HEADER = env_str("YIMEN_CLIENT_ADDRESS_HEADER", "")
YIMEN_RESIDENT_MAX_UPLOAD_BYTES = env_int("YIMEN_RESIDENT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
YIMEN_RESIDENT_MAX_FILES = env_int("YIMEN_RESIDENT_MAX_FILES", 6)
# A verified phone opens "my matters" for this long; unfinished registrations are kept this many days.
YIMEN_RESIDENT_SESSION_MINUTES = env_int("YIMEN_RESIDENT_SESSION_MINUTES", 120)
YIMEN_RESIDENT_DRAFT_DAYS = env_int("YIMEN_RESIDENT_DRAFT_DAYS", 7)
YIMEN_SITE_NAME = _("一门 · 综治中心矛盾纠纷多元化解平台")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("YIMEN_LOG_LEVEL", "INFO")},
    # axes logs every successful sign-in at INFO; its lockouts are WARNING (the audit trail has both).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# The covering KPI index uses INCLUDE, which PostgreSQL honours and SQLite ignores (a plain index there).
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# ---- Errors reveal nothing; the residents' door (issue 11, items 2 and 5: helper C) -------------
# Backstops: a NUL character that reached the database is a 400; every 429 carries Retry-After.
MIDDLEWARE += ["yimen.web.middleware.ErrorBackstopMiddleware"]
# Residents' photos: refused from their header, before decoding, above this many pixels or above
# this much memory decoded (width × height × bytes per pixel). Far below Pillow's bomb limits (89/179 MP).
YIMEN_RESIDENT_MAX_IMAGE_PIXELS = env_int("YIMEN_RESIDENT_MAX_IMAGE_PIXELS", 40_000_000)
YIMEN_RESIDENT_IMAGE_MEMORY_BYTES = env_int("YIMEN_RESIDENT_IMAGE_MEMORY_BYTES", 200 * 1024 * 1024)
# Bytes a resident may upload (drafts and supplements), "<size>/<s|m|h|d>" with size in KB, MB or GB;
# "off" for no budget. Per client address and per session.
YIMEN_RATE_UPLOAD_BYTES_PER_ADDRESS = env_str("YIMEN_RATE_UPLOAD_BYTES_PER_ADDRESS", "100MB/h")
YIMEN_RATE_UPLOAD_BYTES_PER_SESSION = env_str("YIMEN_RATE_UPLOAD_BYTES_PER_SESSION", "50MB/h")

# ---- Separation of duties and the audit trail (issue 11, item 4): yimen.audit -------------------
# The admin's site records every add/change/delete in the audit trail (yimen.audit.admin_site).
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "yimen.audit.admin_apps.AuditedAdminConfig"
# The three administrators' admin permissions come from their roles (accounts.scopes.ADMIN_POWERS).
AUTHENTICATION_BACKENDS += ["yimen.accounts.scopes.AdministratorRolesBackend"]
# Only for Django's "a password was set" hook (audit record 修改密码); it refuses nothing.
AUTH_PASSWORD_VALIDATORS += [{"NAME": "yimen.audit.receivers.PasswordChangeRecorder"}]
# Lets records written from hooks (a password set) name the signed-in actor and the client address.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "yimen.audit.context.AuditContextMiddleware")
# Days the audit trail is kept; below 180 (网络安全法 第二十一条: six months) the start is refused.
YIMEN_AUDIT_RETENTION_DAYS = env_int("YIMEN_AUDIT_RETENTION_DAYS", 180)
