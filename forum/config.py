"""Settings: one class of defaults, every value overridable by an environment variable."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("COCREATE_INSTANCE_DIR", ROOT / "instance"))

log = logging.getLogger(__name__)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _optional_bool(name: str) -> bool | None:
    """True/False from the environment, None when unset (the code picks a default)."""
    return _bool(name, False) if os.environ.get(name, "").strip() else None


def _secret_key() -> str:
    """SECRET_KEY from the environment, else the key `make run` wrote, else a throwaway one."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    log.warning("SECRET_KEY is not set: sessions will not survive a restart")
    return secrets.token_urlsafe(32)


def database_url() -> str:
    """DATABASE_URL, with postgres:// spelled for psycopg 3; SQLite under instance/ by default."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'cocreate.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class Config:
    """Defaults for development; production overrides through the environment."""

    def __init__(self, secret_key: str | None = None) -> None:
        self.SECRET_KEY = secret_key or _secret_key()
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search"))
        # The development indexer thread: on, off, or (unset) on under `flask run` only.
        self.SEARCH_INDEXER_THREAD = _optional_bool("SEARCH_INDEXER_THREAD")
        # The notifier: a thread on, off, or (unset) on under `flask run` only.
        self.NOTIFIER_THREAD = _optional_bool("NOTIFIER_THREAD")
        self.NOTIFIER_POLL_INTERVAL = float(os.environ.get("NOTIFIER_POLL_INTERVAL", "1"))
        self.NOTIFIER_BATCH_SIZE = int(os.environ.get("NOTIFIER_BATCH_SIZE", "200"))
        # Mail (forum/mail/): SMTP at MAIL_URL, or .eml files in MAIL_DIRECTORY without it.
        # Links in mail are built on BASE_URL, never on a request's Host header.
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
        self.MAIL_URL = os.environ.get("MAIL_URL", "")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Cocreate <notifications@cocreate.invalid>")
        self.MAIL_DIRECTORY = os.environ.get("MAIL_DIRECTORY", str(INSTANCE_DIR / "mail"))
        self.MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE", "")  # to trust a private CA
        self.MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
        self.MAIL_THREAD = _optional_bool("MAIL_THREAD")  # like NOTIFIER_THREAD
        self.MAIL_POLL_INTERVAL = float(os.environ.get("MAIL_POLL_INTERVAL", "2"))
        self.MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "50"))
        # A failed send waits 1, 2, 4 ... minutes (six hours at most) and is tried this
        # many times, about a day in all, before `flask mail status` lists it as failed.
        self.MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS", "60"))
        self.MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "12"))
        # A mail claimed by a sender that died is sent by another after this long.
        self.MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "600"))
        # Webhooks (forum/webhooks/): a thread like NOTIFIER_THREAD, its pool of senders,
        # their timeouts, the retry schedule (seconds after each failure) and the lease
        # a sender holds a delivery for. Private and loopback addresses are refused in
        # production (no server-side request forgery); development may allow them.
        self.WEBHOOK_THREAD = _optional_bool("WEBHOOK_THREAD")
        self.WEBHOOK_POLL_INTERVAL = float(os.environ.get("WEBHOOK_POLL_INTERVAL", "1"))
        self.WEBHOOK_WORKERS = int(os.environ.get("WEBHOOK_WORKERS", "4"))
        self.WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("WEBHOOK_CONNECT_TIMEOUT", "3"))
        self.WEBHOOK_READ_TIMEOUT = float(os.environ.get("WEBHOOK_READ_TIMEOUT", "10"))
        self.WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))
        self.WEBHOOK_RETRY_SCHEDULE = [float(seconds) for seconds in os.environ.get(
            "WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000").split(",")]
        self.WEBHOOK_DISABLE_AFTER_HOURS = float(
            os.environ.get("WEBHOOK_DISABLE_AFTER_HOURS", "120"))
        self.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = _bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
        self.CONFIRM_EMAIL_HOURS = float(os.environ.get("CONFIRM_EMAIL_HOURS", "72"))
        self.RESET_PASSWORD_HOURS = float(os.environ.get("RESET_PASSWORD_HOURS", "1"))
        # An invitation waits for someone who may not read it at once (30 days).
        self.CLAIM_ACCOUNT_HOURS = float(os.environ.get("CLAIM_ACCOUNT_HOURS", "720"))
        self.SEARCH_POLL_INTERVAL = float(os.environ.get("SEARCH_POLL_INTERVAL", "0.5"))
        self.SEARCH_BATCH_SIZE = int(os.environ.get("SEARCH_BATCH_SIZE", "500"))
        self.SEARCH_WRITER_TIMEOUT = float(os.environ.get("SEARCH_WRITER_TIMEOUT", "30"))
        # The caps on a query's work (forum/search/bounded.py); 0 turns one off.
        self.SEARCH_SCAN_CAP = int(os.environ.get("SEARCH_SCAN_CAP", "20000"))
        self.SEARCH_PREFIX_TERMS = int(os.environ.get("SEARCH_PREFIX_TERMS", "256"))
        self.SEARCH_CACHE_SIZE = int(os.environ.get("SEARCH_CACHE_SIZE", "512"))
        # Read each new segment's lengths, columns and tiers when the index is opened
        # (forum/search/warm.py), not in the first searches that need them.
        self.SEARCH_WARM = _bool("SEARCH_WARM", True)
        # How long each process keeps a company's 90-day responsiveness figures.
        self.RESPONSIVENESS_CACHE_SECONDS = float(
            os.environ.get("RESPONSIVENESS_CACHE_SECONDS", "300"))
        # Pages signed-out visitors see are kept per process until the next write, and
        # at most this long (they say "5 minutes ago"); 0 turns the cache off.
        self.PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", "60"))
        # Pages that span every company (the start page, cross-company lists, profiles) are
        # not told of each change at each company: they are kept this long at most.
        self.PLATFORM_PAGE_SECONDS = float(os.environ.get("PLATFORM_PAGE_SECONDS", "5"))
        # While the database is down, visitors get the pages kept before, up to this old
        # (they may miss what changed just before), rather than a 503.
        self.PAGE_CACHE_STALE_SECONDS = float(os.environ.get("PAGE_CACHE_STALE_SECONDS", "3600"))
        self.PAGE_CACHE_BYTES = int(os.environ.get("PAGE_CACHE_BYTES", str(32 * 2**20)))
        # Redis (redis://host:port/db) to keep those pages for every worker of every node
        # as well: each page is then rendered once, not once per worker. Empty: off.
        self.PAGE_CACHE_URL = os.environ.get("PAGE_CACHE_URL", "")
        # What every viewer sees of a post (author line, body) is kept per revision for
        # signed-in pages, up to this many characters per process; 0 turns it off.
        self.POST_FRAGMENT_CHARS = int(os.environ.get("POST_FRAGMENT_CHARS", str(8 * 2**20)))
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        # How many reverse proxies (nginx, a load balancer) stand in front of the app: the
        # client's address and scheme are then read from the X-Forwarded-For and
        # X-Forwarded-Proto headers they add, so that limits per address count clients,
        # not the proxy. 0 (the default): the app is reached directly; trust no header.
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
        self.RATELIMIT_HEADERS_ENABLED = True
        # Every /api/v1 route, per token (or person, or address), on top of the posting
        # limits the services apply to the API as to the browser.
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # Every sign-in is a row in user_sessions that signing out ends (see
        # forum/accounts/sessions.py): "keep me signed in" lasts REMEMBER_DAYS, any other
        # session SESSION_DAYS at most, and "last seen" is written at most every
        # SESSION_TOUCH_SECONDS.
        self.REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "365")))
        self.SESSION_DAYS = int(os.environ.get("SESSION_DAYS", "30"))
        self.SESSION_TOUCH_SECONDS = int(os.environ.get("SESSION_TOUCH_SECONDS", "300"))
        self.PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
        # A tab left open for hours must still be able to post: the token lives as
        # long as the session instead of expiring after an hour.
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_HEADERS = ["X-CSRFToken"]
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        # A company's import from a CSV or zip file (the plug-in's import page) may be
        # larger; its upload waits for the import under IMPORT_DIR (instance/imports).
        self.IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1000 * 1000)))
        self.IMPORT_DIR = os.environ.get("IMPORT_DIR", "")
        self.IMPORT_KEEP_HOURS = float(os.environ.get("IMPORT_KEEP_HOURS", "24"))
        self.SIGNIN_RATE_LIMIT = os.environ.get("SIGNIN_RATE_LIMIT", "10 per minute;50 per hour")
        self.SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "5 per minute;20 per hour")
        # Asking for mail (a password reset, a confirmation, a new address) per address.
        self.MAIL_REQUEST_RATE_LIMIT = os.environ.get("MAIL_REQUEST_RATE_LIMIT",
                                                      "3 per minute;10 per hour")
        # Sign in with an OpenID Connect provider (forum/accounts/oidc.py): off unless
        # OIDC_ISSUER and OIDC_CLIENT_ID are set. The provider is told the redirect URI
        # BASE_URL + "/signin/oidc/callback"; OIDC_NAME is what the button says.
        self.OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
        self.OIDC_NAME = os.environ.get("OIDC_NAME", "single sign-on")
        self.OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
        self.OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
        # Downloading one's data or a company's: each one reads everything, so few per hour.
        self.EXPORT_RATE_LIMIT = os.environ.get("EXPORT_RATE_LIMIT", "5 per hour")
        # Posting limits, as mature forums have them (see forum/threads/limits.py).
        self.POST_MIN_INTERVAL_SECONDS = int(os.environ.get("POST_MIN_INTERVAL_SECONDS", "10"))
        self.NEW_ACCOUNT_HOURS = int(os.environ.get("NEW_ACCOUNT_HOURS", "24"))
        self.NEW_ACCOUNT_POSTS_PER_DAY = int(os.environ.get("NEW_ACCOUNT_POSTS_PER_DAY", "20"))
        self.NEW_ACCOUNT_THREADS_PER_DAY = int(os.environ.get("NEW_ACCOUNT_THREADS_PER_DAY", "5"))
        self.POSTS_PER_DAY = int(os.environ.get("POSTS_PER_DAY", "300"))
        self.DUPLICATE_POST_MINUTES = int(os.environ.get("DUPLICATE_POST_MINUTES", "10"))
        # Flags: how many one account may make in an hour, and how old an account must be
        # before its flags count towards a company's automatic hide (see moderation).
        self.FLAGS_PER_HOUR = int(os.environ.get("FLAGS_PER_HOUR", "20"))
        self.FLAG_TRUSTED_ACCOUNT_DAYS = int(os.environ.get("FLAG_TRUSTED_ACCOUNT_DAYS", "7"))


class TestConfig(Config):
    """The suite's settings: a database chosen by the fixtures, CSRF on unless a test says."""

    def __init__(self, database_uri: str) -> None:
        super().__init__(secret_key="test-secret-key")  # noqa: S106 (tests only)
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_uri
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.PAGE_CACHE_URL = ""  # a test that shares pages names its Redis
        self.PREFERRED_URL_SCHEME = "http"
        self.SEARCH_INDEXER_THREAD = False  # tests run the indexer when they mean to
        self.NOTIFIER_THREAD = False  # and the notifier
        self.MAIL_THREAD = False  # and the mail sender
        self.WEBHOOK_THREAD = False  # and the webhook sender
        self.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # receivers listen on loopback
        self.WEBHOOK_READ_TIMEOUT = 2.0
        self.BASE_URL = "http://localhost"
        # scrypt took about half of the suite's time; tests check behaviour, not strength.
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105 (a method, not a secret)
