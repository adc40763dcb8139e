"""Callback keys seen once (InboundSeen), across processes, forgotten after a day."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.cli.common import RedactSecret
from models import clock
from models.db import Database
from models.inbound import KEEP, first_sight, prune_seen
from models.settings import Settings


def test_a_key_is_new_once(db: Database) -> None:
    assert db.run(first_sight, key="msg:1") is True
    assert db.run(first_sight, key="msg:1") is False
    assert db.run(first_sight, key="card:h1") is True


def test_old_keys_are_forgotten(db: Database, pinned_clock: object) -> None:
    db.run(first_sight, key="msg:old")
    with clock.pinned(clock.now() + KEEP + timedelta(minutes=1)):
        assert db.run(prune_seen) == 1
        assert db.run(first_sight, key="msg:old") is True


def test_wecom_settings_missing_by_name() -> None:
    settings = Settings(_env_file=None, wecom_corp_id="ww1", wecom_token="t")
    assert settings.wecom_missing == ["WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_ENCODING_AES_KEY"]
    assert settings.wecom_api_base_url == "https://qyapi.weixin.qq.com"
    assert settings.http_host_port == ("127.0.0.1", 8080)


def test_wecom_listen_must_be_host_and_port() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="WECOM_LISTEN"):
        Settings(_env_file=None, wecom_listen="8080")


def test_every_secret_is_masked() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, "", 0, "secret=%s token=%s", ("s3cr3t", "QDG6eK"), None
    )
    RedactSecret("s3cr3t", "QDG6eK", "").filter(record)
    assert record.getMessage() == "secret=*** token=***"
