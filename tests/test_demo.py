"""Tests for the demo database builder."""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from demo import (
    ADMIN_ID,
    CLERK_ID,
    FIRST_CONTRACTOR_ID,
    INSPECTOR_IDS,
    MANAGER_ID,
    PROJECT_NAME,
    SERVICE_ID,
    build_demo,
)
from models import clock
from models.db import Database
from models.errors import DomainError
from models.intake import pick_contractor
from models.project import category_by_code, create_project, is_demo
from models.queries import contractor_list
from models.repair import replay_state
from models.tables import (
    Action,
    AppUser,
    AssignmentRule,
    Contractor,
    Event,
    Item,
    ItemState,
    Membership,
    Project,
    Role,
    Unit,
)
from models.units import parse_unit_code
from tests.conftest import tg, tg_person

TODAY = date(2025, 5, 20)
TZ = ZoneInfo("Asia/Shanghai")


def _db(path) -> Database:
    db = Database(f"sqlite:///{path}/demo.db")
    db.migrate()
    return db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = _db(tmp_path_factory.mktemp("demo"))
    calls: list[tuple[int, int]] = []
    summary = build_demo(db, items=300, today=TODAY, progress=lambda d, t: calls.append((d, t)))
    yield db, summary, calls
    db.dispose()


def _items_and_events(db: Database) -> tuple[list[Item], dict[int, list[Event]]]:
    with db.session() as s:
        items = list(s.exec(select(Item).order_by(Item.id)).all())
        events: dict[int, list[Event]] = defaultdict(list)
        for e in s.exec(select(Event).order_by(Event.at, Event.id)).all():
            events[e.item_id].append(e)
    return items, events


def _snapshot(db: Database) -> list[tuple]:
    with db.session() as s:
        rows = s.exec(
            select(Unit.code, Item.location, Item.description, Item.sheet_no, Item.state)
            .join(Unit, Item.unit_id == Unit.id)
            .order_by(Item.id)
        ).all()
    return [tuple(r) for r in rows]


def test_every_state_present_in_a_realistic_mix(built):
    db, summary, _ = built
    assert summary.items == 300
    assert all(summary.items_by_state[s] > 0 for s in ItemState), summary.items_by_state
    with db.session() as s:
        counts = dict(s.exec(select(Item.state, func.count()).group_by(Item.state)).all())
    assert counts == summary.items_by_state
    assert sum(counts.values()) == 300
    # A month into handover most items are closed.
    assert max(counts, key=counts.get) is ItemState.closed
    assert counts[ItemState.closed] > 150


def test_rework_items_count_their_failures(built):
    db, _, _ = built
    items, events = _items_and_events(db)
    rework = [i for i in items if i.state is ItemState.rework]
    assert rework
    assert all(i.rework_count >= 1 for i in rework)
    for item in items:
        returns = [e for e in events[item.id] if e.action in (Action.fail, Action.reopen)]
        assert item.rework_count == len(returns), item.id
        assert all(e.note for e in returns)
    assert max(i.rework_count for i in items) <= 3
    fails = [e for ev in events.values() for e in ev if e.action is Action.fail]
    assert any(e.note == "仍有渗水" or "渗" in e.note for e in fails)


def test_each_state_is_the_replay_of_its_events(built):
    db, _, _ = built
    items, events = _items_and_events(db)
    assert len(events) == len(items)
    for item in items:
        assert replay_state(events[item.id]) is item.state, item.id
        assert (item.closed_at is not None) == (item.state is ItemState.closed)
        assert item.version == len(events[item.id]) - 1


