"""Settings from the environment or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"


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
