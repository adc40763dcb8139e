"""The item's life: who may move an item from which state to which, in one place.

Items come into it raised by models/intake.py `raise_item`; from then on every change of
state is a move here (`apply_transition`), and the events replay to the state (`replay_state`).
What a person may do on an item now (the buttons of its card) is models/offers.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models import clock, ids
from models.errors import DomainError
from models.limits import check_note
from models.people import contractor_chats, user_for
from models.queries import ItemLine, item_line
from models.roles import WORK, Work
from models.tables import (
    Action,
    AppUser,
    Contractor,
    Event,
    Item,
    ItemState,
    Membership,
    Photo,
    Project,
    Role,
)

S = ItemState
LIVE_STATES = frozenset({S.open, S.repaired, S.rework, S.disputed})


# A Pass or Fail pressed by mistake may be undone by whoever pressed it, this long after.
UNDO_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Move:
    """One legal kind of transition: who may make it, from where, to where."""

    roles: frozenset[Role]
    sources: frozenset[ItemState]
    target: ItemState | None  # None: back to the state before the move it undoes
    needs_note: bool = False
    # Takes back the item's latest move, which must be this action (the history keeps both).
    undoes: Action | None = None
    # Only by whoever made the move taken back, and at most this long after it.
    own_within: timedelta | None = None


# Who makes each move comes from the work it is (models/roles.py): the office records the
# results written on paper lists, so paper work may report repairs and pass or fail.
_REPAIRS = WORK[Work.repair] | WORK[Work.paper]
_SETTLES = WORK[Work.settle]

MOVES: dict[Action, Move] = {
    Action.report_repaired: Move(_REPAIRS, frozenset({S.open, S.rework}), S.repaired),
    Action.dispute: Move(
        WORK[Work.repair], frozenset({S.open, S.rework}), S.disputed, needs_note=True
    ),
    Action.pass_: Move(WORK[Work.check], frozenset({S.repaired}), S.closed),
    Action.fail: Move(WORK[Work.check], frozenset({S.repaired}), S.rework, needs_note=True),
    Action.reassign: Move(_SETTLES, frozenset({S.open, S.rework, S.disputed}), S.open),
    # "It is yours after all": back on the same contractor's list. To open, not back to rework
    # (one target per move); the item keeps its rework count, so the card still says rework ×n.
    Action.reject_dispute: Move(_SETTLES, frozenset({S.disputed}), S.open, needs_note=True),
    Action.cancel: Move(_SETTLES, LIVE_STATES, S.cancelled, needs_note=True),
    Action.reopen: Move(WORK[Work.reopen], frozenset({S.closed}), S.rework, needs_note=True),
    # A mistaken cancel: back where the item was before it, whatever that was.
    Action.restore: Move(
        _SETTLES, frozenset({S.cancelled}), None, needs_note=True, undoes=Action.cancel
    ),
    # A Pass or Fail pressed by mistake: awaiting acceptance again, as before it.
    Action.undo_pass: Move(
        WORK[Work.check],
        frozenset({S.closed}),
        S.repaired,
        undoes=Action.pass_,
        own_within=UNDO_WINDOW,
    ),
    Action.undo_fail: Move(
        WORK[Work.check],
        frozenset({S.rework}),
        S.repaired,
        undoes=Action.fail,
        own_within=UNDO_WINDOW,
    ),
}
# The undo of each result of an inspection.
UNDO = {Action.pass_: Action.undo_pass, Action.fail: Action.undo_fail}
# Back as rework: the item's rework count goes up by one.
_REWORKS = frozenset({Action.fail, Action.reopen})
TO_REPAIR = frozenset({S.open, S.rework})


# After these the item is (back) on a contractor's list, or off it for good (cancel), or a
# result they were told of is taken back (undo): that contractor is told at once. A restore
# tells them when it lands on their list.
_TELL_CONTRACTOR = frozenset(
    {
        Action.fail,
        Action.reopen,
        Action.reassign,
        Action.reject_dispute,
        Action.cancel,
        Action.undo_pass,
        Action.undo_fail,
    }
)


# After these the item is due again no sooner than rework_days from that day (due_again).
# Fail and reopen: the contractor must redo it. Reassign too: the new contractor has never had
# the item, and without this it would reach them overdue, for a delay that was not theirs.
# Not reject_dispute: the item was that contractor's all along, and a dispute that is turned
# down must not buy time, so its due date stands.
_DUE_AGAIN = frozenset({Action.fail, Action.reopen, Action.reassign})


@dataclass(frozen=True)
class PhotoIn:
    """A photo already saved: the platform's file id and the stored copy."""

    file_id: str | None = None
    sha256: str | None = None
    path: str | None = None
    platform: str | None = None  # whose file id it is


