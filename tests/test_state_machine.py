"""The transition table holds for every action from every state, and catalogs are complete."""

from __future__ import annotations

import re
import string

import pytest
from sqlmodel import select

from handlers.i18n import CATALOGS
from models import people
from models.errors import DomainError
from models.repair import MOVES, PhotoIn, apply_transition, replay_state
from models.tables import Action, Event, Item, ItemState, Role
from tests.conftest import tg_user

S = ItemState
# The moves that lead from a new item to each state; the last one is what an undo takes back.
PATHS: dict[ItemState, tuple[Action, ...]] = {
    S.open: (),
    S.repaired: (Action.report_repaired,),
    S.rework: (Action.report_repaired, Action.fail),
    S.disputed: (Action.dispute,),
    S.closed: (Action.report_repaired, Action.pass_),
    S.cancelled: (Action.cancel,),
}
# Who makes each move of a path when the actor under test may not.
BY = {
    Action.report_repaired: 2001,
    Action.dispute: 2001,
    Action.fail: 1101,
    Action.pass_: 1101,
    Action.cancel: 1001,
}


def _start(db, item_id: int, state: ItemState, action: Action, actor: int) -> None:
    """Bring the item to `state`: straight for most moves, by real moves for an undo.

    An undo needs the move it takes back; the actor makes that one if they may (its own).
    """
    move = MOVES[action]
    if move.undoes is None:
        with db.session() as s:
            item = s.get(Item, item_id)
            item.state = state  # set up the starting state directly, for this table test only
            s.add(item)
        return
    path = PATHS[state]
    for step in path:
        own = step is path[-1] and step is move.undoes
        with db.session() as s:
            who = actor if own and MOVES[step].roles & tg_person_roles(s, actor) else BY[step]
            photos = [PhotoIn(file_id="f")] if step is Action.report_repaired else []
            apply_transition(
                s, item_id=item_id, user=tg_user(s, who), action=step, note="n", photos=photos
            )


def tg_person_roles(s, telegram_id: int) -> set[Role]:
    """Return the roles a Telegram person holds."""
    found = people.find_person(s, platform="telegram", account=str(telegram_id))
    return set(found.roles) if found else set()


def _expected(action: Action, state: ItemState) -> ItemState:
    """Return where a legal move from `state` leads: an undo, back before what it undoes."""
    move = MOVES[action]
    if move.target is not None:
        return move.target
    path = (S.open, *(MOVES[a].target for a in PATHS[state]))
    return path[-2]


@pytest.mark.parametrize("state", list(ItemState))
@pytest.mark.parametrize("action", list(MOVES))
def test_every_action_from_every_state(db, world, action, state):
    item_id = world.items["leak"]
    with db.session() as s:
        boss = people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(4242),
            name="All roles",
            roles=list(Role),
            contractor_id=world.huajian,
        )
    _start(db, item_id, state, action, 4242)
    with db.session() as s:
        boss = tg_user(s, 4242)
        kwargs = dict(note="because", photos=[PhotoIn(file_id="f")], contractor_id=world.mingda)
        if state in MOVES[action].sources:
            outcome = apply_transition(s, item_id=item_id, user=boss, action=action, **kwargs)
            assert outcome.item.state is _expected(action, state)
            assert outcome.event.from_state is state
        else:
            with pytest.raises(DomainError) as refused:
                apply_transition(s, item_id=item_id, user=boss, action=action, **kwargs)
            if state in (ItemState.open, ItemState.rework):
                # back with its contractor: "waiting for repair", not "already handled"
                assert refused.value.key == "waiting_for_repair"
            else:
                assert refused.value.key in ("already_handled", "wrong_state")
            assert s.get(Item, item_id).state is state


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(MOVES))
def test_each_move_is_made_by_its_roles_only(db, world, action, role):
    """One actor holding one role (a contractor is the item's own): allowed iff MOVES says so."""
    item_id, move = world.items["leak"], MOVES[action]
    start = sorted(move.sources)[0]
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(4343),
            name="One role",
            roles=[role],
            contractor_id=world.huajian if role is Role.contractor else None,
        )
    _start(db, item_id, start, action, 4343)
    with db.session() as s:
        actor = tg_user(s, 4343)
        kwargs = dict(note="because", photos=[PhotoIn(file_id="f")], contractor_id=world.mingda)
        if role in move.roles:
            outcome = apply_transition(s, item_id=item_id, user=actor, action=action, **kwargs)
            expected = (start, _expected(action, start))
            assert (outcome.event.from_state, outcome.item.state) == expected
        else:
            with pytest.raises(DomainError) as refused:
                apply_transition(s, item_id=item_id, user=actor, action=action, **kwargs)
            assert refused.value.key == "not_allowed"
            assert s.get(Item, item_id).state is start


