"""Django settings for 归途 Guitu, read from the environment (see docs/deployment.md).

SQLite is the embedded default so a checkout just runs; PostgreSQL is selected with DATABASE_URL.
"""

import datetime
from pathlib import Path

import dj_database_url

from guitu.env import env_bool, env_int, env_list, env_str
from guitu.keys import local_dev_keys, validate_fernet_key, validate_hash_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GUITU_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Production is the default. Demo mode (GUITU_DEMO=1, set by `make demo`) only adds the demo data,
# the demo banner, random keys kept on this machine and the demo accounts' exemption from the second factor.
GUITU_DEMO = env_bool("GUITU_DEMO", False)
DEBUG = env_bool("GUITU_DEBUG", False)
ALLOWED_HOSTS = env_list("GUITU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("GUITU_CSRF_TRUSTED_ORIGINS", [])

# Keys (guitu/keys.py): the session secret, a Fernet key encrypting ID-card numbers and an HMAC key for their
# searchable hash. Production takes them from the environment; demo mode and the test settings
# (GUITU_DEV_KEYS=1) use random keys generated once in var/dev-keys.json. None is ever derived from a string
# in the repository. A malformed key stops here; a missing one stops the web server, migrate and the worker
# (core/keycheck.py), so that makemigrations and collectstatic still run on a build machine without keys.
_local_keys = local_dev_keys(VAR_DIR / "dev-keys.json") if GUITU_DEMO or env_bool("GUITU_DEV_KEYS", False) else {}
SECRET_KEY = env_str("GUITU_SECRET_KEY", _local_keys.get("GUITU_SECRET_KEY", ""))
GUITU_ID_ENCRYPTION_KEY = env_str("GUITU_ID_ENCRYPTION_KEY", _local_keys.get("GUITU_ID_ENCRYPTION_KEY", ""))
GUITU_ID_HASH_KEY = env_str("GUITU_ID_HASH_KEY", _local_keys.get("GUITU_ID_HASH_KEY", ""))
GUITU_MISSING_KEYS = [name for name, value in (("GUITU_SECRET_KEY", SECRET_KEY),
                                                ("GUITU_ID_ENCRYPTION_KEY", GUITU_ID_ENCRYPTION_KEY),
                                                ("GUITU_ID_HASH_KEY", GUITU_ID_HASH_KEY)) if not value]
if GUITU_ID_ENCRYPTION_KEY:
    validate_fernet_key(GUITU_ID_ENCRYPTION_KEY)
if GUITU_ID_HASH_KEY:
    validate_hash_key(GUITU_ID_HASH_KEY)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",  # serves Swagger UI for /api/docs from its bundled static files, never a CDN
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "people",
    "intake",
    "stay",
    "leaving",
    "incidents",
    "staff",
    "tracing",
    "announcements",
    "matching",
    "aftercare",
    "outreach",
    "network",
    "deadlines",
    "oversight",
    "settlement",
    "outsidecare",
    "regional",
    "campaign",
    "figures",
    "dailycare",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.AuditContextMiddleware",
    "core.sessionpolicy.SessionPolicyMiddleware",
    # After the session and audit middleware, so that it turns a locked-out login into the lockout page (core/login_throttle.py).
    "axes.middleware.AxesMiddleware",
    # After everything that reads the session or the user: only the view's reads may go to a replica.
    "core.dbrouting.ReportingReadsMiddleware",
]

ROOT_URLCONF = "guitu.urls"
WSGI_APPLICATION = "guitu.wsgi.application"

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
                "core.context_processors.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database: DATABASE_URL selects PostgreSQL (postgres://user@host:5432/name); empty → SQLite file.
