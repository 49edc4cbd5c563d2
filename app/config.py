"""Settings from SEDDEL_* environment variables, read in one place."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_DATA_DIR = Path(".data")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'seddel.sqlite3'}"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"
# Municipalities' data-processing terms and Datatilsynet's guidance keep logs of the use of
# personal data for at least six months: the access log's retention may not be set lower.
ACCESS_LOG_MIN_RETENTION_MONTHS = 6


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


def _secret(name: str) -> str | None:
    """A credential from the environment: the value itself, or the file NAME_FILE names."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    return os.environ.get(name) or None


def push_platforms_configured(settings: Settings) -> list[str]:
    """The push platforms whose credentials are all there."""
    platforms = []
    if settings.apns_key and settings.apns_key_id and settings.apns_team_id and settings.apns_topic:
        platforms.append("ios")
    if settings.fcm_credentials:
        platforms.append("android")
    if settings.webpush_vapid_private_key:
        platforms.append("web")
    return platforms


def _str(name: str, default: str | None = None) -> str | None:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw


def _networks(name: str) -> tuple[str, ...]:
    """A comma-separated list of addresses and CIDR networks, each checked now: a typo must
    not silently trust nobody (or everybody)."""
    items = tuple(item.strip() for item in (os.environ.get(name) or "").split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise RuntimeError(f"{name}: {item!r} is no address or network") from error
    return items


@dataclass(frozen=True)
class Settings:
    # The application's connection: a role that owns no table (RLS applies to it).
    database_url: str = DEFAULT_DATABASE_URL
    # The owner's connection, for migrations; defaults to database_url.
    migration_database_url: str | None = None
    # The role the application connects as on PostgreSQL; migrations grant it table access.
    database_app_role: str = "seddel_app"
    database_pool_size: int = 10
    production: bool = False
    secret_key: str = DEV_SECRET_KEY
    public_url: str = "http://127.0.0.1:8000"

    storage_backend: str = "local"  # local | s3
    media_root: Path = Path("media")
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-north-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    signed_url_ttl_seconds: int = 300

    broker_backend: str = "memory"  # memory | postgres

    session_idle_timeout_seconds: int = 14 * 24 * 3600
    session_lifetime_seconds: int = 90 * 24 * 3600
    device_session_idle_timeout_seconds: int = 60 * 24 * 3600
    device_session_lifetime_seconds: int = 365 * 24 * 3600
    # A staff member switched in on a shared tablet with their PIN: short-lived.
    tablet_session_idle_timeout_seconds: int = 30 * 60
    tablet_session_lifetime_seconds: int = 12 * 3600

    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    # The lock doubles each time it is earned again, up to this.
    login_lockout_max_seconds: int = 60 * 60
    # Failures decay: the limits count the failures of about this window (a sliding window).
    login_failure_window_seconds: int = 15 * 60
    # Institutions share one address behind NAT (every tablet), so the per-address bar is higher.
    login_max_failures_per_address: int = 50
    # How long an invitation's link works (SEDDEL_INVITATION_LIFETIME); a resend starts anew.
    invitation_lifetime_seconds: int = 14 * 24 * 3600

    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 64 * 1024
    argon2_parallelism: int = 4

    # About the number of fields a response may hold: lists multiply (app/api/cost.py). The
    # apps' documents at their largest page (100) stay under it (tests/api/test_cost.py).
    max_query_cost: int = 10_000
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_page_size: int = 100
    # Hot trusted documents answered by one SQL statement building their JSON on PostgreSQL
    # (app/api/compiled.py); off: every document runs through the resolvers.
    compiled_documents: bool = True

    # The access log of children's personal data (app/privacy/accesslog): every read by
    # someone other than the child's guardians. Off only to measure its cost (make bench).
    access_log: bool = True
    # How long the access log is kept; never below ACCESS_LOG_MIN_RETENTION_MONTHS.
    access_log_retention_months: int = 6
    # An account left without any link (a guardian whose children have all gone) is told by
    # e-mail, then erased this many days later unless a link comes back.
    account_erasure_grace_days: int = 30

    log_json: bool = True
    # Load balancers and reverse proxies whose X-Forwarded-For names the client (addresses or
    # CIDR networks). From anyone else the socket's address is the client's.
    trusted_proxies: tuple[str, ...] = ()

    # Notifications: e-mail through SMTP when a host is set (a logging sender otherwise).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"  # none | starttls | tls
    smtp_from: str = "Seddel <no-reply@seddel.invalid>"
    smtp_timeout_seconds: int = 30
    email_digest_minutes: int = 15
    notify_max_attempts: int = 8
    notify_backoff_seconds: int = 30  # doubles with every failed attempt
    notify_lease_seconds: int = 300  # a claimed row is retried after this if no one marks it
    worker_poll_seconds: int = 5
    email_enabled: bool = True
    # Push (issue 14). A platform whose credentials are missing has no sender (said at start,
    # listed by /health/ready). Base URLs are settings so tests point them at 127.0.0.1.
    push_enabled: bool = True
    push_timeout_seconds: float = 10.0
    apns_url: str = "https://api.push.apple.com"
    apns_key: str | None = None  # the .p8 key's PEM text (SEDDEL_APNS_KEY or _KEY_FILE)
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_topic: str | None = None  # the app's bundle id
    fcm_url: str = "https://fcm.googleapis.com"
    fcm_credentials: str | None = None  # the service account's JSON (or _FILE)
    webpush_vapid_private_key: str | None = None  # PEM or base64url raw P-256 key (or _FILE)
    webpush_vapid_subject: str = "mailto:drift@seddel.invalid"
    # Tests only: Web Push endpoints on http://127.0.0.1 (the test receiver). Never in production.
    push_allow_private_endpoints: bool = False
    # Urgent SMS (issue 14) through a generic HTTP gateway: JSON POST to the URL, with a bearer
    # token when one is set, else basic auth (username, password). No URL: SMS is off.
    sms_gateway_url: str | None = None
    sms_username: str | None = None
    sms_password: str | None = None
    sms_token: str | None = None
    sms_sender_name: str = "Seddel"  # what the phone shows as the sender (max 11 characters)

    # Password reset (issue 13): how long a mailed link works, and how many requests one
    # address and one client may make in a login failure window (the login throttle's rules).
    password_reset_ttl_seconds: int = 3600
    password_reset_max_per_address: int = 3
    password_reset_max_per_client: int = 20
    # How long the link confirming a new e-mail address works.
    email_change_ttl_seconds: int = 24 * 3600
    # Federated login (OpenID Connect): where the start route may send the app back to (exact
    # URIs: the app's own scheme, the web app's page), how long a flow and a handed-over login
    # code live, and how long an identity provider's discovery document and keys are cached.
    oidc_return_uris: tuple[str, ...] = ("seddel://login",)
    oidc_flow_lifetime_seconds: int = 10 * 60
    login_code_lifetime_seconds: int = 60
    oidc_metadata_cache_seconds: int = 60 * 60
    oidc_http_timeout_seconds: int = 10

    @property
    def owner_database_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def load_settings() -> Settings:
    """Read every SEDDEL_* variable; production refuses the development secret."""
    defaults = Settings()
    settings = Settings(
        database_url=_str("SEDDEL_DATABASE_URL", defaults.database_url) or defaults.database_url,
        migration_database_url=_str("SEDDEL_MIGRATION_DATABASE_URL"),
        database_app_role=_str("SEDDEL_DATABASE_APP_ROLE", defaults.database_app_role)
        or defaults.database_app_role,
        database_pool_size=_int("SEDDEL_DATABASE_POOL_SIZE", defaults.database_pool_size),
        production=_bool("SEDDEL_PRODUCTION", False),
        secret_key=_str("SEDDEL_SECRET_KEY", DEV_SECRET_KEY) or DEV_SECRET_KEY,
        public_url=_str("SEDDEL_PUBLIC_URL", defaults.public_url) or defaults.public_url,
        storage_backend=_str("SEDDEL_STORAGE", defaults.storage_backend) or "local",
        media_root=Path(_str("SEDDEL_MEDIA_ROOT", "media") or "media"),
        s3_bucket=_str("SEDDEL_S3_BUCKET"),
        s3_endpoint_url=_str("SEDDEL_S3_ENDPOINT_URL"),
        s3_region=_str("SEDDEL_S3_REGION", defaults.s3_region) or defaults.s3_region,
        s3_access_key_id=_str("SEDDEL_S3_ACCESS_KEY_ID"),
        s3_secret_access_key=_str("SEDDEL_S3_SECRET_ACCESS_KEY"),
        signed_url_ttl_seconds=_int("SEDDEL_SIGNED_URL_TTL", defaults.signed_url_ttl_seconds),
        broker_backend=_str("SEDDEL_BROKER", defaults.broker_backend) or "memory",
        session_idle_timeout_seconds=_int(
            "SEDDEL_SESSION_IDLE_TIMEOUT", defaults.session_idle_timeout_seconds
        ),
        session_lifetime_seconds=_int("SEDDEL_SESSION_LIFETIME", defaults.session_lifetime_seconds),
        device_session_idle_timeout_seconds=_int(
            "SEDDEL_DEVICE_SESSION_IDLE_TIMEOUT", defaults.device_session_idle_timeout_seconds
        ),
        device_session_lifetime_seconds=_int(
            "SEDDEL_DEVICE_SESSION_LIFETIME", defaults.device_session_lifetime_seconds
        ),
        login_max_failures=_int("SEDDEL_LOGIN_MAX_FAILURES", defaults.login_max_failures),
        login_lockout_seconds=_int("SEDDEL_LOGIN_LOCKOUT", defaults.login_lockout_seconds),
        login_lockout_max_seconds=_int(
            "SEDDEL_LOGIN_LOCKOUT_MAX", defaults.login_lockout_max_seconds
        ),
        login_failure_window_seconds=_int(
            "SEDDEL_LOGIN_FAILURE_WINDOW", defaults.login_failure_window_seconds
        ),
        login_max_failures_per_address=_int(
            "SEDDEL_LOGIN_MAX_FAILURES_PER_ADDRESS", defaults.login_max_failures_per_address
        ),
        invitation_lifetime_seconds=_int(
            "SEDDEL_INVITATION_LIFETIME", defaults.invitation_lifetime_seconds
        ),
        max_query_cost=_int("SEDDEL_MAX_QUERY_COST", defaults.max_query_cost),
        compiled_documents=_bool("SEDDEL_COMPILED_DOCUMENTS", defaults.compiled_documents),
        access_log=_bool("SEDDEL_ACCESS_LOG", defaults.access_log),
        access_log_retention_months=_int(
            "SEDDEL_ACCESS_LOG_RETENTION_MONTHS", defaults.access_log_retention_months
        ),
        account_erasure_grace_days=_int(
            "SEDDEL_ACCOUNT_ERASURE_GRACE_DAYS", defaults.account_erasure_grace_days
        ),
        argon2_time_cost=_int("SEDDEL_ARGON2_TIME_COST", defaults.argon2_time_cost),
        argon2_memory_cost_kib=_int("SEDDEL_ARGON2_MEMORY_KIB", defaults.argon2_memory_cost_kib),
        argon2_parallelism=_int("SEDDEL_ARGON2_PARALLELISM", defaults.argon2_parallelism),
        log_json=_bool("SEDDEL_LOG_JSON", True),
        trusted_proxies=_networks("SEDDEL_TRUSTED_PROXIES"),
        smtp_host=_str("SEDDEL_SMTP_HOST"),
        smtp_port=_int("SEDDEL_SMTP_PORT", defaults.smtp_port),
        smtp_username=_str("SEDDEL_SMTP_USERNAME"),
        smtp_password=_str("SEDDEL_SMTP_PASSWORD"),
        smtp_security=_str("SEDDEL_SMTP_SECURITY", defaults.smtp_security) or "none",
        smtp_from=_str("SEDDEL_SMTP_FROM", defaults.smtp_from) or defaults.smtp_from,
        smtp_timeout_seconds=_int("SEDDEL_SMTP_TIMEOUT", defaults.smtp_timeout_seconds),
        email_digest_minutes=_int("SEDDEL_EMAIL_DIGEST_MINUTES", defaults.email_digest_minutes),
        notify_max_attempts=_int("SEDDEL_NOTIFY_MAX_ATTEMPTS", defaults.notify_max_attempts),
        notify_backoff_seconds=_int(
            "SEDDEL_NOTIFY_BACKOFF_SECONDS", defaults.notify_backoff_seconds
        ),
        notify_lease_seconds=_int("SEDDEL_NOTIFY_LEASE_SECONDS", defaults.notify_lease_seconds),
        worker_poll_seconds=_int("SEDDEL_WORKER_POLL_SECONDS", defaults.worker_poll_seconds),
        password_reset_ttl_seconds=_int(
            "SEDDEL_PASSWORD_RESET_TTL", defaults.password_reset_ttl_seconds
        ),
        password_reset_max_per_address=_int(
            "SEDDEL_PASSWORD_RESET_MAX_PER_ADDRESS", defaults.password_reset_max_per_address
        ),
        password_reset_max_per_client=_int(
            "SEDDEL_PASSWORD_RESET_MAX_PER_CLIENT", defaults.password_reset_max_per_client
        ),
        email_change_ttl_seconds=_int("SEDDEL_EMAIL_CHANGE_TTL", defaults.email_change_ttl_seconds),
        oidc_return_uris=tuple(
            uri.strip()
            for uri in (os.environ.get("SEDDEL_OIDC_RETURN_URIS") or "seddel://login").split(",")
            if uri.strip()
        ),
        oidc_flow_lifetime_seconds=_int(
            "SEDDEL_OIDC_FLOW_LIFETIME", defaults.oidc_flow_lifetime_seconds
        ),
        login_code_lifetime_seconds=_int(
            "SEDDEL_LOGIN_CODE_LIFETIME", defaults.login_code_lifetime_seconds
        ),
        oidc_metadata_cache_seconds=_int(
            "SEDDEL_OIDC_METADATA_CACHE", defaults.oidc_metadata_cache_seconds
        ),
        oidc_http_timeout_seconds=_int(
            "SEDDEL_OIDC_HTTP_TIMEOUT", defaults.oidc_http_timeout_seconds
        ),
        email_enabled=_bool("SEDDEL_EMAIL_ENABLED", True),
        push_enabled=_bool("SEDDEL_PUSH_ENABLED", True),
        apns_url=_str("SEDDEL_APNS_URL", defaults.apns_url) or defaults.apns_url,
        apns_key=_secret("SEDDEL_APNS_KEY"),
        apns_key_id=_str("SEDDEL_APNS_KEY_ID"),
        apns_team_id=_str("SEDDEL_APNS_TEAM_ID"),
        apns_topic=_str("SEDDEL_APNS_TOPIC"),
        fcm_url=_str("SEDDEL_FCM_URL", defaults.fcm_url) or defaults.fcm_url,
        fcm_credentials=_secret("SEDDEL_FCM_CREDENTIALS"),
        webpush_vapid_private_key=_secret("SEDDEL_WEBPUSH_VAPID_KEY"),
        webpush_vapid_subject=_str("SEDDEL_WEBPUSH_VAPID_SUBJECT", defaults.webpush_vapid_subject)
        or defaults.webpush_vapid_subject,
        push_allow_private_endpoints=_bool("SEDDEL_PUSH_ALLOW_PRIVATE_ENDPOINTS", False),
        sms_gateway_url=_str("SEDDEL_SMS_GATEWAY_URL"),
        sms_username=_str("SEDDEL_SMS_USERNAME"),
        sms_password=_secret("SEDDEL_SMS_PASSWORD"),
        sms_token=_secret("SEDDEL_SMS_TOKEN"),
        sms_sender_name=_str("SEDDEL_SMS_SENDER_NAME", defaults.sms_sender_name)
        or defaults.sms_sender_name,
    )
    if settings.smtp_security not in ("none", "starttls", "tls"):
        raise RuntimeError("SEDDEL_SMTP_SECURITY must be none, starttls or tls")
    if settings.production and settings.email_enabled and not settings.smtp_host:
        raise RuntimeError("SEDDEL_SMTP_HOST must be set in production (or SEDDEL_EMAIL_ENABLED=0)")
    if settings.production and settings.push_allow_private_endpoints:
        raise RuntimeError("SEDDEL_PUSH_ALLOW_PRIVATE_ENDPOINTS is for tests, never production")
    if settings.production and settings.push_enabled and not push_platforms_configured(settings):
        raise RuntimeError(
            "push is on but no sender is configured (APNs, FCM or Web Push credentials),"
            " or set SEDDEL_PUSH_ENABLED=0"
        )
    if settings.access_log_retention_months < ACCESS_LOG_MIN_RETENTION_MONTHS:
        raise RuntimeError(
            "SEDDEL_ACCESS_LOG_RETENTION_MONTHS may not be below"
            f" {ACCESS_LOG_MIN_RETENTION_MONTHS} (the law's minimum for logs of personal data)"
        )
    if settings.production and settings.secret_key == DEV_SECRET_KEY:
        raise RuntimeError("SEDDEL_SECRET_KEY must be set in production mode")
    if settings.storage_backend == "s3" and not settings.s3_bucket:
        raise RuntimeError("SEDDEL_S3_BUCKET must be set when SEDDEL_STORAGE=s3")
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
