"""Configuration, read once from the environment or `.env`."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.environment import SettingsRefused, env_file_names, unknown_names, value_problems

ENV_FILE = ".env"
EMBEDDED_DATABASE_URL = "sqlite+aiosqlite:///./workcloud.db"
EMBEDDED_BROADCAST_URL = "memory://"
# Any of these set turns tracing on (workcloud/tracing.py), as WORKCLOUD_OTEL=true does.
OTEL_TRIGGERS = (
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)
# "pgbouncer": the database URL names a pooler in transaction mode.
DatabasePooler = Literal["none", "pgbouncer"]
# The database URL schemes taken, each with the driver it stands for: the async drivers
# the app runs on, as SQLAlchemy names them, and the plain forms hosts hand out.
DATABASE_DRIVERS = {
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
}

# An origin: scheme, host (a name, or an IPv6 address in brackets) and port.
WEB_ORIGIN = re.compile(r"(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def with_database_driver(url: str) -> str:
    """The URL with its scheme naming the driver the app uses (`postgres://…` becomes
    `postgresql+asyncpg://…`, `sqlite:///…` `sqlite+aiosqlite:///…`), the rest as it was."""
    scheme, separator, rest = url.partition("://")
    driver = DATABASE_DRIVERS.get(scheme.lower()) if separator else None
    if driver is None:
        raise ValueError(
            "expected postgresql://user@host:port/database (or postgres://) "
            "or sqlite:///path/to/file.db"
        )
    return f"{driver}://{rest}"


def web_origin(origin: str) -> str:
    """The origin as browsers send it in `Origin` (lower case, no default port), or `*`."""
    if origin == "*":
        return origin
    match = WEB_ORIGIN.fullmatch(origin.lower())
    if match is None:
        raise ValueError(f"expected scheme://host[:port] without a path, got {origin!r}")
    scheme, host, port = match.groups()
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


class Settings(BaseSettings):
    # A refused value is not echoed: some settings are secrets (the id key, SMTP passwords).
    model_config = SettingsConfigDict(
        env_prefix="WORKCLOUD_", env_file=ENV_FILE, extra="ignore", hide_input_in_errors=True
    )

    database_url: str = EMBEDDED_DATABASE_URL
    broadcast_url: str = EMBEDDED_BROADCAST_URL
    # Prefix of every channel name, so deployments (or test runs) can share one Redis.
    broadcast_channel_prefix: str = "workcloud."
    # Messages a socket (and events a channel) may have waiting before it is dropped as too slow.
    subscription_queue_size: int = 256
    # How often this instance looks for deadlines to remind about, in seconds (0: never).
    deadline_reminder_interval: float = 30.0
    # How often this instance looks for SLA warnings and breaches to send, in seconds (0: never).
    sla_check_interval: float = 30.0
    # The share of an SLA target's business time after which its warning is sent.
    sla_warning_share: float = Field(default=0.8, gt=0, le=1)
    # Seconds between keep-alive pings on an idle WebSocket (0: none).
    ws_ping_interval: float = 15.0
    # Seconds between the heartbeats that tell other instances who is on a case here; an
    # instance not heard from for three of its heartbeats is taken for dead.
    presence_heartbeat_seconds: float = Field(default=5.0, gt=0)
    # Seconds a new WebSocket may take to send `connection_init` before it is closed (4408).
    ws_init_timeout_seconds: float = 10.0
    # Outgoing mail: smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (TLS).
    smtp_url: str | None = None
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "cases@workcloud.invalid"
    # Replies to conversation mail go to reply+<token>@<inbound_domain> (default: mail_from's).
    inbound_domain: str | None = None
    # Shared secret that POST /inbound/email requires in the X-Inbound-Secret header.
    inbound_secret: str | None = None
    # A reply is posted whole, attachments and all.
    inbound_max_bytes: int = 25_000_000
    # The SMS provider's send endpoint, credentials as userinfo: https://user:pass@host/path.
    sms_url: str | None = None
    sms_sender: str = "WorkCloud"

    # Where attachments are kept: file:///dir (a file each) or s3://bucket?endpoint=...&region=...
    # (credentials as userinfo, else the usual AWS environment).
    storage_url: str = "file://./attachments"
    # Per file, files per request, and the whole multipart request that carries them.
    max_attachment_bytes: int = 25_000_000
    max_files: int = 10
    max_upload_request_bytes: int = 100_000_000
    # How long a signed download link works.
    attachment_url_ttl_seconds: int = 900

    # The outbox sender: how often it looks for due mail/SMS, how long a claim lasts,
    # and how retries back off (base * 2^(attempt-1), capped) before giving up.
    outbox_poll_seconds: float = 5.0
    outbox_lease_seconds: float = 300.0
    outbox_retry_base_seconds: float = 30.0
    outbox_retry_max_seconds: float = 3600.0
    outbox_max_attempts: int = 8
    # Outgoing webhooks: how long one delivery attempt may take (DNS, connect, answer), and
    # whether they may go to private, loopback or link-local addresses (never in production:
    # a webhook URL is chosen by a tenant's admin, and would reach the servers' own network).
    webhook_timeout_seconds: float = 10.0
    webhook_allow_private_networks: bool = False

    # The key global ids are enciphered with; unset, the database's own (made at migration).
    # Set it on every instance or none: ids made under one key name nothing under another.
    id_key: SecretStr | None = Field(default=None, min_length=32)

    token_lifetime_days: int = 30
    # Where people open the web app; password-reset mail links to <public_url>/reset-password.
    public_url: str = "http://127.0.0.1:8000"
    # The origins (scheme://host[:port]) whose pages may call the API from a browser, over
    # HTTP (CORS) and WebSocket; `*` for any. Empty: only pages the API serves itself.
    # Comma-separated or a JSON list in the environment.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # How long a password-reset link works.
    password_reset_minutes: int = 60
    # Argon2id cost of new password hashes (the library's defaults: RFC 9106 low-memory).
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    # GraphiQL and introspection: on by default only in the embedded default.
    graphiql: bool | None = None
    introspection: bool | None = None

    # PostgreSQL connections kept open per instance (20 more are opened under bursts).
    database_pool_size: int = 20
    # "pgbouncer": the database URL names a pooler in transaction mode (PgBouncer, or any
    # that may hand each transaction to another server connection). Statements are then
    # prepared unnamed, in the transaction that runs them, and every read is a transaction.
    database_pooler: DatabasePooler = "none"
    # Answer queries from read plans (graph/reads/) where every selected field has one;
    # off: every query by graphql-core's per-field execution (the reference the plans match).
    planned_reads: bool = True

    # Abuse limits.
    max_query_depth: int = 12
    max_query_tokens: int = 4000
    max_aliases: int = 30
    # Fields, inline fragments and spreads in a document once every spread is expanded
    # (counted, never expanded).
    max_query_selections: int = 1000
    max_subscriptions_per_connection: int = 50
    max_request_bytes: int = 1_000_000
    max_websocket_message_bytes: int = 1_000_000
    max_connections_per_viewer: int = 20
    # Failed sign-ins within the window, counted per e-mail and per client address.
    sign_in_failures_per_email: int = 5
    sign_in_failures_per_address: int = 50
    sign_in_window_seconds: int = 900
    # Answers that an e-mail address is already in use (it may be another tenant's), within
    # the window, per tenant and per viewer: past these, createUser and enablePortalAccess
    # are refused, so they cannot be used to find out which addresses exist elsewhere.
    taken_email_answers_per_tenant: int = 20
    taken_email_answers_per_viewer: int = 10
    taken_email_window_seconds: int = 3600
    # A JSON manifest {"<sha256 of the document>": "<document>"}: only these documents run.
    trusted_documents: Path | None = None
    # Without trusted documents: characters of documents kept for Apollo's automatic
    # persisted queries (sent once with their hash, then by hash alone), in each process.
    persisted_queries_cache_chars: int = Field(default=5_000_000, ge=0)
    # How long /health and a new database connection may take before they count as down.
    database_timeout_seconds: float = 5.0
    # SIGTERM: in-flight requests get this long to finish before connections are dropped.
    shutdown_grace_seconds: float = 30.0

    # Logs (`workcloud serve`): the level of the app's and uvicorn's loggers, and "text" or
    # "json" (one object a line).
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    log_format: Literal["text", "json"] = "text"
    # Prometheus metrics at /metrics, only for `Authorization: Bearer <metrics_token>`;
    # unset, /metrics answers 404.
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # OpenTelemetry traces (`pip install '.[otel]'`), configured by the standard OTEL_*
    # variables: on when this is true or OTEL_SERVICE_NAME/OTEL_EXPORTER_OTLP_ENDPOINT is set.
    otel: bool = False

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        return with_database_driver(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_listed(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("expected a JSON list of origins, or origins and commas") from None
        return [origin.strip() for origin in value.split(",") if origin.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _web_origins(cls, origins: list[str]) -> list[str]:
        return [web_origin(origin) for origin in origins]

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def tracing_enabled(self) -> bool:
        return self.otel or any(os.environ.get(name) for name in OTEL_TRIGGERS)

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite") and self.broadcast_url == "memory://"

    @property
    def reply_domain(self) -> str:
        return self.inbound_domain or self.mail_from.rpartition("@")[2]

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_embedded if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.is_embedded if self.introspection is None else self.introspection


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, or SettingsRefused with a line for each WORKCLOUD_* variable (in the
    environment or `.env`) that is no setting and each value a setting does not take."""
    problems = unknown_names([*os.environ, *env_file_names(Path(ENV_FILE))], Settings.model_fields)
    try:
        settings = Settings()
    except ValidationError as error:
        raise SettingsRefused(problems + value_problems(error)) from None
    if problems:
        raise SettingsRefused(problems)
    return settings