@dataclass
class Outcome:
    """What a transition did, and which contractor (if any) must be told now."""

    item: Item
    event: Event
    notify_contractor_id: int | None = None
    remaining_for_contractor: int | None = None
    photos: list[Photo] = field(default_factory=list)
    # (user id, language) of the contractor's people to tell now
    tell: list[tuple[int, str | None]] = field(default_factory=list)
    # Reassigned: the contractor it was taken from (who may have disputed it), and their people
    was_contractor_id: int | None = None
    tell_was: list[tuple[int, str | None]] = field(default_factory=list)


def acting_role(session: Session, *, user: AppUser, item: Item, move: Move) -> Role:
    """Return the role under which `user` may make `move` on `item`, or refuse."""
    if not user.active:
        raise DomainError("not_registered")
    memberships = session.exec(
        select(Membership).where(
            Membership.user_id == user.id, Membership.project_id == item.project_id
        )
    ).all()
    held = [m for m in memberships if m.role in move.roles]
    non_contractor = [m for m in held if m.role != Role.contractor]
    if non_contractor:
        return non_contractor[0].role
    if any(m.contractor_id == item.contractor_id for m in held):
        return Role.contractor
    if held:  # a contractor's move, but the item is another contractor's
        raise DomainError("not_your_item", item=item.id)
    raise DomainError("not_allowed")


def _checked(
    session: Session, *, user: AppUser, item_id: int, move: Move, expected_version: int | None
) -> tuple[Item, Role, Event | None]:
    """Return the item, the mover's role and the move undone (if any), or refuse.

    Refused: who, from which state, which version, and for an undo, what it would take back.
    """
    item = ids.get(session, Item, item_id)
    if item is None:
        raise ids.no_such_item(item_id)
    role = acting_role(session, user=user, item=item, move=move)
    if item.state not in move.sources:
        raise _refuse_state(item, move)
    if expected_version is not None and expected_version != item.version:
        raise DomainError("already_handled", item=item.id, state=item.state.value)
    undone = undone_move(session, user=user, item=item, move=move) if move.undoes else None
    return item, role, undone


def last_move(session: Session, *, item_id: int) -> Event | None:
    """Return the item's latest move (a correction moves nothing)."""
    return session.exec(
        select(Event)
        .where(Event.item_id == item_id, Event.action != Action.correct)
        .order_by(col(Event.at).desc(), col(Event.id).desc())
    ).first()


