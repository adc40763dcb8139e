"""Texts users see, in Chinese and English, looked up by key."""

from __future__ import annotations

import importlib
import string
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


class _Counting(string.Formatter):
    """str.format, and a count's words chosen by the number: {n:one|other}, {n:zero|one|other}.

    "{days:1 day|{days} days}" says "1 day", "2 days"; "{age:today|1 day|{age} days}" says
    "today" for 0. A choice may hold the number again ({n} inside it is filled first).
    """

    def format_field(self, value: Any, format_spec: str) -> Any:
        """Pick the words for a count; format anything else as str.format does."""
        if "|" not in format_spec or not isinstance(value, int):
            return super().format_field(value, format_spec)
        forms = format_spec.split("|")
        if len(forms) == 3 and value == 0:
            return forms[0]
        return forms[-2] if value == 1 else forms[-1]


_COUNTING = _Counting()


def t(lang: str, key: str, /, **params: Any) -> str:
    """Return the text for `key` in `lang`, filled with `params` (counts as in _Counting)."""
    catalog = CATALOGS.get(lang, CATALOGS["zh"])
    template = catalog.get(key) or CATALOGS["en"].get(key) or key
    if not params:
        return template
    return _COUNTING.format(template, **params) if "|" in template else template.format(**params)