_db_url = env_str("DATABASE_URL", "")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=env_int("GUITU_DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL; leave it empty for SQLite")
    DATABASES["default"]["TEST"] = {"NAME": env_str("GUITU_TEST_DB_NAME", "test_guitu")}
    # JIT compilation off for the application's connections (issue 9): the province benchmark saw PostgreSQL
    # spend 14.6 s compiling a 13.6 s deadline query and 1.7 s of a 2.8 s dashboard query; short OLTP queries
    # never repay it. GUITU_PG_JIT=1 leaves the server's setting alone (e.g. behind a pooler that refuses
    # startup options).
    # Prepared statements for the audit-log reads of a person's page (core.prepared): planned once per connection,
    # generically. No other statement of the project is prepared (client-side binding), so the plan-cache mode
    # reaches only those. GUITU_PG_PREPARED=0 behind a pooler that does not keep sessions (PgBouncer in
    # transaction mode).
    GUITU_PG_PREPARED = env_bool("GUITU_PG_PREPARED", True)
    startup = [] if env_bool("GUITU_PG_JIT", False) else ["-c jit=off"]
    if GUITU_PG_PREPARED:
        startup.append("-c plan_cache_mode=force_generic_plan")
    if startup:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(startup)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("GUITU_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Many users on one file: wait for locks instead of failing, take write locks up front.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# Reporting off the primary (issue 9, core/dbrouting.py): with GUITU_REPLICA_DATABASE_URL (a PostgreSQL streaming
# replica of the primary), statistics pages, the campaign table and Excel exports read from it; every write, the
# audit chain and the sessions stay on the primary. Empty → everything on the primary.
_replica_url = env_str("GUITU_REPLICA_DATABASE_URL", "")
GUITU_REPORTING_DATABASE = None
if _replica_url:
    from django.core.exceptions import ImproperlyConfigured

    if not _db_url:
        raise ImproperlyConfigured("GUITU_REPLICA_DATABASE_URL needs DATABASE_URL: a replica of PostgreSQL, not of SQLite")
    DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=env_int("GUITU_DB_CONN_MAX_AGE", 60))
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("GUITU_REPLICA_DATABASE_URL must point to PostgreSQL")
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Tests of a deployment with a replica read the primary's test database through it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    GUITU_REPORTING_DATABASE = "replica"
DATABASE_ROUTERS = ["core.dbrouting.ReportingRouter"]
#: GET requests under these paths are reporting reads (and every ``?format=xlsx`` export).
GUITU_REPORTING_PATHS = ("/figures/", "/campaign/", "/api/v1/figures/", "/api/v1/campaign/")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Password policy (core/passwords.py, docs/security.md): length, three kinds of character, not common, not like
# the username, not one of the last five; expiry and the change at first login are enforced per request.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("GUITU_PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "core.passwords.ComplexityValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "full_name", "email", "phone")}},
    {"NAME": "core.passwords.PasswordHistoryValidator", "OPTIONS": {"count": env_int("GUITU_PASSWORD_HISTORY", 5)}},
]
GUITU_PASSWORD_MAX_AGE_DAYS = env_int("GUITU_PASSWORD_MAX_AGE_DAYS", 90)