def undone_move(session: Session, *, user: AppUser, item: Item, move: Move) -> Event:
    """Return the move `move` takes back: the item's latest, of its kind, or refuse."""
    last = last_move(session, item_id=item.id)
    if last is None or last.action is not move.undoes or last.to_state is not item.state:
        raise DomainError("nothing_to_undo", item=item.id, state=item.state.value)
    if move.own_within is not None:
        if last.actor_id != user.id:
            raise DomainError("undo_not_yours", item=item.id)
        if clock.now() - clock.aware(last.at) > move.own_within:
            minutes = int(move.own_within.total_seconds() // 60)
            raise DomainError("undo_too_late", item=item.id, minutes=minutes)
    return last


def check_move(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    action: Action,
    expected_version: int | None = None,
) -> Item:
    """Refuse now a move that would be refused at the end (before asking for photos)."""
    user = user_for(session, user_id=user_id)
    item, _, _ = _checked(
        session, user=user, item_id=item_id, move=MOVES[action], expected_version=expected_version
    )
    return item


def check_move_line(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    action: Action,
    expected_version: int | None = None,
) -> ItemLine:
    """Refuse now a move that would be refused at the end; return the item (flat, location)."""
    check_move(
        session,
        user_id=user_id,
        item_id=item_id,
        action=action,
        expected_version=expected_version,
    )
    return item_line(session, item_id=item_id)


def _refuse_state(item: Item, move: Move) -> DomainError:
    if item.state in (S.open, S.rework):
        # Failed twice, or passed after a fail: the item is back with its contractor.
        return DomainError("waiting_for_repair", item=item.id, state=item.state.value)
    if item.state == move.target or item.state in (S.closed, S.cancelled):
        return DomainError("already_handled", item=item.id, state=item.state.value)
    return DomainError("wrong_state", item=item.id, state=item.state.value)


def apply_transition(
    session: Session,
    *,
    item_id: int,
    user: AppUser,
    action: Action,
    note: str | None = None,
    photos: Sequence[PhotoIn] = (),
    contractor_id: int | None = None,
    require_photo: bool = False,
    expected_version: int | None = None,
    at: datetime | None = None,
    source: str | None = None,
) -> Outcome:
    """Move one item by one action: check who and from where, write the event, update it."""
    move = MOVES.get(action)
    if move is None:
        raise DomainError("not_allowed")
    item, role, undone = _checked(
        session, user=user, item_id=item_id, move=move, expected_version=expected_version
    )
    note = check_note(note)
    if move.needs_note and not note:
        raise DomainError("reason_required")
    if source:  # where it was recorded from, added after the check: the person wrote the rest
        note = f"{note} ({source})" if note else source
    needs_photo = action is Action.report_repaired and role is Role.contractor and require_photo
    if needs_photo and not photos:
        raise DomainError("photo_required")
    new_contractor = was_contractor = item.contractor_id
    if action is Action.reassign:
        new_contractor = _check_reassign(session, item=item, contractor_id=contractor_id)

    at = at or clock.now()
    project = session.get(Project, item.project_id)
    day = clock.local_date(at, project.timezone)  # the site's day, not UTC's
    target = move.target if undone is None else undone.from_state
    values: dict[str, object] = {
        "state": target,
        "version": item.version + 1,
        "contractor_id": new_contractor,
        "closed_at": at if target is S.closed else None,
        "closed_on": day if target is S.closed else None,
    }
    if action in _DUE_AGAIN:
        values["due_on"] = due_again(item.due_on, day, project.rework_days)
    if action in (Action.pass_, Action.fail) and item.first_inspection is None:
        values["first_inspection"] = action.value
    if action in _REWORKS:
        values["rework_count"] = item.rework_count + 1
    if undone is not None:
        values.update(_taken_back(session, item=item, undone=undone, day=day, tz=project.timezone))
    # The version check makes two concurrent moves on one item serial: one wins.
    result = session.execute(
        update(Item)
        .where(col(Item.id) == item.id, col(Item.version) == item.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("already_handled", item=item_id, state="")
    event = Event(
        item_id=item.id,
        at=at,
        actor_id=user.id,
        action=action,
        from_state=item.state,
        to_state=target,
        contractor_id=new_contractor if action is Action.reassign else None,
        note=note,
        due_before=item.due_on if values.get("due_on", item.due_on) != item.due_on else None,
    )
    session.add(event)
    session.flush()
    stored = add_photos(session, item=item, event=event, photos=photos, at=at)
    session.refresh(item)
    tell = action in _TELL_CONTRACTOR or (action is Action.restore and target in TO_REPAIR)
    notify = item.contractor_id if tell else None
    remaining = None
    if action is Action.report_repaired:
        remaining = count_to_repair(session, contractor_id=item.contractor_id)
    outcome = Outcome(item, event, notify, remaining, stored)
    if action is Action.reassign:
        outcome.was_contractor_id = was_contractor
    return outcome


def _taken_back(
    session: Session, *, item: Item, undone: Event, day: date, tz: str
) -> dict[str, object]:
    """Return what the item had before the move undone: its due date, rework, first result."""
    values: dict[str, object] = {}
    if undone.action in _REWORKS:
        values["rework_count"] = max(0, item.rework_count - 1)
    if undone.due_before is not None:
        values["due_on"] = undone.due_before
    elif undone.action is Action.cancel and item.due_on is not None:
        # The days it spent cancelled were nobody's delay: the contractor keeps the time left.
        values["due_on"] = item.due_on + (day - clock.local_date(undone.at, tz))
    if undone.action in UNDO:
        results, undos = session.exec(
            select(
                func.count().filter(col(Event.action).in_(list(UNDO))),
                func.count().filter(col(Event.action).in_(list(UNDO.values()))),
            ).where(Event.item_id == item.id)
        ).one()
        if results - undos <= 1:  # the result undone was the only one standing: the first
            values["first_inspection"] = None
    return values


def due_again(due_on: date | None, day: date, rework_days: int) -> date:
    """Return the due date of an item back on a list on `day`: never sooner than it was."""
    fresh = day + timedelta(days=rework_days)
    return fresh if due_on is None else max(due_on, fresh)


def _check_reassign(session: Session, *, item: Item, contractor_id: int | None) -> int:
    contractor = ids.get(session, Contractor, contractor_id) if contractor_id else None
    if contractor is None or contractor.project_id != item.project_id:
        raise DomainError("no_such_contractor")
    if contractor.id == item.contractor_id:
        raise DomainError("same_contractor")
    return contractor.id


def add_photos(
    session: Session, *, item: Item, event: Event, photos: Sequence[PhotoIn], at: datetime
) -> list[Photo]:
    """Store the photos of an event (an item raised or moved), each file once."""
    # One file is one photo of a report, however often it was handed in (by its content).
    unique = {p.sha256 or f"#{n}": p for n, p in enumerate(photos)}
    stored = [
        Photo(
            event_id=event.id,
            item_id=item.id,
            file_id=p.file_id,
            platform=p.platform,
            sha256=p.sha256,
            path=p.path,
            created_at=at,
        )
        for p in unique.values()
    ]
    session.add_all(stored)
    session.flush()
    return stored


def count_to_repair(session: Session, *, contractor_id: int) -> int:
    """Count a contractor's items still to repair (open or rework)."""
    return session.exec(
        select(func.count())
        .select_from(Item)
        .where(Item.contractor_id == contractor_id, col(Item.state).in_([S.open, S.rework]))
    ).one()


def replay_state(events: Sequence[Event]) -> ItemState | None:
    """Return the state an item's events lead to, checking each step is a legal move."""
    state: ItemState | None = None
    last: Event | None = None  # the latest move, which an undo takes back
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        if event.action is Action.raise_:
            if state is not None:
                raise ValueError(f"item raised twice at event {event.id}")
        elif event.action is Action.correct:
            if state is None or event.to_state != state:
                raise ValueError(f"correction {event.id} moved the item")
        else:
            move = MOVES[event.action]
            target = move.target
            if move.undoes is not None:
                if last is None or last.action is not move.undoes:
                    raise ValueError(f"event {event.id} undoes no {move.undoes} move")
                target = last.from_state
            if state not in move.sources or event.to_state != target:
                raise ValueError(f"illegal step {state} -{event.action}-> {event.to_state}")
        if event.from_state != state:
            raise ValueError(f"event {event.id} starts from {event.from_state}, not {state}")
        state = event.to_state
        last = last if event.action is Action.correct else event
    return state


def act(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    action: Action,
    note: str | None = None,
    photos: Sequence[PhotoIn] = (),
    contractor_id: int | None = None,
    require_photo: bool = False,
    expected_version: int | None = None,
    source: str | None = None,
) -> Outcome:
    """Apply a transition asked for from a chat, and say whom to tell."""
    user = user_for(session, user_id=user_id)
    outcome = apply_transition(
        session,
        item_id=item_id,
        user=user,
        action=action,
        note=note,
        photos=photos,
        contractor_id=contractor_id,
        require_photo=require_photo,
        expected_version=expected_version,
        source=source,
    )
    if outcome.notify_contractor_id is not None:
        outcome.tell = _chats(session, outcome.notify_contractor_id)
    if outcome.was_contractor_id is not None:
        outcome.tell_was = _chats(session, outcome.was_contractor_id)
    return outcome


def _chats(session: Session, contractor_id: int) -> list[tuple[int, str | None]]:
    return [(u.id, u.language) for u in contractor_chats(session, contractor_id=contractor_id)]
