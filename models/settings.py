"""Settings from the environment or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
WECOM_API = "https://qyapi.weixin.qq.com"
WECOM_OAUTH = "https://open.weixin.qq.com/connect/oauth2/authorize"
WECOM_ROBOT_WS = "wss://openws.work.weixin.qq.com"
# What `run --platform wecom` cannot start without, by setting name.
WECOM_REQUIRED = (
    "wecom_corp_id",
    "wecom_agent_id",
    "wecom_secret",
    "wecom_token",
    "wecom_encoding_aes_key",
)


class Settings(BaseSettings):
    """Everything a deployment sets; each field is read from the same-named variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API
    database_url: str = "sqlite:///data/handover.db"
    timezone: str = "Asia/Shanghai"
    default_language: Literal["zh", "en"] = "zh"
    media_dir: Path = Path("data/media")
    require_repair_photo: bool = True
    invite_hours: int = 72
    # Local times (each project's own zone) of the daily pushes. MORNING_PUSH is the old name.
    morning_push: str = Field(
        default="07:30", validation_alias=AliasChoices("morning_push_at", "morning_push")
    )
    daily_report_at: str = "18:00"
    # Defaults for a new project: days to repair an item, and to redo a failed one.
    repair_days: int = Field(default=7, ge=1, le=365)
    rework_days: int = Field(default=3, ge=1, le=365)
    # Waiting for the Bot API at start: 1, 2, 4, ... seconds between tries, at most this.
    telegram_retry_first: float = Field(default=1.0, gt=0)
    telegram_retry_max: float = Field(default=60.0, gt=0)
    # WeCom (企业微信) self-built app: the corp, the app, its secret and its callback's keys.
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_encoding_aes_key: SecretStr | None = None
    wecom_api_base_url: str = WECOM_API
    # host:port of the one HTTP server a process runs: Telegram's webhook, WeCom's callback
    # (/wecom/callback) and upload pages, /healthz, /metrics. WECOM_LISTEN is its old name.
    http_listen: str = Field(
        default="127.0.0.1:8080", validation_alias=AliasChoices("http_listen", "wecom_listen")
    )
    # The address people reach that server at (one-time upload links): http://HTTP_LISTEN
    # unless set, e.g. https://bot.example.cn behind a proxy. WECOM_PUBLIC_URL is its old name.
    public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("public_url", "wecom_public_url")
    )
    # Telegram's webhook, https://HOST/PATH (unset: long polling; `run --webhook URL` wins),
    # and the secret Telegram sends with each update (unset: derived from the token, so every
    # process of one bot agrees on it).
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # On SIGTERM or SIGINT: how long the updates already taken may take to finish.
    stop_grace_seconds: float = Field(default=10.0, ge=0)
    # WeCom's sign-in for web pages (OAuth 2): the upload page learns who opened it there.
    wecom_oauth_url: str = WECOM_OAUTH
    # WeCom smart robot (智能机器人): its bot id and secret, and the gateway it connects out to.
    wecom_robot_bot_id: str | None = None
    wecom_robot_secret: SecretStr | None = None
    wecom_robot_ws_url: str = WECOM_ROBOT_WS

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _bot_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("TELEGRAM_API_BASE_URL must start with http:// or https://")
        # PTB appends the token directly: the base must end with ".../bot".
        return value if value.endswith("/bot") else value + "/bot"

    @field_validator("wecom_api_base_url")
    @classmethod
    def _wecom_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("WECOM_API_BASE_URL must start with http:// or https://")
        return value

    @field_validator("http_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("HTTP_LISTEN (WECOM_LISTEN) must be host:port, e.g. 127.0.0.1:8080")
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("TELEGRAM_WEBHOOK_URL must be https://HOST/PATH")
        return value or None

    @field_validator("morning_push", "daily_report_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("push times must be HH:MM (24-hour), e.g. 07:30")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @property
    def file_base_url(self) -> str:
        """Return the file download base that matches the API base."""
        return self.telegram_api_base_url[: -len("/bot")] + "/file/bot"

    @property
    def wecom_missing(self) -> list[str]:
        """Return the WeCom settings not set, by their variable names."""
        return [name.upper() for name in WECOM_REQUIRED if not getattr(self, name)]

    @property
    def http_host_port(self) -> tuple[str, int]:
        """Return HTTP_LISTEN as (host, port)."""
        host, _, port = self.http_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def public_base(self) -> str:
        """Return the address people reach the HTTP server at (PUBLIC_URL, else HTTP_LISTEN)."""
        return (self.public_url or f"http://{self.http_listen}").rstrip("/")
