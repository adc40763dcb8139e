"""Taking a mistake back: a cancelled item restored, a Pass or Fail undone, an entry corrected.

A restore and an undo are moves (models/repair.py MOVES: who, from where, to where, with an
event); a correction is an event that moves nothing and says what changed, from what to what.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import clock, ids
from models.admin import ContractorRef, Moved
from models.errors import DomainError
from models.intake import check_description, check_location, pick_contractor
from models.lookup import categories, find_category
from models.offers import check_correct, offered_moves
from models.people import user_for
from models.queries import Change, ItemLine, item_line
from models.repair import (
    MOVES,
    UNDO,
    act,
    acting_role,
    check_move,
    last_move,
)
from models.tables import Action, Category, Contractor, Event, Item, ItemState, Unit

# What of an item may be corrected after entry, in the order a card offers them.
FIELDS = ("description", "location", "category")


@dataclass(frozen=True)
class Corrected:
    """An item after a correction, what changed, and whom the rules would give it now."""

    line: ItemLine
    change: Change
    # The contractor the assignment rules give the new category, when that is not the
    # item's own and the corrector may reassign it now (None: nothing to offer).
    by_rule: ContractorRef | None = None


def restore_item(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Moved:
    """Restore a cancelled item to where it was before the cancel (admins; with a reason)."""
    outcome = act(
        session,
        user_id=user_id,
        item_id=item_id,
        action=Action.restore,
        note=reason,
        expected_version=expected_version,
    )
    return Moved(item_line(session, item_id=item_id), outcome)


@dataclass(frozen=True)
class Restorable:
    """A cancelled item this person may restore, and the state it would go back to."""

    line: ItemLine
    back_to: ItemState


def restorable(
    session: Session, *, user_id: int, item_id: int, expected_version: int | None = None
) -> Restorable:
    """Return a cancelled item and where a restore takes it (before asking why), or refuse."""
    check_move(
        session,
        user_id=user_id,
        item_id=item_id,
        action=Action.restore,
        expected_version=expected_version,
    )
    cancel = last_move(session, item_id=item_id)  # the cancel: check_move made sure
    return Restorable(item_line(session, item_id=item_id), cancel.from_state)


def undo_check(
    session: Session, *, user_id: int, item_id: int, expected_version: int | None = None
) -> Moved:
    """Take back the Pass or Fail this person pressed, within minutes, before anyone acts on it."""
    user = user_for(session, user_id=user_id)
    item = ids.get(session, Item, item_id)
    if item is None:
        raise ids.no_such_item(item_id)
    # Who first: a forged press learns nothing of the item.
    acting_role(session, user=user, item=item, move=MOVES[Action.undo_pass])
    last = last_move(session, item_id=item.id)
    if last is not None and last.action in UNDO.values():
        raise DomainError("already_handled", item=item.id, state=item.state.value)
    action = UNDO.get(last.action) if last is not None else None
    if action is None:  # the contractor (or anyone) acted since: the result stands
        inspected = session.exec(
            select(Event.id).where(Event.item_id == item.id, col(Event.action).in_(list(UNDO)))
        ).first()
        why = "undo_moved_on" if inspected else "nothing_to_undo"
        raise DomainError(why, item=item.id, state=item.state.value)
    outcome = act(
        session,
        user_id=user_id,
        item_id=item_id,
        action=action,
        expected_version=expected_version,
    )
    return Moved(item_line(session, item_id=item_id), outcome)


def correctable(session: Session, *, user_id: int, item_id: int) -> ItemLine:
    """Return the item if this person may correct it now (before asking what to), or refuse."""
    user = user_for(session, user_id=user_id)
    item = ids.get(session, Item, item_id)
    if item is None:
        raise ids.no_such_item(item_id)
    check_correct(session, user=user, item=item)
    return item_line(session, item_id=item_id)


def correct_categories(
    session: Session, *, user_id: int, item_id: int
) -> tuple[ItemLine, list[Category]]:
    """Return the item and its project's categories to choose the right one from, or refuse."""
    line = correctable(session, user_id=user_id, item_id=item_id)
    return line, categories(session, project_id=line.project_id)


def correct_item(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    field: str,
    text: str = "",
    category_id: int | None = None,
) -> Corrected:
    """Correct an item's description, location or category; an event keeps old and new.

    The state, the due date and the contractor stay: a new category whose rule names another
    contractor is offered as a reassign (a move of its own, which tells them), never done here.
    """
    user = user_for(session, user_id=user_id)
    item = ids.get(session, Item, item_id)
    if item is None:
        raise ids.no_such_item(item_id)
    check_correct(session, user=user, item=item)
    if field not in FIELDS:
        raise DomainError("not_allowed")
    if field == "category":
        category = _category(session, item=item, text=text, category_id=category_id)
        old, new = session.get(Category, item.category_id), category
        change = Change(field, old.name_zh, new.name_zh, old.name_en, new.name_en)
        stored = (old.code, new.code)
        values = {"category_id": new.id}
        unchanged = old.id == new.id
        where = col(Item.category_id) == old.id
    else:
        value = check_description(text) if field == "description" else check_location(text)
        current = getattr(item, field)
        change = Change(field, current, value)
        stored = (current, value)
        values = {field: value}
        unchanged = current == value
        where = getattr(Item, field) == current
    if unchanged:
        raise DomainError("nothing_changed", item=item.id)
    # Compare-and-set: of two corrections of one field at once, the second finds it changed.
    # The version stays: a correction is no move, and a report begun on the item still holds.
    done = session.execute(
        update(Item)
        .where(col(Item.id) == item.id, where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError("already_handled", item=item.id, state=item.state.value)
    session.add(
        Event(
            item_id=item.id,
            at=clock.now(),
            actor_id=user.id,
            action=Action.correct,
            from_state=item.state,
            to_state=item.state,
            field=field,
            old_value=stored[0],
            new_value=stored[1],
        )
    )
    session.flush()
    session.refresh(item)
    by_rule = _by_rule(session, user_id=user_id, item=item) if field == "category" else None
    return Corrected(item_line(session, item_id=item.id), change, by_rule)


def _category(session: Session, *, item: Item, text: str, category_id: int | None) -> Category:
    """Return the category pressed (by id) or typed, of the item's project, or refuse."""
    if category_id is not None:
        found = ids.get(session, Category, category_id)
        if found is None or found.project_id != item.project_id:
            raise DomainError("no_such_category", category=str(category_id))
        return found
    found = find_category(session, project_id=item.project_id, text=text)
    if found is None:
        raise DomainError("no_such_category", category=text.strip())
    return found


def _by_rule(session: Session, *, user_id: int, item: Item) -> ContractorRef | None:
    """Return the contractor the rules give the item now, if another that may be given it."""
    building = session.get(Unit, item.unit_id).building
    try:
        contractor_id = pick_contractor(
            session, project_id=item.project_id, category_id=item.category_id, building=building
        )
    except DomainError:  # no rule for it: nothing to offer
        return None
    user = user_for(session, user_id=user_id)
    if contractor_id == item.contractor_id:
        return None
    if Action.reassign not in offered_moves(session, user=user, item=item):
        return None  # awaiting acceptance or closed: it stays with who repaired it
    return ContractorRef(contractor_id, session.get(Contractor, contractor_id).name)
