"""Texts users see, in Chinese and English, looked up by key."""

from __future__ import annotations

import importlib
import re
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
    "lists",
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


# A button label's short form ("btn.back.short"), for platforms whose buttons show few
# characters (WeCom's ten): found from the label as shown, in the reader's language first.
SHORT = ".short"


def _template(text: str) -> re.Pattern[str]:
    """Return a pattern matching what a catalog template gives, its fields as groups."""
    parts, seen = [], set()
    for number, part in enumerate(re.split(r"\{(\w+)\}", text)):
        if number % 2 == 0:
            parts.append(re.escape(part))
        else:
            parts.append(f"(?P={part})" if part in seen else f"(?P<{part}>.+?)")
            seen.add(part)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _short_forms(lang: str) -> list[tuple[re.Pattern[str], str]]:
    catalog, forms = CATALOGS[lang], []
    for key, short in catalog.items():
        full = catalog.get(key.removesuffix(SHORT)) if key.endswith(SHORT) else None
        if full:
            forms.append((_template(full), short))
    return forms


SHORT_FORMS = {lang: _short_forms(lang) for lang in CATALOGS}


def short_label(lang: str, label: str) -> str | None:
    """Return the short form of a button's label (its reader's language first), if any."""
    for forms in sorted(SHORT_FORMS.items(), key=lambda pair: pair[0] != lang):
        for pattern, short in forms[1]:
            if found := pattern.match(label):
                return short.format(**found.groupdict())
    return None