# Login: django-axes locks an account after 5 failures for 15 minutes and an address after 30 failures
# (core/login_throttle.py); both are audited. The client address comes from core.clientip (trusted proxies only).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("GUITU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("GUITU_LOGIN_LOCK_MINUTES", 15))
GUITU_LOGIN_IP_FAILURE_LIMIT = env_int("GUITU_LOGIN_IP_FAILURE_LIMIT", 30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_HANDLER = "core.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "core.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Addresses are limited by LoginThrottleHandler with their own, higher limit (a station's staff share one).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Second factor (core/twofactor.py): TOTP with recovery codes, mandatory for administrators, ID-reveal roles and
# civil-affairs users; GUITU_OTP_FOR_ALL=1 extends it to every staff account.
GUITU_OTP_ENFORCED = env_bool("GUITU_OTP_ENFORCED", True)
GUITU_OTP_FOR_ALL = env_bool("GUITU_OTP_FOR_ALL", False)
OTP_TOTP_ISSUER = env_str("GUITU_OTP_ISSUER", "归途")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# ISO input formats so HTML date / datetime-local inputs keep their prefilled values (guitu/formats).
FORMAT_MODULE_PATH = ["guitu.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Private files encrypted at rest, decrypted only by the scoped views that serve them (core/filecrypt.py).
    "default": {"BACKEND": "core.filecrypt.EncryptedFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Photos and scans of vulnerable people: never under STATIC/public URLs, only served by scoped views.
MEDIA_ROOT = Path(env_str("GUITU_MEDIA_ROOT", str(VAR_DIR / "private")))
MEDIA_URL = "/media-not-served/"
# Fernet key of backup archives (manage.py backup); empty → the first files key.
GUITU_BACKUP_KEY = env_str("GUITU_BACKUP_KEY", "")
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Fernet key(s) for private files at rest, comma-separated (first encrypts): from GUITU_FILES_KEY or a file
# named by GUITU_FILES_KEY_FILE (mode 0600, outside the media directory); never in the database, never derived
# from another key. Production must set it (a missing key stops startup, core/keycheck.py; docs/deployment.md).
_files_key_file = env_str("GUITU_FILES_KEY_FILE", "")
GUITU_FILES_KEY = (
    Path(_files_key_file).read_text().strip() if _files_key_file
    else env_str("GUITU_FILES_KEY", _local_keys.get("GUITU_FILES_KEY", ""))
)
if not GUITU_FILES_KEY:
    GUITU_MISSING_KEYS.append("GUITU_FILES_KEY")
for _files_key in GUITU_FILES_KEY.split(","):
    if _files_key.strip():
        validate_fernet_key(_files_key.strip(), "GUITU_FILES_KEY")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
GUITU_MAX_PHOTO_BYTES = env_int("GUITU_MAX_PHOTO_BYTES", 8 * 1024 * 1024)
# The one image intake (core/images.py): refuse more pixels than this before decoding; re-encode to this side.
GUITU_MAX_IMAGE_PIXELS = env_int("GUITU_MAX_IMAGE_PIXELS", 50_000_000)
GUITU_IMAGE_MAX_SIDE = env_int("GUITU_IMAGE_MAX_SIDE", 3000)
# PDFs are rendered by a separate worker process (core/printing.py) that is killed past this time
# limit (issue 8 hole 7), restarted after this many documents, and capped at this much memory.
GUITU_PDF_TIMEOUT_SECONDS = env_int("GUITU_PDF_TIMEOUT_SECONDS", 20)
GUITU_PDF_WORKER_MAX_JOBS = env_int("GUITU_PDF_WORKER_MAX_JOBS", 200)
GUITU_PDF_MEMORY_MB = env_int("GUITU_PDF_MEMORY_MB", 2048)
# Cross-station duplicate query (people.selectors.likely_same_person, issue 8 hole 2): per user.
# Public clue form (announcements, issue 8 hole 12): attempts per hour, refused ones included.
GUITU_CLUE_LIMIT_PER_IP_PER_HOUR = env_int("GUITU_CLUE_LIMIT_PER_IP_PER_HOUR", 30)
GUITU_CLUE_LIMIT_PER_PHONE_PER_HOUR = env_int("GUITU_CLUE_LIMIT_PER_PHONE_PER_HOUR", 5)
GUITU_LIKELY_SAME_PER_MINUTE = env_int("GUITU_LIKELY_SAME_PER_MINUTE", 30)
GUITU_LIKELY_SAME_PER_DAY = env_int("GUITU_LIKELY_SAME_PER_DAY", 500)

SESSION_COOKIE_HTTPONLY = True
# Idle timeout (core/sessionpolicy.py) and an absolute limit on a session's life.
GUITU_IDLE_TIMEOUT_MINUTES = env_int("GUITU_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = env_int("GUITU_SESSION_AGE", 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Transport and headers (docs/security.md). GUITU_HTTPS=1 (the production default) marks cookies Secure and sends
# HSTS; a demo on http://127.0.0.1 runs without. GUITU_BEHIND_PROXY trusts the proxy's X-Forwarded-Proto.
GUITU_HTTPS = env_bool("GUITU_HTTPS", not GUITU_DEMO)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = GUITU_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("GUITU_BEHIND_PROXY", False) else None
# How many proxies of our own stand in front of the application (nginx = 1). X-Forwarded-For is believed
# only that far (core/clientip.py); 0 = use the socket address. Default: 1 behind a proxy, else 0.
GUITU_TRUSTED_PROXIES = env_int("GUITU_TRUSTED_PROXIES", 1 if env_bool("GUITU_BEHIND_PROXY", False) else 0)
if GUITU_TRUSTED_PROXIES < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("GUITU_TRUSTED_PROXIES must be 0 or more")
SECURE_HSTS_SECONDS = env_int("GUITU_HSTS_SECONDS", 365 * 24 * 3600) if GUITU_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GUITU_HSTS_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("GUITU_SSL_REDIRECT", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
# Content-Security-Policy (django-csp): scripts only from our own static files (static/js/guitu.js replaces
# every inline handler; an inline script would need {{ request.csp_nonce }}). Inline style attributes stay
# allowed: they cannot run code. No CDN anywhere: /api/docs serves Swagger UI from django-ninja's static files.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# Task queue: huey on SQLite by default, Redis in production (REDIS_URL).
_redis_url = env_str("REDIS_URL", "")
if _redis_url:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "guitu", "url": _redis_url, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guitu",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("GUITU_HUEY_IMMEDIATE", False),
    }

# Local rules that vary by city (rules.md: "Items marked (local) vary by province: make them settings").
# The address the public reaches the family-search board at (posters' QR codes), e.g. https://xunqin.example.gov.cn
GUITU_PUBLIC_BASE_URL = env_str("GUITU_PUBLIC_BASE_URL", "")

GUITU_RULES = {
    "T3_ANNOUNCE_HOURS": env_int("GUITU_T3_ANNOUNCE_HOURS", 24),
    "N5_MAX_STAY_DAYS": env_int("GUITU_N5_MAX_STAY_DAYS", 10),
    "T10_REPORT_GRACE_DAYS": env_int("GUITU_T10_REPORT_GRACE_DAYS", 10),
    "N6_RECORDING_RETENTION_DAYS": env_int("GUITU_N6_RECORDING_RETENTION_DAYS", 92),
    "N8_CASH_CAP_YUAN": env_int("GUITU_N8_CASH_CAP_YUAN", 20),
    "N9_MIN_AGE_TO_LEAVE_ALONE": env_int("GUITU_N9_MIN_AGE", 16),
    "I6_REQUESTS": env_int("GUITU_I6_REQUESTS", 3),
    "I6_WINDOW_DAYS": env_int("GUITU_I6_WINDOW_DAYS", 183),
    "O3_HAZARD_DAYS": env_int("GUITU_O3_HAZARD_DAYS", 15),
}

# Audit log (docs/audit.md): HMAC key of the tamper-evident chain — kept outside the database and apart from
# GUITU_SECRET_KEY (rotating one never touches the other); production must set it. Retention ≥ 6 months.
GUITU_AUDIT_KEY = env_str("GUITU_AUDIT_KEY", _local_keys.get("GUITU_AUDIT_KEY", ""))
if not GUITU_AUDIT_KEY:
    GUITU_MISSING_KEYS.append("GUITU_AUDIT_KEY")
elif len(GUITU_AUDIT_KEY) < 32:
    validate_hash_key(GUITU_AUDIT_KEY, "GUITU_AUDIT_KEY")
GUITU_AUDIT_RETENTION_DAYS = env_int("GUITU_AUDIT_RETENTION_DAYS", 183)
# The retention purge exports the rows it removes here first (gzip'd JSON lines that verify with the audit key);
# back this directory up with the database. On PostgreSQL the audit table is partitioned by month and the task
# queue creates the partitions this many months ahead (core/auditpartitions.py).
GUITU_AUDIT_ARCHIVE_DIR = Path(env_str("GUITU_AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")))
GUITU_AUDIT_MONTHS_AHEAD = env_int("GUITU_AUDIT_MONTHS_AHEAD", 3)
if GUITU_AUDIT_RETENTION_DAYS < 183:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("GUITU_AUDIT_RETENTION_DAYS must be at least 183 (six months, 等保 2.0)")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GUITU_LOG_LEVEL", "WARNING")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)

# Oversight (issue 10): local thresholds of rules O1, O2, O6 and X1 (defaults from the seeds; stricter cities
# change them through the environment).
GUITU_RULES.update({
    "O1_MAIN_PERIOD": env_str("GUITU_O1_MAIN_PERIOD", "half_year"),
    "O1_DEPUTY_PERIOD": env_str("GUITU_O1_DEPUTY_PERIOD", "quarter"),
    "O1_SECTION_PERIOD": env_str("GUITU_O1_SECTION_PERIOD", "month"),
    "O2_ANSWER_DAYS": env_int("GUITU_O2_ANSWER_DAYS", 15),
    # rule O5: the day of each year (MM-DD) by which a station submits its self-assessment.
    "O5_SELF_DUE": env_str("GUITU_O5_SELF_DUE", "10-31"),
    "O6_TRAINING_PERIOD": env_str("GUITU_O6_TRAINING_PERIOD", "month"),
    "O6_PASS_MARK": env_int("GUITU_O6_PASS_MARK", 60),
    "X1_FIRST_REPORT_HOURS": env_int("GUITU_X1_FIRST_REPORT_HOURS", 1),
    "X1_WRITTEN_REPORT_HOURS": env_int("GUITU_X1_WRITTEN_REPORT_HOURS", 24),
})

# Settlement (issue 11, rules S1, S4): months unidentified before settlement is applied for, and the days each
# later step of the case is given (settlement/deadlines.py).
GUITU_RULES.update({
    "S1_MONTHS": env_int("GUITU_S1_MONTHS", 3),
    "S1_PLAN_DAYS": env_int("GUITU_S1_PLAN_DAYS", 30),
    "S1_APPROVAL_DAYS": env_int("GUITU_S1_APPROVAL_DAYS", 60),
    "S1_PLACEMENT_DAYS": env_int("GUITU_S1_PLACEMENT_DAYS", 30),
    "S4_CANCEL_DAYS": env_int("GUITU_S4_CANCEL_DAYS", 30),
})
# Regional centres (rule R2): the hours a centre has to accept or decline an escalation.
GUITU_RULES["R2_ESCALATION_ANSWER_HOURS"] = env_int("GUITU_R2_ESCALATION_ANSWER_HOURS", 48)
# Statistics (issue 13, rule O4): days after a quarter's end by which a station submits its quarterly statistics
# to its department, and by which a department submits its consolidated report upward.
GUITU_RULES.update({
    "O4_STATION_REPORT_DAYS": env_int("GUITU_O4_STATION_REPORT_DAYS", 10),
    "O4_DEPARTMENT_REPORT_DAYS": env_int("GUITU_O4_DEPARTMENT_REPORT_DAYS", 20),
})
# Daily care and special groups (issue 11): local thresholds of rules C2, I8/N10 and N11.
GUITU_RULES.update({
    # rule C2: hours a meal's sample is kept (留样) before it may be disposed of, and the hours by which the
    # disposal is due (the kept period plus a day to do it).
    "C2_SAMPLE_KEEP_HOURS": env_int("GUITU_C2_SAMPLE_KEEP_HOURS", 48),
    "C2_SAMPLE_DISPOSE_HOURS": env_int("GUITU_C2_SAMPLE_DISPOSE_HOURS", 72),
    # rules I8/N10: a minor's plan (一人一策) within so many days of admission, reviewed every so many days.
    "I8_PLAN_DAYS": env_int("GUITU_I8_PLAN_DAYS", 3),
    "I8_REVIEW_DAYS": env_int("GUITU_I8_REVIEW_DAYS", 7),
    # rule N11: the station reports the violence it learns of within so many hours of taking the victim in.
    "N11_REPORT_HOURS": env_int("GUITU_N11_REPORT_HOURS", 24),
})
