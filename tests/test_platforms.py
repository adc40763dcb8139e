"""The registry and the contract: every platform's adapter found by name and keeping it."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapter import Adapter, StandIn
from bot.platforms import ADAPTERS, adapter, names
from jobs import rhythm
from models.tables import Platform


def test_every_platform_has_an_adapter_that_keeps_the_contract() -> None:
    assert names()[0] == "telegram"
    for platform in ADAPTERS:
        found = adapter(platform.value)
        assert isinstance(found, Adapter)
        assert found.platform is platform
        assert found.limits.text > 0 and found.limits.file > 0


def test_an_unknown_platform_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="dingtalk"):
        adapter("dingtalk")


def _beating() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == rhythm.JOB_NAME and not t.done()]


@pytest.mark.parametrize("platform", list(Platform))
async def test_each_stand_in_runs_the_one_daily_beat_while_it_runs(
    platform: Platform, settings, db
) -> None:
    running = adapter(platform).offline(settings, db)
    assert isinstance(running, StandIn)
    async with running as entered:
        assert entered is running
        (beat,) = _beating()  # the beat's loop of jobs.rhythm, whatever the platform
    assert beat.cancelled() and _beating() == []
    async with adapter(platform).offline(settings, db, beat=False):
        assert _beating() == []  # as in the console