def test_every_action_is_made_by_the_right_role(built):
    db, _, _ = built
    items, events = _items_and_events(db)
    with db.session() as s:
        roles: dict[int, set[Role]] = defaultdict(set)
        firm_of: dict[int, int] = {}
        for m in s.exec(select(Membership)).all():
            roles[m.user_id].add(m.role)
            if m.role is Role.contractor:
                firm_of[m.user_id] = m.contractor_id
    expected = {
        Action.raise_: Role.clerk,
        Action.pass_: Role.inspector,
        Action.fail: Role.inspector,
        Action.cancel: Role.admin,
        Action.reassign: Role.admin,
        Action.reopen: Role.service,
        Action.report_repaired: Role.contractor,
        Action.dispute: Role.contractor,
    }
    seen = Counter()
    for item in items:
        contractor = None
        for e in events[item.id]:
            seen[e.action] += 1
            assert expected[e.action] in roles[e.actor_id], (item.id, e.action)
            if e.action in (Action.raise_, Action.reassign):
                contractor = e.contractor_id
            if expected[e.action] is Role.contractor:
                # Only a user of the contractor holding the item at that moment may act.
                assert firm_of[e.actor_id] == contractor, (item.id, e.action)
        assert contractor == item.contractor_id
    # Reassign and reopen are rare enough that a small demo may lack them.
    assert set(expected) - {Action.reassign, Action.reopen} <= set(seen), seen


def test_items_span_the_last_month_and_no_event_is_in_the_future(built):
    db, _, _ = built
    items, events = _items_and_events(db)
    cutoff = datetime.combine(TODAY, time(18), TZ)
    raised = {i.raised_on for i in items}
    assert min(raised) >= TODAY - timedelta(days=29)
    assert max(raised) <= TODAY
    assert len(raised) > 20
    for item in items:
        # Sheets are entered the same day as the walk-through.
        entered_local = item.entered_at.astimezone(TZ)
        assert entered_local.date() == item.raised_on
        times = [e.at for e in events[item.id]]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert times[-1] < cutoff
        assert item.sheet_no and item.location and item.description
    assert len({i.sheet_no for i in items}) < len(items) / 2
    assert any("渗水" in i.description for i in items)


def test_contractor_sees_only_its_items_overdue_then_rework_then_oldest(built):
    db, summary, _ = built
    contractor_personas = [p for p in summary.personas if "contractor" in p.role]
    assert len(contractor_personas) >= 8
    with db.session() as s:
        all_to_do = s.exec(
            select(func.count()).where(Item.state.in_([ItemState.open, ItemState.rework]))
        ).one()
        checked = 0
        for persona in contractor_personas:
            person = tg_person(s, persona.telegram_id)
            assert person is not None and len(person.contractor_ids) == 1
            page = contractor_list(s, user_id=tg(s, persona.telegram_id), page_size=10_000)
            mine = s.exec(
                select(func.count()).where(
                    Item.contractor_id.in_(person.contractor_ids),
                    Item.state.in_([ItemState.open, ItemState.rework]),
                )
            ).one()
            assert page.total == mine == len(page.items)
            assert all(line.contractor_id in person.contractor_ids for line in page.items)
            assert all(line.state in (ItemState.open, ItemState.rework) for line in page.items)
            keys = [
                (not line.overdue, not line.is_rework, line.raised_on, line.id)
                for line in page.items
            ]
            assert keys == sorted(keys)
            checked += bool(page.items)
        assert checked >= 3
        assert page.total < all_to_do


