"""The registry and the contract: every platform's adapter found by name and keeping it."""

from __future__ import annotations

import pytest

from bot.adapter import Adapter, StandIn
from bot.platforms import ADAPTERS, adapter, names
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


@pytest.mark.parametrize("platform", list(Platform))
async def test_each_stand_in_starts_and_stops(platform: Platform, settings, db) -> None:
    running = adapter(platform).offline(settings, db)
    assert isinstance(running, StandIn)
    async with running as entered:
        assert entered is running
