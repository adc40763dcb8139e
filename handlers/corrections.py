"""Taking a mistake back: restore a cancelled item, undo a Pass or Fail, correct an entry."""

from __future__ import annotations

from handlers import choices, drafts, render
from handlers.admin import ID_AND_REST
from handlers.buttons import (
    CheckItem,
    Correct,
    CorrectCategory,
    CorrectField,
    History,
    Reassign,
    Restore,
    Undo,
)
from handlers.choices import Choice, Rows
from handlers.core import Ask, Router
from handlers.i18n import t
from handlers.steps import Step
from handlers.tell import tell_contractor
from handlers.text import esc
from models.corrections import (
    FIELDS,
    Corrected,
    correct_categories,
    correct_item,
    correctable,
    restorable,
    restore_item,
    undo_check,
)
from models.errors import DomainError
from models.queries import ItemCard, ItemLine
from models.repair import UNDO, UNDO_WINDOW, Outcome
from models.roles import WORK, Work
from models.tables import Action

CATEGORIES_PER_ROW = 3
# Refusals of what was typed: the question stands and the answer may be typed again.
RETYPE = frozenset(
    {
        "note_too_long",
        "reason_required",
        "description_required",
        "description_too_long",
        "location_required",
        "location_too_long",
    }
)


def history(item_id: int, lang: str) -> Rows:
    """Return a choice that shows the item's card with its whole history."""
    return ((Choice(t(lang, "btn.history", id=item_id), History(item_id).data()),),)


def undo_choice(lang: str, outcome: Outcome) -> Rows:
    """Return the Undo of a Pass or Fail just made, for its confirmation."""
    item = outcome.item
    key = "btn.undo_pass" if outcome.event.action is Action.pass_ else "btn.undo_fail"
    return ((Choice(t(lang, key), Undo(item.id, item.version).data()),),)


