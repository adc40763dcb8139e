"""Choices as WeCom template cards of type button_interaction, within WeCom's field limits.

The limits (WeCom's message/send docs for template_card): main_title.title "建议不超过36个字",
main_title.desc 44, sub_title_text 160, horizontal_content_list ≤ 6 rows (keyname 5, value 30),
button_list ≤ 6 buttons, button text "建议不超过10个字", button key ≤ 1024 bytes and unique in a
card, task_id unique per app, only ASCII letters, digits and "_-@", ≤ 128 bytes.

When the choices do not fit one card, decided here:
- more than 6 buttons: several cards of up to 6 buttons each, in order, titled "title (1/3)",
  so every choice keeps a button of its own (a morning list of 10 items + pager = 2 cards);
- a label longer than a button shows: the card's sub_title_text lists the full labels
  numbered "1. ...", and each button starts with its number ("1. #12 3-1…"), so nothing the
  person needs to choose by is lost to the clip;
- two choices with the same data: the first is kept (WeCom refuses repeated keys).
A pressed card is updated with `pressed(text)`: its buttons become grey and unpressable,
showing `text` (the caller takes it from the catalog, in the person's language).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from handlers.choices import Choice

TITLE_MAX = 36
DESC_MAX = 44
SUB_TITLE_MAX = 160
HORIZONTAL_MAX = 6
KEYNAME_MAX = 5
VALUE_MAX = 30
BUTTONS_MAX = 6
BUTTON_TEXT_MAX = 10
KEY_MAX = 1024  # bytes
TASK_ID_MAX = 128  # bytes
TASK_ID_RE = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
ELLIPSIS = "…"
CARD_TYPE = "button_interaction"
BUTTON_STYLE = 1  # blue; 1..4


def new_task_id() -> str:
    """Return a task id no other card of the app has: 'h' and 32 hex digits."""
    return f"h{uuid.uuid4().hex}"


def clip(text: str, limit: int) -> str:
    """Return `text` on one line, cut to `limit` characters with an ellipsis if longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + ELLIPSIS


def choices_of(rows: Iterable[Iterable[Choice]]) -> list[Choice]:
    """Return the choices of rows in reading order, each data once."""
    seen: set[str] = set()
    flat: list[Choice] = []
    for row in rows:
        for choice in row:
            if choice.data in seen:
                continue
            if len(choice.data.encode()) > KEY_MAX:
                raise ValueError(f"choice data over {KEY_MAX} bytes: {choice.data[:40]!r}…")
            seen.add(choice.data)
            flat.append(choice)
    return flat


def build(
    title: str,
    rows: Iterable[Iterable[Choice]],
    *,
    desc: str | None = None,
    facts: Sequence[tuple[str, str]] = (),
    task_id: Callable[[], str] = new_task_id,
) -> list[dict[str, Any]]:
    """Return the template cards (button_interaction) that offer these choices, 6 buttons each.

    `title` is plain text (the first line of a screen, say); `facts` become the card's
    key/value rows (at most 6 are shown). No choices: no card.
    """
    choices = choices_of(rows)
    if not choices:
        return []
    pages = [choices[i : i + BUTTONS_MAX] for i in range(0, len(choices), BUTTONS_MAX)]
    cards = []
    for number, page in enumerate(pages, start=1):
        mark = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        card: dict[str, Any] = {
            "card_type": CARD_TYPE,
            "task_id": _task_id(task_id),
            "main_title": {"title": clip(title, TITLE_MAX - len(mark)) + mark},
        }
        if desc:
            card["main_title"]["desc"] = clip(desc, DESC_MAX)
        if facts:
            card["horizontal_content_list"] = [
                {"keyname": clip(k, KEYNAME_MAX), "value": clip(v, VALUE_MAX)}
                for k, v in facts[:HORIZONTAL_MAX]
            ]
        numbered = any(len(c.label) > BUTTON_TEXT_MAX for c in page)
        if numbered:
            card["sub_title_text"] = _listing(page)
        card["button_list"] = [
            {
                "type": 0,
                "text": _button_text(c.label, n if numbered else None),
                "style": BUTTON_STYLE,
                "key": c.data,
            }
            for n, c in enumerate(page, start=1)
        ]
        cards.append(card)
    return cards


def pressed(text: str) -> dict[str, Any]:
    """Return the update_template_card form that greys a pressed card's buttons, showing `text`."""
    return {"button": {"replace_name": clip(text, BUTTON_TEXT_MAX)}}


def replaced(card: dict[str, Any]) -> dict[str, Any]:
    """Return the update_template_card form that replaces a pressed card with `card`."""
    return {"template_card": card}


def _task_id(make: Callable[[], str]) -> str:
    value = make()
    if not TASK_ID_RE.match(value):
        raise ValueError(f"task_id must be 1-{TASK_ID_MAX} of A-Z a-z 0-9 _-@: {value!r}")
    return value


def _button_text(label: str, number: int | None) -> str:
    if number is None:
        return clip(label, BUTTON_TEXT_MAX)
    prefix = f"{number}. "
    return prefix + clip(label, BUTTON_TEXT_MAX - len(prefix))


def _listing(page: Sequence[Choice]) -> str:
    """Return the numbered full labels of a card's buttons, within sub_title_text's limit."""
    lines: list[str] = []
    for n, choice in enumerate(page, start=1):
        line = f"{n}. {' '.join(choice.label.split())}"
        if len("\n".join([*lines, line])) > SUB_TITLE_MAX:
            room = SUB_TITLE_MAX - len("\n".join(lines)) - (1 if lines else 0)
            if room > len(f"{n}. ") + 1:
                lines.append(clip(line, room))
            break
        lines.append(line)
    return "\n".join(lines)
