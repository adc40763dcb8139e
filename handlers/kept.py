"""A photo sent right after opening a card, before its report was begun: kept for that item.

The card last opened is remembered in the dialogue (`opened`). A photo (and a text after it:
WeCom sends a photo's caption as a text of its own) that comes next is stored and kept with
that item, and the person is offered the card's report button (Repaired, or Fail); pressing
it begins the report with what was kept (`take`), so nothing is sent twice. Only for a person
models/ lets make that move now; anything else the person does next forgets both.
"""

from __future__ import annotations

from handlers import drafts, photos
from handlers.buttons import CheckItem, Fail, OpenItem, Repaired
from handlers.choices import Choice, Rows
from handlers.core import Ask, Router, kind_of
from handlers.steps import Kept, WithPhotos
from models.errors import DomainError
from models.queries import ItemLine
from models.repair import check_move_line
from models.tables import Action

CARD, KEPT = "card", "kept"
Card = type[OpenItem | CheckItem]
Begin = type[Repaired | Fail]
# The card (its button's prefix, as remembered) -> the button that begins its report, the move.
REPORTS: dict[str, tuple[Begin, Action]] = {
    OpenItem.prefix: (Repaired, Action.report_repaired),
    CheckItem.prefix: (Fail, Action.fail),
}
# The button that begins a report (its prefix, as kept) -> it, and its label.
_BEGINS: dict[str, tuple[Begin, str]] = {
    Repaired.prefix: (Repaired, "btn.repaired"),
    Fail.prefix: (Fail, "btn.fail"),
}


def opened(ask: Ask, card: Card, item_id: int) -> None:
    """Remember the card on the person's screen (a contractor's, an inspector's)."""
    ask.dialogue.memory[CARD] = {"prefix": card.prefix, "item": item_id}


def take(ask: Ask, draft: WithPhotos, begin: Begin) -> None:
    """Put the photos and notes kept for the draft's item into the report just begun."""
    stored = ask.dialogue.memory.pop(KEPT, None)
    kept = Kept.from_json(stored) if stored else None
    if kept is None or kept.item != draft.item or kept.begin != begin.prefix:
        return
    draft.photos.extend(kept.photos)
    for note in kept.notes:
        drafts.add_note(draft, note)


async def guard(ask: Ask) -> bool:
    """Forget the card and what was kept when the person does anything but add to it."""
    memory = ask.dialogue.memory
    if CARD not in memory and KEPT not in memory:
        return False
    kind = kind_of(ask.incoming)
    if ask.dialogue.step is None and (kind == "photo" or (kind == "text" and KEPT in memory)):
        return False  # one more photo, or the note of the kept one
    memory.pop(CARD, None)
    pressed = ask.pressed
    kept = memory.get(KEPT)
    begun = (
        kept is not None
        and isinstance(pressed, (Repaired, Fail))
        and (pressed.prefix, pressed.item_id) == (kept["begin"], kept["item"])
    )
    if kept and not begun:
        memory.pop(KEPT)
    return False


async def keep_photo(ask: Ask) -> bool:
    """Keep a photo for the card last opened, offering its report; False: no card for it."""
    line, begin = await _reportable(ask)
    if line is None:
        return False
    kept = _kept(ask, line, begin)
    drafts.add_note(kept, ask.incoming.text)  # a caption: refused if too long, nothing kept
    await photos.keep_photo(ask, kept.photos)  # the same photo delivered twice is kept once
    due = drafts.answer_due(kept, ask.incoming.album)
    ask.dialogue.memory[KEPT] = kept.to_json()
    if due:
        ask.show(_offer_text(ask, "kept.photo", kept), _offer(ask, kept))
    return True


def keep_text(ask: Ask) -> bool:
    """Keep a text after a kept photo as its note (WeCom's caption); False: nothing is kept."""
    stored = ask.dialogue.memory.get(KEPT)
    if not stored:
        return False
    kept = Kept.from_json(stored)
    drafts.add_note(kept, ask.incoming.text)
    ask.dialogue.memory[KEPT] = kept.to_json()
    ask.show(_offer_text(ask, "kept.note", kept), _offer(ask, kept))
    return True


async def _reportable(ask: Ask) -> tuple[ItemLine | None, str]:
    """Return the item of the card last opened if this person may report it now, and how."""
    card = ask.dialogue.memory.get(CARD)
    if not card or card["prefix"] not in REPORTS:
        return None, ""
    begin, action = REPORTS[card["prefix"]]
    try:
        line = await ask.call(
            check_move_line, user_id=ask.user_id, item_id=card["item"], action=action
        )
    except DomainError:
        return None, ""
    return line, begin.prefix


def _kept(ask: Ask, line: ItemLine, begin: str) -> Kept:
    """Return what is kept for this item, starting it (named as a report's draft names it)."""
    memory = ask.dialogue.memory
    stored = memory.get(KEPT)
    if stored and stored["item"] == line.id:
        return Kept.from_json(stored)
    kept = Kept(item=line.id, begin=begin, unit=line.unit_code, location=line.location)
    memory[KEPT] = kept.to_json()
    return kept


def _offer_text(ask: Ask, key: str, kept: Kept) -> str:
    button = ask.t(_BEGINS[kept.begin][1])
    return ask.t(key, item=drafts.label(kept), button=button)


def _offer(ask: Ask, kept: Kept) -> Rows:
    begin, label = _BEGINS[kept.begin]
    return ((Choice(ask.t(label), begin(kept.item).data()),),)


def routes(router: Router) -> None:
    """Route the guard that forgets the card (the photo itself is taken by the stray flow)."""
    router.guard(guard)