def undo_hint(lang: str) -> str:
    """Return the line that says a Pass or Fail may be undone, and for how long."""
    return t(lang, "undo.hint", minutes=int(UNDO_WINDOW.total_seconds() // 60))


def card_choices(lang: str, card: ItemCard) -> Rows:
    """Return Restore and Correct for an item's card, those models/ offers this person now."""
    line, row = card.line, []
    if Action.restore in card.moves:
        row.append(Choice(t(lang, "btn.restore"), Restore(line.id, line.version).data()))
    if Action.correct in card.moves:
        row.append(Choice(t(lang, "btn.correct"), Correct(line.id).data()))
    return (tuple(row),) if row else ()


async def undo(ask: Ask) -> None:
    """Take back the Pass or Fail pressed; it awaits acceptance again, the contractor is told."""
    item_id, version = ask.pressed.item_id, ask.pressed.version
    moved = await ask.call(
        undo_check, user_id=ask.user_id, item_id=item_id, expected_version=version
    )
    passed = moved.outcome.event.action is UNDO[Action.pass_]
    key = "undo.pass_done" if passed else "undo.fail_done"
    again = (*choices.open_again(CheckItem, item_id, ask.lang), *choices.to_check_button(ask.lang))
    ask.show(ask.t(key, id=item_id), again, replace=True)
    told = "notify.pass_undone" if passed else "notify.fail_undone"
    await tell_contractor(ask, moved.outcome, told, id=item_id)


def _item_and_rest(ask: Ask) -> tuple[int | None, str]:
    """Return the item number and the words after it, as typed (a reason keeps its lines)."""
    parts = (ask.incoming.text or "").strip().split(None, 1)
    match = ID_AND_REST.match(parts[1].strip()) if len(parts) > 1 else None
    return (int(match[1]), match[2].strip()) if match else (None, "")


def _usage(ask: Ask, work: Work, key: str) -> None:
    """Show how to use a command; to whom may not do its work, the refusal instead."""
    ask.require(*WORK[work])
    ask.show(ask.t(key))


async def restore_command(ask: Ask) -> None:
    """Restore an item cancelled by mistake: /restore 1042 cancelled by mistake."""
    item_id, reason = _item_and_rest(ask)
    if item_id is None or not reason:
        _usage(ask, Work.settle, "restore.usage")
        return
    await _restore(ask, item_id, reason, None)


async def start_restore(ask: Ask) -> None:
    """Ask why the cancelled item is restored, saying where it goes back to."""
    item_id, version = ask.pressed.item_id, ask.pressed.version
    found = await ask.call(
        restorable, user_id=ask.user_id, item_id=item_id, expected_version=version
    )
    line = found.line
    drafts.start(ask, Step.restore, line)
    text = ask.t(
        "restore.ask_reason",
        id=line.id,
        unit=esc(line.unit_code),
        location=esc(line.location),
        state=ask.t(f"state.{found.back_to.value}"),
    )
    ask.show(text, choices.cancel_only(ask.lang, item_id))


async def restore_reason(ask: Ask) -> None:
    """Restore the item with the reason typed; its contractor is told if it is theirs again."""
    draft = ask.dialogue.draft
    try:
        await _restore(ask, draft.item, ask.incoming.text or "", draft.version)
    except DomainError as error:
        _ended_unless_retyped(ask, error)
        raise
    ask.dialogue.end()


def _ended_unless_retyped(ask: Ask, error: DomainError) -> None:
    """End the question asked, unless what was typed may be typed again (too long, empty)."""
    if error.key not in RETYPE:
        ask.dialogue.end()


async def _restore(ask: Ask, item_id: int, reason: str, version: int | None) -> None:
    moved = await ask.call(
        restore_item,
        user_id=ask.user_id,
        item_id=item_id,
        reason=reason,
        expected_version=version,  # a stale Restore cannot move the item again
    )
    line, note = moved.line, esc(moved.outcome.event.note)
    contractor = esc(line.contractor_name)
    text = ask.t(
        "restore.done",
        id=line.id,
        state=ask.t(f"state.{line.state.value}"),
        contractor=contractor,
        reason=note,
    )
    if moved.outcome.tell:
        text += "\n" + ask.t("restore.told", contractor=contractor)
    ask.show(text, history(line.id, ask.lang))
    await tell_contractor(ask, moved.outcome, "notify.restored", id=line.id, reason=note)


async def correct_command(ask: Ask) -> None:
    """Offer the fields of an item to correct: /correct 1042."""
    item_id, _ = _item_and_rest(ask)
    if item_id is None:
        _usage(ask, Work.correct, "correct.usage")
        return
    await _what_to_correct(ask, item_id)


async def correct_pressed(ask: Ask) -> None:
    """Offer the fields of the item whose card was pressed."""
    await _what_to_correct(ask, ask.pressed.item_id)


async def _what_to_correct(ask: Ask, item_id: int) -> None:
    line = await ask.call(correctable, user_id=ask.user_id, item_id=item_id)
    buttons = [Choice(ask.t(f"btn.fix.{f}"), CorrectField(line.id, f).data()) for f in FIELDS]
    ask.show(ask.t("correct.what", **_names_item(line)), (tuple(buttons),))


def _names_item(line: ItemLine) -> dict[str, object]:
    return {"id": line.id, "unit": esc(line.unit_code), "location": esc(line.location)}


async def correct_field(ask: Ask) -> None:
    """Ask the new value of the field pressed (a category: one button each)."""
    item_id, field = ask.pressed.item_id, ask.pressed.field
    if field == "category":
        line, found = await ask.call(correct_categories, user_id=ask.user_id, item_id=item_id)
        buttons = [
            Choice(
                c.name_zh if ask.lang == "zh" else c.name_en,
                CorrectCategory(item_id, c.id).data(),
            )
            for c in found
        ]
        rows = tuple(
            tuple(buttons[i : i + CATEGORIES_PER_ROW])
            for i in range(0, len(buttons), CATEGORIES_PER_ROW)
        )
        old = esc(render.category(ask.lang, line))
        ask.show(ask.t("correct.ask_category", old=old), rows)
        return
    line = await ask.call(correctable, user_id=ask.user_id, item_id=item_id)
    draft, _ = drafts.start(ask, Step.correct, line, field=field)
    draft.field = field  # another field of the same item asked for: that one now
    old = line.description if field == "description" else line.location
    ask.show(ask.t(f"correct.ask_{field}", old=esc(old)), choices.cancel_only(ask.lang, item_id))


async def correct_typed(ask: Ask) -> None:
    """Correct the field asked with the text typed; the history keeps old and new."""
    draft = ask.dialogue.draft
    try:
        done = await ask.call(
            correct_item,
            user_id=ask.user_id,
            item_id=draft.item,
            field=draft.field,
            text=ask.incoming.text or "",
        )
    except DomainError as error:
        _ended_unless_retyped(ask, error)
        raise
    ask.dialogue.end()
    _corrected(ask, done)


async def correct_category(ask: Ask) -> None:
    """Give the item the category pressed; the contractor stays (a reassign is offered)."""
    item_id, category_id = ask.pressed.item_id, ask.pressed.category_id
    done = await ask.call(
        correct_item,
        user_id=ask.user_id,
        item_id=item_id,
        field="category",
        category_id=category_id,
    )
    _corrected(ask, done, replace=True)


def _corrected(ask: Ask, done: Corrected, *, replace: bool = False) -> None:
    line = done.line
    text = ask.t("correct.done", id=line.id, change=render.change(ask.lang, done.change))
    rows: Rows = history(line.id, ask.lang)
    if done.by_rule is not None:
        rule = done.by_rule
        text += "\n" + ask.t(
            "correct.by_rule", contractor=esc(line.contractor_name), rule=esc(rule.name)
        )
        reassign = Choice(t(ask.lang, "btn.reassign_to", name=rule.name), _reassign(line, rule.id))
        rows = ((reassign,), *rows)
    ask.show(text, rows, replace=replace)


def _reassign(line: ItemLine, contractor_id: int) -> str:
    return Reassign(line.id, contractor_id, line.version).data()


async def end_ask(ask: Ask) -> None:
    """Drop a restore's reason or a correction being typed; nothing changes."""
    ask.dialogue.end()
    ask.show(ask.t("common.cancelled"))


def routes(router: Router) -> None:
    """Route restore, undo and correct: commands, choices and the texts they ask for."""
    router.command("restore", restore_command)
    router.command("correct", correct_command)
    router.press(Undo, undo)
    router.press(Restore, start_restore)
    router.press(Correct, correct_pressed)
    router.press(CorrectField, correct_field)
    router.press(CorrectCategory, correct_category)
    router.step(Step.restore, text=restore_reason, cancel=end_ask)
    router.step(Step.correct, text=correct_typed, cancel=end_ask)
