"""One item per report: a half-finished report belongs to the item on the person's screen.

A report (Repaired, Not ours, Fail, an admin's reject) is a draft in the person's dialogue
(models/dialogue.py) until Done. Anything that turns the person to something else (another
item's choice, a list, any command) drops the draft and says so, here, once, before any flow
sees the input; the report's own steps and the same item's card keep it. A person has at most
one draft at a time; one left too long is dropped and they are told at their next input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import admin, choices, menu, steps
from handlers.buttons import (
    Button,
    Cancel,
    CheckItem,
    Dispute,
    Done,
    Fail,
    OpenItem,
    Repaired,
    Skip,
)
from handlers.core import Ask, Router
from handlers.i18n import pick_language, t
from handlers.screens import Notice
from handlers.steps import Report, Step
from handlers.text import esc
from models.dialogue import Expired
from models.limits import check_note
from models.queries import ItemLine


@dataclass(frozen=True)
class Kind:
    """A kind of report: the card that opens its item again, the presses that keep it."""

    card: type[OpenItem | CheckItem] | None  # none: an admin's, with no card of its own
    keeps: tuple[type[Button], ...] = ()  # of the same item: its card, the button begun by


# The reports (their dialogue steps).
KINDS: dict[Step, Kind] = {
    Step.repair: Kind(OpenItem, (OpenItem, Repaired)),
    Step.dispute: Kind(OpenItem, (OpenItem, Dispute)),
    Step.fail: Kind(CheckItem, (CheckItem, Fail)),
    Step.reject: Kind(None),  # an admin refusing a dispute
    Step.restore: Kind(None),  # an admin's reason to restore a cancelled item
    Step.correct: Kind(None),  # an admin's corrected description or location
}
KEEP, DROP, STALE = "keep", "drop", "stale"


def start(ask: Ask, kind: Step, line: ItemLine, **fields: Any) -> tuple[Any, bool]:
    """Begin the report of one item, or carry on the one begun for it; say which."""
    dialogue = ask.dialogue
    at_hand = dialogue.draft
    if dialogue.step == kind and isinstance(at_hand, Report) and at_hand.item == line.id:
        return at_hand, True
    draft = steps.DRAFTS[kind](
        item=line.id, version=line.version, unit=line.unit_code, location=line.location, **fields
    )
    dialogue.begin(kind, draft)  # type: ignore[arg-type]  (stored as JSON by the core)
    return draft, False


def label(draft: Report) -> str:
    """Return the item of a draft as people see it: #12 · 3-1-1202 · 卫生间 (markup)."""
    parts = [f"#{draft.item}", draft.unit, draft.location]
    return " · ".join(esc(p) for p in parts if p)


def add_note(draft: Report, text: str | None) -> None:
    """Keep one more text of the report (a typed note or a caption); none is replaced."""
    text = (text or "").strip()
    if text and text not in draft.notes:
        check_note("\n".join([*draft.notes, text]))  # all texts together go into one note
        draft.notes.append(text)


def note(draft: Report) -> str | None:
    """Return every text of the report joined, or None."""
    return "\n".join(draft.notes) or None


def answer_due(draft: Report, album: str | None) -> bool:
    """Tell whether to answer this photo: every single photo, but an album only once."""
    if album is None:
        return True
    # An album arrives as one input per photo; one answer is enough for a phone screen.
    if draft.album == album:
        return False
    draft.album = album
    return True


def _verdict(ask: Ask, kind: str, draft: Report) -> str:
    incoming, pressed = ask.incoming, ask.pressed
    if pressed is not None:
        if isinstance(pressed, (Done, Skip, Cancel)):
            return KEEP if pressed.item_id in (None, draft.item) else STALE
        same = isinstance(pressed, KINDS[Step(kind)].keeps)
        return KEEP if same and pressed.item_id == draft.item else DROP
    command = incoming.command
    if incoming.is_command and not (command and command[0] == "cancel" and not command[1]):
        return DROP
    return KEEP


async def guard(ask: Ask) -> bool:
    """Drop a half-finished report when the person turns to something else, and say so."""
    dialogue = ask.dialogue
    if dialogue.expired is not None:
        if dialogue.expired_step in KINDS:  # another dialogue (an item entered) ends quietly
            expired = steps.typed(dialogue.expired_step, dialogue.expired)
            _tell_dropped(ask, dialogue.expired_step, expired, "report.dropped")
        dialogue.expired = dialogue.expired_step = None
    kind = dialogue.step
    if kind not in KINDS or not dialogue.draft:
        return False
    verdict = _verdict(ask, kind, dialogue.draft)
    if verdict == STALE:  # Done or Cancel under an earlier report's message
        ask.answer(ask.t("error.stale_button"))
        return True
    if verdict == DROP:
        drop(ask, "report.dropped")
    return False


def drop(ask: Ask, key: str) -> None:
    """End the half-finished report and tell the person with the text `key`, naming the item."""
    kind = ask.dialogue.step
    draft = ask.dialogue.end()
    if kind in KINDS and draft:
        _tell_dropped(ask, kind, draft, key)


def dropped_notice(expired: Expired, default_language: str) -> Notice:
    """Return what tells a person their report was dropped for being left too long."""
    lang = pick_language(expired.language, None, default_language)
    card = KINDS[Step(expired.step)].card if expired.step in KINDS else None
    draft = steps.typed(expired.step, expired.draft)
    again = choices.open_again(card, draft.item, lang) if card else ()
    return Notice(expired.user_id, t(lang, "report.dropped", item=label(draft)), again, lang=lang)


def _tell_dropped(ask: Ask, kind: str | None, draft: Report, key: str) -> None:
    card = KINDS[Step(kind)].card if kind in KINDS else None
    again = choices.open_again(card, draft.item, ask.lang) if card else ()
    ask.show(ask.t(key, item=label(draft)), again)


async def cancel(ask: Ask) -> None:
    """Drop the report at hand on Cancel; nothing changes (a step's own Cancel comes first)."""
    if ask.dialogue.step not in KINDS or ask.dialogue.step == Step.reject:
        ask.dialogue.end()  # refusing a dispute is not a report of the item: nothing to name
        ask.show(ask.t("common.cancelled"))
        return
    drop(ask, "report.cancelled")


async def gone(ask: Ask) -> None:
    """Answer a step whose report is no longer there (dropped, or from an older version)."""
    if ask.incoming.choice is not None:
        ask.answer(ask.t("error.stale_button"))
    else:
        ask.show(ask.t("report.none_open"))


def routes(router: Router) -> None:
    """Route the guard, Done, Skip and Cancel: the step's own flow, else these."""
    router.guard(guard)
    router.press(Done, gone)  # the report's step finishes it (the router asks it first)
    router.press(Skip, gone)
    router.press(Cancel, cancel)
    router.press_to_step(Done, "done")
    router.press_to_step(Skip, "done")
    router.press_to_step(Cancel, "cancel")
    # "/cancel": the step's own Cancel, unless it names an item to cancel (the admin's).
    router.command("cancel", cancel_command, step="cancel", unless=admin.names_an_item)


async def cancel_command(ask: Ask) -> None:
    """Cancel an item on "/cancel 1042 reason", else drop the report at hand, else say so."""
    if admin.names_an_item(ask):
        await admin.cancel_command(ask)
    elif ask.dialogue.step is not None:  # a report without a Cancel of its own
        await cancel(ask)
    else:
        ask.show(menu.nothing_to_cancel(ask.lang, ask.person))
