"""A prompt and its choices as WeCom template cards (button_interaction), within WeCom's limits.

The limits (WeCom's message/send docs for template_card): main_title.title "建议不超过36个字",
main_title.desc 44, sub_title_text 160, horizontal_content_list ≤ 6 rows (keyname 5, value 30),
button_list ≤ 6 buttons, button text "建议不超过10个字", button key ≤ 1024 bytes and unique in a
card, task_id unique per app, only ASCII letters, digits and "_-@", ≤ 128 bytes. Over a
suggested length WeCom shows the text cut.

How a screen is drawn (`draw`), the same for a chat reply and a push, decided here:
- one message per prompt: the prompt goes on the card itself (its first line as the title,
  the rest as the description or the sub-title) when it fits; a longer text goes first as a
  text message, and the card is titled "Choose" ("请选择"), so nothing is shown twice;
- more than 6 buttons: several cards of up to 6 buttons each, in order, titled "… (1/3)",
  so every choice keeps a button of its own (a morning list of 10 items + pager = 2 cards);
- a label longer than a button shows: its short form from the catalogs ("◀ Back to list" is
  "◀ Back"), else its head ("#107 5-2-…": an item's number stays first); cut labels that would
  look alike show their number in the screen instead, running on across the cards ("7. 5-2-8…"),
  with the full label listed in that card's sub-title, so nothing the person chooses by is lost;
- two choices with the same data: the first is kept (WeCom refuses repeated keys).
A pressed card is updated with `pressed(text)`: its buttons become grey and unpressable,
showing `text` (the caller takes it from the catalog, in the person's language).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards import choices_of, clip, full_labels, labels
from bot.wecom.adapter import LIMITS
from handlers.choices import Choice
from handlers.i18n import t

TITLE_MAX = 36
DESC_MAX = 44
SUB_TITLE_MAX = 160
BUTTONS_MAX = LIMITS.buttons or 6
BUTTON_TEXT_MAX = LIMITS.button_text or 10
KEY_MAX = LIMITS.button_data  # bytes
TASK_ID_MAX = 128  # bytes
TASK_ID_RE = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
CARD_TYPE = "button_interaction"
BUTTON_STYLE = 1  # blue; 1..4


def new_task_id() -> str:
    """Return a task id no other card of the app has: 'h' and 32 hex digits."""
    return f"h{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Drawn:
    """A screen as WeCom shows it: a text to send first ("" when none), then its cards."""

    text: str
    cards: list[dict[str, Any]]


def draw(
    text: str,
    rows: Iterable[Iterable[Choice]],
    *,
    lang: str,
    task_id: Callable[[], str] = new_task_id,
) -> Drawn:
    """Return a plain-text prompt and its choices as one card where it fits, else text + cards.

    No choices: only the text. Labels are in `lang` (their short forms are looked up in it).
    """
    choices = choices_of(rows, key_max=KEY_MAX)
    if not choices:
        return Drawn(text, [])
    buttons = _buttons(lang, choices)
    pages = [buttons[i : i + BUTTONS_MAX] for i in range(0, len(buttons), BUTTONS_MAX)]
    choose = t(lang, "wecom.choose")
    cards, before = [], text
    for number, page in enumerate(pages, start=1):
        mark = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        listing = full_labels([line for _, line in page if line], SUB_TITLE_MAX)
        head = _prompt(text, choose, mark, listing) if number == 1 else None
        if head is not None:
            before = ""  # the prompt is on the first card: no text goes before it
        card = {"card_type": CARD_TYPE, "task_id": _task_id(task_id)}
        card |= head or _titled(choose, mark, listing)
        card["button_list"] = [button for button, _ in page]
        cards.append(card)
    return Drawn(before, cards)


def _prompt(text: str, choose: str, mark: str, listing: str) -> dict[str, Any] | None:
    """Return the head of a card that carries the prompt, or None when it does not fit."""
    prompt = "\n".join(line.strip() for line in text.strip().splitlines())
    if not prompt:
        return _titled(choose, mark, listing)
    title, _, rest = prompt.partition("\n")
    rest = rest.strip()
    head: dict[str, Any]
    if len(title) <= TITLE_MAX - len(mark):
        head = {"main_title": {"title": title + mark}}
        if rest and "\n" not in rest and len(rest) <= DESC_MAX:
            head["main_title"]["desc"], rest = rest, ""
    else:  # a long first line: the whole prompt under a plain title
        head, rest = {"main_title": {"title": choose + mark}}, prompt
    below = "\n".join(part for part in (rest, listing) if part)
    if len(below) > SUB_TITLE_MAX:
        return None
    if below:
        head["sub_title_text"] = below
    return head


def _titled(choose: str, mark: str, listing: str) -> dict[str, Any]:
    """Return the head of a card with no prompt on it: "Choose", and the full labels if any."""
    head: dict[str, Any] = {"main_title": {"title": clip(choose, TITLE_MAX - len(mark)) + mark}}
    if listing:
        head["sub_title_text"] = listing
    return head


def _buttons(lang: str, choices: Sequence[Choice]) -> list[tuple[dict[str, Any], str | None]]:
    """Return each choice's button (labels fitted by bot.cards), and the line listing its full
    label where it is numbered."""
    fitted = labels(lang, choices, BUTTON_TEXT_MAX)
    return [
        ({"type": 0, "text": text, "style": BUTTON_STYLE, "key": choice.data}, listed)
        for choice, (text, listed) in zip(choices, fitted, strict=True)
    ]


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
