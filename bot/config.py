"""Settings from the environment. This module is the only reader of `os.environ`.

Everything else is handed a `Settings` (or the single value it needs), so tests and the
demo build their own with `Settings.from_env({...})` and never touch the process
environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_PORT = 3000
DEFAULT_DATABASE_FILE = "oncall.db"
DEFAULT_SCHEDULES = "schedules"
# The example team: the demo's, and the format to copy. `serve` never imports it.
EXAMPLE_SCHEDULES = Path(DEFAULT_SCHEDULES) / "example"

# The Slack app manifest operators create the app from (named in credential errors).
MANIFEST = "manifest.yml"

# ONCALL_HEARTBEAT_URL is a secret too: whoever holds a monitor's ping URL can fake the
# bot's heartbeat.
_SECRET_FIELDS = ("slack_bot_token", "slack_signing_secret", "slack_app_token",
                  "metrics_token", "heartbeat_url", "twilio_auth_token", "smtp_url")


class ConfigError(ValueError):
    """A variable is present but unusable; the message names the variable."""


def normalize_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` (as hosting platforms hand them out) become
    `postgresql+psycopg://`, the driver we ship; anything else is returned unchanged."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url(cwd: Path | None = None) -> str:
    """A SQLite file `oncall.db` in the working folder, as an absolute path."""
    path = (cwd or Path.cwd()).resolve() / DEFAULT_DATABASE_FILE
    return f"sqlite:///{path}"


def _is_http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _redact_url(url: str) -> str:
    # scheme://user:password@host -> scheme://user:***@host
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None  # SLACK_BOT_TOKEN
    slack_signing_secret: str | None = None  # SLACK_SIGNING_SECRET
    slack_app_token: str | None = None  # SLACK_APP_TOKEN: set means Socket Mode
    slack_api_url: str | None = None  # SLACK_API_URL: Web API base (GovSlack, a stand-in)
    database_url: str = field(default_factory=default_database_url)  # DATABASE_URL
    # ONCALL_SCHEDULES; None when unset: `serve` and `worker` then import nothing, so a
    # first deploy never pages the example team. The command line's schedule commands
    # fall back to ./schedules (`command_schedules`).
    schedules_path: Path | None = None
    public_url: str | None = None  # ONCALL_PUBLIC_URL: base URL for calendar feed links
    port: int = DEFAULT_PORT  # PORT
    # ONCALL_HEARTBEAT_URL: GET once a minute while the reconciler runs (a dead-man
    # monitor such as Healthchecks.io); None: no heartbeat.
    heartbeat_url: str | None = None
    # ONCALL_METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>`.
    metrics_token: str | None = None
    # SMS and voice through Twilio (all three set: on; else steps' sms and voice are
    # skipped with a warning); TWILIO_API_URL points the package at a stand-in.
    twilio_account_sid: str | None = None  # TWILIO_ACCOUNT_SID
    twilio_auth_token: str | None = None  # TWILIO_AUTH_TOKEN (also verifies webhooks)
    twilio_from: str | None = None  # TWILIO_FROM: the E.164 number texts come from
    twilio_api_url: str | None = None  # TWILIO_API_URL
    # Email through SMTP: SMTP_URL smtp://user:pass@host:587 (STARTTLS when offered),
    # smtps://... for TLS from the start; ONCALL_EMAIL_FROM the From address.
    smtp_url: str | None = None
    email_from: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        port_text = get("PORT")
        if port_text is None:
            port = DEFAULT_PORT
        else:
            try:
                port = int(port_text)
            except ValueError:
                raise ConfigError(f"PORT must be a whole number, got {port_text!r}") from None
            if not 0 < port < 65536:
                raise ConfigError(f"PORT must be between 1 and 65535, got {port}")

        database_url = get("DATABASE_URL")
        public_url = get("ONCALL_PUBLIC_URL")
        heartbeat_url = get("ONCALL_HEARTBEAT_URL")
        smtp_url = get("SMTP_URL")
        if smtp_url is not None and not smtp_url.startswith(("smtp://", "smtps://")):
            raise ConfigError("SMTP_URL must be smtp://user:password@host:587 (STARTTLS "
                              "when the server offers it) or smtps://... (TLS from the start)")
        if heartbeat_url is not None and not _is_http_url(heartbeat_url):
            raise ConfigError("ONCALL_HEARTBEAT_URL must be an http:// or https:// URL, such "
                              "as https://hc-ping.com/<uuid>")
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=get("SLACK_API_URL"),
            database_url=(
                normalize_database_url(database_url) if database_url else default_database_url()
            ),
            schedules_path=Path(schedules) if (schedules := get("ONCALL_SCHEDULES")) else None,
            public_url=public_url.rstrip("/") if public_url else None,
            port=port,
            heartbeat_url=heartbeat_url,
            metrics_token=get("ONCALL_METRICS_TOKEN"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from=get("TWILIO_FROM"),
            twilio_api_url=get("TWILIO_API_URL"),
            smtp_url=smtp_url,
            email_from=get("ONCALL_EMAIL_FROM"),
        )

    @property
    def command_schedules(self) -> Path:
        """What the command line's schedule commands read: ONCALL_SCHEDULES, else
        ./schedules."""
        return self.schedules_path or Path(DEFAULT_SCHEDULES)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def missing_slack_settings(self) -> list[str]:
        """Names of the environment variables `serve` still needs (empty when ready).

        HTTP mode needs the bot token and the signing secret; Socket Mode (an app-level
        token is set) needs the bot token only."""
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.socket_mode and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS and value is not None:
                shown = "'***'"
            elif f.name == "database_url":
                shown = repr(_redact_url(value))
            else:
                shown = repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"