def test_a_rejected_dispute_replays_back_to_open_with_the_same_contractor(db, world):
    item_id = world.items["leak"]
    with db.session() as s:
        wang = tg_user(s, 2001)
        chen = tg_user(s, 1001)
        apply_transition(s, item_id=item_id, user=wang, action=Action.dispute, note="not ours")
        out = apply_transition(
            s, item_id=item_id, user=chen, action=Action.reject_dispute, note="it is yours"
        )
        assert out.notify_contractor_id == world.huajian  # told at once
        with pytest.raises(DomainError) as refused:
            apply_transition(s, item_id=item_id, user=chen, action=Action.reject_dispute, note="x")
        assert refused.value.key == "waiting_for_repair"  # back on the contractor's list
        with pytest.raises(DomainError) as no_reason:
            apply_transition(s, item_id=item_id, user=wang, action=Action.dispute, note="again")
            apply_transition(s, item_id=item_id, user=chen, action=Action.reject_dispute)
        assert no_reason.value.key == "reason_required"
        events = s.exec(select(Event).where(Event.item_id == item_id)).all()
        assert replay_state(events) is ItemState.disputed
        assert s.get(Item, item_id).contractor_id == world.huajian
    # A step the table does not have does not replay.
    bad = [e for e in events if e.action is not Action.dispute]
    with pytest.raises(ValueError):
        replay_state(bad)


def test_rework_counts_fail_and_reopen(db, world):
    item_id = world.items["leak"]
    with db.session() as s:
        wang = tg_user(s, 2001)
        li = tg_user(s, 1101)
        chen = tg_user(s, 1001)
        for user, action in (
            (wang, Action.report_repaired),
            (li, Action.fail),
            (wang, Action.report_repaired),
            (li, Action.pass_),
            (chen, Action.reopen),
        ):
            apply_transition(s, item_id=item_id, user=user, action=action, note="n")
        item = s.get(Item, item_id)
        assert item.state is ItemState.rework and item.rework_count == 2
        assert item.closed_at is None


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders():
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    assert set(zh) == set(en)
    for key in en:
        assert _fields(zh[key]) == _fields(en[key]), key


def test_every_refusal_the_domain_raises_has_a_text():
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent / "models"
    raised = set()
    for path in root.glob("*.py"):
        raised |= set(re.findall(r'DomainError\(\s*"([a-z_]+)"', path.read_text()))
    assert raised, "found no refusals: the pattern is wrong"
    missing = {k for k in raised if f"error.{k}" not in CATALOGS["en"]}
    assert not missing


def test_every_state_action_and_role_has_a_text():
    names = [f"state.{s.value}" for s in ItemState]
    names += [f"action.{a.value}" for a in Action] + [f"role.{r.value}" for r in Role]
    assert [n for n in names if n not in CATALOGS["zh"]] == []  # the export's names too


def test_no_text_is_defined_twice_across_catalog_modules():
    import importlib

    from handlers.i18n import FLOW_TEXTS
    from handlers.texts import en

    seen: dict[str, str] = {key: "en" for key in en.TEXTS}
    clashes = []
    for name in FLOW_TEXTS:
        for key in importlib.import_module(f"handlers.texts.{name}").EN:
            if key in seen:
                clashes.append((key, seen[key], name))
            seen[key] = name
    assert clashes == []
