"""The registry: every chat platform the bot runs on, by name, each one line.

A platform's package is imported only when it is asked for: a WeCom run loads no Telegram.
Adding one is a folder bot/<name>/ exporting `ADAPTER`, a value in models.tables.Platform and
a line here.
"""

from __future__ import annotations

from importlib import import_module

from bot.adapter import Adapter
from models.tables import Platform

# Platform -> the package that exports its ADAPTER.
ADAPTERS: dict[Platform, str] = {
    Platform.telegram: "bot.telegram",
    Platform.wecom: "bot.wecom",
    Platform.wecom_robot: "bot.wecom_robot",
}


def names() -> list[str]:
    """Return the platforms' names, as `--platform` takes them (the first is the default)."""
    return [platform.value for platform in ADAPTERS]


def adapter(name: str | Platform) -> Adapter:
    """Return the adapter of a platform by its name; ValueError for one there is none of."""
    try:
        platform = Platform(name)
        package = ADAPTERS[platform]
    except (ValueError, KeyError):
        raise ValueError(f"no such platform: {name!r} (one of {', '.join(names())})") from None
    found: Adapter = import_module(package).ADAPTER
    return found
