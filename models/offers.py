"""What a person may do on an item now: the moves its card offers them, and corrections.

The moves themselves, who may make them and from which state, are models/repair.py MOVES; this
asks them, so a button is offered exactly when pressing it would be allowed.
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, col, select

from models.errors import DomainError
from models.people import user_for
from models.queries import ItemCard, item_card
from models.repair import MOVES, acting_role, undone_move
from models.roles import WORK, Work
from models.tables import Action, AppUser, Item, ItemState, Membership, Role

S = ItemState


# The moves an item's card offers as buttons, and to whom: its contractor's own (Repaired, Not
# ours), the check (Pass, Fail) and a cancelled item's Restore. The office enters results
# written on paper with /done. (Correct, no move, is offered to whoever may correct.)
CARD_MOVES: dict[Action, frozenset[Role]] = {
    Action.report_repaired: WORK[Work.repair],
    Action.dispute: WORK[Work.repair],
    Action.pass_: WORK[Work.check],
    Action.fail: WORK[Work.check],
    Action.restore: WORK[Work.settle],
}


def offered_moves(
    session: Session,
    *,
    user: AppUser,
    item: Item,
    among: dict[Action, frozenset[Role]] | None = None,
) -> frozenset[Action]:
    """Return the moves this person may make on this item now (`among`: only these moves, made
    in these roles)."""
    offered = set()
    for action, move in MOVES.items():
        if item.state not in move.sources:
            continue
        if among is not None:
            if action not in among:
                continue
            move = dataclasses.replace(move, roles=move.roles & among[action])
        try:
            acting_role(session, user=user, item=item, move=move)
            if move.undoes:
                undone_move(session, user=user, item=item, move=move)
        except DomainError:
            continue
        offered.add(action)
    if may_correct(session, user=user, item=item):
        offered.add(Action.correct)
    return frozenset(offered)


def check_correct(session: Session, *, user: AppUser, item: Item) -> None:
    """Refuse unless this person may correct what was entered of this item, now."""
    if not user.active:
        raise DomainError("not_registered")
    held = session.exec(
        select(Membership.id).where(
            Membership.user_id == user.id,
            Membership.project_id == item.project_id,
            col(Membership.role).in_(WORK[Work.correct]),
        )
    ).first()
    if held is None:
        raise DomainError("not_allowed")
    if item.state is S.cancelled:  # its record is closed: restored first, then corrected
        raise DomainError("correct_cancelled", item=item.id)


def may_correct(session: Session, *, user: AppUser, item: Item) -> bool:
    """Tell whether this person may correct what was entered of this item, now."""
    try:
        check_correct(session, user=user, item=item)
    except DomainError:
        return False
    return True


def offered_card(session: Session, *, user_id: int, item_id: int) -> ItemCard:
    """Return an item's card for this person, with the moves its buttons offer them now."""
    card = item_card(session, user_id=user_id, item_id=item_id)
    item = session.get(Item, card.line.id)
    user = user_for(session, user_id=user_id)
    moves = offered_moves(session, user=user, item=item, among=CARD_MOVES)
    return dataclasses.replace(card, moves=moves)
