"""The demo's month: handover visits and their sheets, each item's life until now, and the
steps that replay it through the real domain functions at their planned times."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from demo.cast import Cast
from demo.words import (
    CANCEL_NOTES,
    CATEGORY_WEIGHTS,
    DEFECTS,
    DISPUTES,
    FAIL_REASONS,
    OWNER_ALTERATION,
    REOPEN_DEFAULT,
    REOPEN_NOTES,
    REPAIR_NOTES,
)
from models.intake import raise_item
from models.repair import MOVES, apply_transition
from models.tables import Action, AppUser, Item, ItemState

DAYS = 30  # days of handover visits, ending today

# The chance an acceptance fails (times the firm's sloppiness, less on each retry).
_FAIL_RATE = {
    "leak": 0.28,
    "wall": 0.15,
    "door_window": 0.12,
    "plumbing_electric": 0.10,
    "floor": 0.15,
    "tile": 0.18,
    "other": 0.05,
}

# The chance an item is cancelled, disputed, or reopened after it passed.
_CANCEL_RATE = 0.015
_DISPUTE_RATE = 0.03
_REOPEN_RATE = {"leak": 0.06}
_REOPEN_DEFAULT_RATE = 0.01


@dataclass
class Step:
    """One planned transition of an item: when, what, by whom."""

    at: datetime  # local time of the project
    action: Action
    actor: AppUser
    note: str | None = None
    contractor_id: int | None = None  # the new contractor of a reassign


@dataclass
class Plan:
    """One item to enter, and the life it will have been through by now."""

    unit_code: str
    building: str
    location: str
    category: str
    description: str
    raised_on: date
    sheet_no: str
    entered: datetime
    contractor_id: int
    steps: list[Step] = field(default_factory=list)
    item: Item | None = None  # held so the session's identity map keeps it


def _day_weight(index: int, day: date) -> float:
    """How busy handover was that day: a big first weekend, then tailing off."""
    weight = 6.0 if index < 3 else 1.0 + 2.5 * 0.88**index
    return weight * (1.7 if day.weekday() >= 5 else 1.0)


def plan_items(
    cast: Cast,
    units: list[tuple[str, str, bool]],
    rng: random.Random,
    *,
    items: int,
    today: date,
    now: datetime,
) -> list[Plan]:
    """Plan the handover visits, their sheets and items, and each item's life until now."""
    tz = now.tzinfo
    first = today - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=i) for i in range(DAYS)]
    weights = [_day_weight(i, d) for i, d in enumerate(days)]
    # The clerk enters a day's sheets from 17:00; today's only count if that is past.
    if now < datetime.combine(today, time(17, 30), tz):
        weights[-1] = 0.0
    visited = [(code, building) for code, building, owned in units if owned]
    rng.shuffle(visited)
    visits: list[tuple[date, float, str, str, int]] = []
    remaining, turn = items, 0
    while remaining > 0:
        # Owners who come back for a second walk-through get a second sheet.
        code, building = visited[turn % len(visited)]
        turn += 1
        size = min(
            remaining,
            rng.choices(range(1, 13), weights=(6, 9, 12, 13, 12, 10, 8, 6, 4, 3, 2, 2))[0],
        )
        remaining -= size
        day = rng.choices(days, weights=weights)[0]
        visits.append((day, rng.random(), code, building, size))
    visits.sort()
    plans: list[Plan] = []
    seq: Counter[date] = Counter()
    for day, _order, code, building, size in visits:
        seq[day] += 1
        sheet_no = f"KF{day:%y%m%d}-{seq[day]:03d}"
        end = min(datetime.combine(day, time(21, 30), tz), now - timedelta(minutes=30))
        start = datetime.combine(day, time(17, 0), tz)
        entered = start + (end - start) * rng.random()
        seen: set[tuple[str, str]] = set()
        for _ in range(size):
            category, location, description = _defect(rng)
            for _retry in range(5):  # one sheet never lists the same defect twice
                if (location, description) not in seen:
                    break
                category, location, description = _defect(rng)
            if (location, description) in seen:
                continue
            seen.add((location, description))
            entered += timedelta(seconds=rng.uniform(30, 90))
            plan = Plan(
                unit_code=code,
                building=building,
                location=location,
                category=category,
                description=description,
                raised_on=day,
                sheet_no=sheet_no,
                entered=entered,
                contractor_id=cast.rules[(category, building)],
            )
            _plan_life(plan, cast, rng, now)
            plans.append(plan)
    return plans


def _defect(rng: random.Random) -> tuple[str, str, str]:
    """Pick a category, a place in the flat and a defect description."""
    category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
    template, places = rng.choice(DEFECTS[category])
    description = template.format(
        side=rng.choice("东南西北") + "侧",
        area=rng.choice(("0.2", "0.3", "0.5", "0.8", "1", "1.5")),
        cm=rng.randrange(10, 90, 5),
        mm=rng.randrange(4, 12),
        n=rng.randrange(2, 6),
    )
    return category, rng.choice(places), description


def _working(t: datetime, rng: random.Random, start: int = 8, end: int = 18) -> datetime:
    """Move a time forward into working hours."""
    if t.hour < start:
        return t.replace(hour=start, minute=rng.randrange(60), second=rng.randrange(60))
    if t.hour >= end:
        t += timedelta(days=1)
        return t.replace(hour=start, minute=rng.randrange(60), second=rng.randrange(60))
    return t