def test_people_rules_and_flats(built):
    db, summary, _ = built
    assert summary.project == PROJECT_NAME
    assert summary.contractors == 8
    assert 300 <= summary.units <= 1000
    ids = {p.telegram_id for p in summary.personas}
    assert {ADMIN_ID, CLERK_ID, *INSPECTOR_IDS, MANAGER_ID, SERVICE_ID, FIRST_CONTRACTOR_ID} <= ids
    assert len(ids) == len(summary.personas) == summary.users
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(Project)).one() == 1
        users = s.exec(select(AppUser)).all()
        assert {u.language for u in users} == {"zh", "en"}
        held = {m.role for m in s.exec(select(Membership)).all()}
        assert held == set(Role)
        for persona in summary.personas:
            assert tg_person(s, persona.telegram_id) is not None
        firms = s.exec(select(Contractor)).all()
        assert all(f.contact and f.trades for f in firms)
        crewed = s.exec(select(Membership.contractor_id).where(Membership.role == Role.contractor))
        assert set(crewed.all()) == {f.id for f in firms}
        units = s.exec(select(Unit)).all()
        assert all(parse_unit_code(u.code).code == u.code for u in units)
        owned = [u for u in units if u.owner_name]
        assert len(owned) > len(units) * 0.8
        assert all(len(u.owner_phone) == 11 and u.owner_phone[0] == "1" for u in owned)
        # A building rule beats the project-wide rule for the same category.
        project_id = summary.project_id
        leak = category_by_code(s, project_id=project_id, code="leak")
        scoped = s.exec(
            select(AssignmentRule).where(
                AssignmentRule.category_id == leak.id, AssignmentRule.building == "5"
            )
        ).one()
        wide = s.exec(
            select(AssignmentRule).where(
                AssignmentRule.category_id == leak.id, AssignmentRule.building.is_(None)
            )
        ).one()
        assert scoped.contractor_id != wide.contractor_id
        for building, expected in (("5", scoped.contractor_id), ("1", wide.contractor_id)):
            picked = pick_contractor(
                s, project_id=project_id, category_id=leak.id, building=building
            )
            assert picked == expected


def test_progress_is_reported_up_to_the_total(built):
    _, _, calls = built
    assert len(calls) >= 3
    totals = {t for _, t in calls}
    assert len(totals) == 1
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1]


def test_rebuild_replaces_the_demo_and_is_reproducible(tmp_path):
    db = _db(tmp_path)
    first = build_demo(db, items=80, today=TODAY)
    before = _snapshot(db)
    second = build_demo(db, items=80, today=TODAY)
    assert _snapshot(db) == before
    assert second.items_by_state == first.items_by_state
    with db.session() as s:
        assert is_demo(s)
        assert s.exec(select(func.count()).select_from(Project)).one() == 1
        assert s.exec(select(func.count()).select_from(Item)).one() == 80
        assert s.exec(select(func.count()).select_from(Unit)).one() == first.units
        assert s.exec(select(func.count()).select_from(AppUser)).one() == first.users
    other = build_demo(db, seed=8, items=80, today=TODAY)
    assert other.items == 80
    assert _snapshot(db) != before
    db.dispose()


def test_refuses_a_database_with_a_real_project(tmp_path):
    db = _db(tmp_path)
    with db.session() as s:
        create_project(s, name="真实项目")
    with pytest.raises(DomainError) as refused:
        build_demo(db, items=20, today=TODAY)
    assert refused.value.key == "not_demo_database"
    with db.session() as s:
        assert not is_demo(s)
        assert [p.name for p in s.exec(select(Project)).all()] == ["真实项目"]
        assert s.exec(select(func.count()).select_from(Item)).one() == 0
    db.dispose()


def test_built_for_now_has_no_event_after_now(tmp_path):
    db = _db(tmp_path)
    summary = build_demo(db, items=60)
    now = clock.now()  # the pinned clock, ticking: the demo builds up to its "now"
    with db.session() as s:
        latest = s.exec(select(func.max(Event.at))).one()
        raised = s.exec(select(func.max(Item.raised_on))).one()
    assert clock.aware(latest) <= now
    assert raised <= clock.today("Asia/Shanghai")
    assert summary.items == 60
    db.dispose()


def test_a_real_project_added_to_a_demo_database_is_never_wiped(tmp_path):
    db = _db(tmp_path)
    build_demo(db, items=20, today=TODAY)
    with db.session() as s:
        create_project(s, name="真实项目")
    with pytest.raises(DomainError) as refused:
        build_demo(db, items=20, today=TODAY)
    assert refused.value.key == "not_demo_database"
    with db.session() as s:
        assert "真实项目" in [p.name for p in s.exec(select(Project)).all()]
        assert s.exec(select(func.count()).select_from(Item)).one() == 20
    db.dispose()
