"""Texts users see, in Chinese and English, looked up by key."""

from __future__ import annotations

import importlib
from typing import Any

from handlers.texts import en, zh

# Each flow keeps its texts in handlers/texts/<flow>.py as two dicts, ZH and EN, side by side.
FLOW_TEXTS: tuple[str, ...] = (
    "service",
    "intake",
    "admin",
    "sheets",
    "files",
    "stray",
    "overdue",
    "report",
    "printable",
    "pushes",
    "wecom",
    "corrections",
)


def _catalogs() -> dict[str, dict[str, str]]:
    catalogs = {"zh": dict(zh.TEXTS), "en": dict(en.TEXTS)}
    for name in FLOW_TEXTS:
        module = importlib.import_module(f"handlers.texts.{name}")
        catalogs["zh"].update(module.ZH)
        catalogs["en"].update(module.EN)
    return catalogs


CATALOGS: dict[str, dict[str, str]] = _catalogs()
LANGUAGES = tuple(CATALOGS)


def pick_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """Choose a user's language: their stored choice, else Telegram's, else the default."""
    if stored in CATALOGS:
        return stored
    if telegram_code:
        short = telegram_code.split("-")[0].lower()
        if short in CATALOGS:
            return short
    return default if default in CATALOGS else "zh"


def t(lang: str, key: str, /, **params: Any) -> str:
    """Return the text for `key` in `lang`, filled with `params`."""
    catalog = CATALOGS.get(lang, CATALOGS["zh"])
    template = catalog.get(key) or CATALOGS["en"].get(key) or key
    return template.format(**params) if params else template
