"""Texts users see, in Chinese and English, looked up by key."""

from __future__ import annotations

from typing import Any

from bot.texts import en, zh

CATALOGS: dict[str, dict[str, str]] = {"zh": zh.TEXTS, "en": en.TEXTS}
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