def _plan_life(plan: Plan, cast: Cast, rng: random.Random, now: datetime) -> None:
    """Plan what happened to one item from its entry until now."""
    steps: list[Step] = []
    t = plan.entered
    contractor = plan.contractor_id
    category = plan.category

    def step(
        days: float,
        action: Action,
        actor: AppUser,
        note: str | None = None,
        contractor_id: int | None = None,
        hours: tuple[int, int] = (8, 18),
    ) -> None:
        """Add the next step, `days` after the last one, within working hours."""
        nonlocal t
        t = _working(t + timedelta(days=max(0.1, days)), rng, *hours)
        steps.append(Step(t, action, actor, note, contractor_id))

    def crew() -> AppUser:
        """Pick a user of the contractor now holding the item."""
        return rng.choice(cast.crews[contractor])

    roll = rng.random()
    if roll < _CANCEL_RATE:
        step(rng.uniform(0.1, 2.5), Action.cancel, cast.admin, rng.choice(CANCEL_NOTES))
        plan.steps = [s for s in steps if s.at < now]
        return
    if roll < _CANCEL_RATE + _DISPUTE_RATE:
        note, belongs_to = DISPUTES[category]
        step(rng.uniform(0.3, 3), Action.dispute, crew(), note)
        # Disputes wait for the project department, often its weekly meeting.
        if rng.random() < 0.25:
            step(rng.uniform(1, 7), Action.cancel, cast.admin, OWNER_ALTERATION)
            plan.steps = [s for s in steps if s.at < now]
            return
        new = cast.rules[(belongs_to, plan.building)]
        if new == contractor:
            new = (
                cast.by_key["general"]
                if contractor != cast.by_key["general"]
                else (cast.rules[("wall", plan.building)])
            )
        contractor = new
        name = cast.firms[new].name
        step(rng.uniform(1, 7), Action.reassign, cast.admin, f"经现场核实,改由{name}整改", new)
    attempt, reopened = 0, False
    firm = cast.firms[contractor]
    while t < now:
        # A flagged rework item is turned round faster than a new one.
        mean = firm.speed * (0.5 if attempt else 1.0) + (1.0 if category == "leak" else 0.0)
        step(
            0.2 + rng.expovariate(1 / mean),
            Action.report_repaired,
            crew(),
            rng.choice(REPAIR_NOTES[category]),
        )
        inspector = rng.choice(cast.inspectors)
        check = 0.2 + rng.expovariate(1 / 1.2)
        if attempt < 2 and rng.random() < _FAIL_RATE[category] * firm.sloppiness * 0.55**attempt:
            step(check, Action.fail, inspector, rng.choice(FAIL_REASONS[category]))
            attempt += 1
            continue
        step(check, Action.pass_, inspector)
        if not reopened and rng.random() < _REOPEN_RATE.get(category, _REOPEN_DEFAULT_RATE):
            note = REOPEN_NOTES.get(category, REOPEN_DEFAULT)
            step(rng.uniform(2, 10), Action.reopen, cast.service, note, hours=(9, 20))
            reopened, attempt = True, attempt + 1
            continue
        break
    plan.steps = [s for s in steps if s.at < now]


def _final_state(plan: Plan) -> ItemState:
    """Return the state the plan leaves its item in."""
    return MOVES[plan.steps[-1].action].target if plan.steps else ItemState.open


def ensure_every_state(plans: list[Plan], cast: Cast, now: datetime) -> None:
    """Rewrite a few recent items' lives so that every state shows in the demo."""
    counts = Counter(_final_state(p) for p in plans)
    if not counts:
        return
    for missing in [s for s in ItemState if counts[s] == 0]:
        # Take the most recent item of the most common state, so no other state empties.
        common = counts.most_common(1)[0][0]
        if counts[common] < 2:
            return
        plan = next(p for p in reversed(plans) if _final_state(p) is common)
        crew = cast.crews[plan.contractor_id][0]
        inspector = cast.inspectors[0]
        actions = {
            ItemState.open: [],
            ItemState.repaired: [(Action.report_repaired, crew, "已处理")],
            ItemState.rework: [
                (Action.report_repaired, crew, "已处理"),
                (Action.fail, inspector, FAIL_REASONS[plan.category][0]),
            ],
            ItemState.disputed: [(Action.dispute, crew, DISPUTES[plan.category][0])],
            ItemState.closed: [
                (Action.report_repaired, crew, "已处理"),
                (Action.pass_, inspector, None),
            ],
            ItemState.cancelled: [(Action.cancel, cast.admin, CANCEL_NOTES[0])],
        }[missing]
        gap = (now - plan.entered) / (len(actions) + 1)
        plan.steps = [
            Step(plan.entered + gap * (n + 1), action, actor, note)
            for n, (action, actor, note) in enumerate(actions)
        ]
        counts[common] -= 1
        counts[missing] += 1


def apply_step(session: Session, project_id: int, plan: Plan, k: int, cast: Cast) -> None:
    """Enter the item (k < 0) or make its k-th transition, at its planned time."""
    if k < 0:
        plan.item = raise_item(
            session,
            project_id=project_id,
            unit_code=plan.unit_code,
            location=plan.location,
            category_code=plan.category,
            description=plan.description,
            raised_on=plan.raised_on,
            user=cast.clerk,
            sheet_no=plan.sheet_no,
            at=plan.entered.astimezone(UTC),
        )
        return
    step = plan.steps[k]
    apply_transition(
        session,
        item_id=plan.item.id,
        user=step.actor,
        action=step.action,
        note=step.note,
        contractor_id=step.contractor_id,
        require_photo=False,
        at=step.at.astimezone(UTC),
    )
