"""Push times from the environment: the new names, the old one kept, bad values refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.settings import Settings


def test_morning_push_at_and_the_old_name(monkeypatch):
    monkeypatch.setenv("MORNING_PUSH_AT", "6:45")
    monkeypatch.setenv("DAILY_REPORT_AT", "17:30")
    settings = Settings(_env_file=None)
    assert (settings.morning_push, settings.daily_report_at) == ("06:45", "17:30")
    monkeypatch.delenv("MORNING_PUSH_AT")
    monkeypatch.setenv("MORNING_PUSH", "08:10")  # deployments from before keep working
    assert Settings(_env_file=None).morning_push == "08:10"


def test_defaults(monkeypatch):
    for name in ("MORNING_PUSH_AT", "MORNING_PUSH", "DAILY_REPORT_AT", "REWORK_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert (settings.morning_push, settings.daily_report_at) == ("07:30", "18:00")
    assert (settings.repair_days, settings.rework_days) == (7, 3)


@pytest.mark.parametrize("value", ["25:00", "7", "07:60", "seven", ""])
def test_a_bad_time_is_refused(monkeypatch, value):
    monkeypatch.setenv("DAILY_REPORT_AT", value)
    with pytest.raises(ValidationError, match="HH:MM"):
        Settings(_env_file=None)
