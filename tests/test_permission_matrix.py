"""The permission matrix: every command and every kind of button, for every role, a stranger
and another project's admin, with data forged to point at items they may not touch, and
malformed data. No wrong grant, no crash, a clear answer.

The cells come from the registries (the router's commands and button kinds, models' roles),
so a command or button added tomorrow is tried too; the counts are asserted so a registry
that shrinks is noticed. Each input goes through the one core every platform feeds
(handlers/core.py; Telegram's and WeCom's forged presses are in test_impossible_ids.py).

"No wrong grant" is judged against the rules in models, not a copy of them: every change an
input made must be one its actor may make (models/repair.py MOVES and models/roles.py WORK):
a move from a state it leaves, by a role it names, in the item's own project (and by the
item's own contractor where only the contractor role allows it); roles and invites only by
who may manage people there; a dialogue or a lookup only the actor's own. Anything else that
changed is a wrong grant.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from bot.telegram.adapter import LIMITS
from handlers import buttons, flows
from handlers.buttons import Button, SetRole
from handlers.core import Core
from handlers.i18n import t
from handlers.screens import Incoming, Reply
from models import people
from models import project as setup
from models.db import Database
from models.dialogue import Dialogue as Talk
from models.dialogue import save_dialogue
from models.intake import raise_item
from models.repair import MOVES
from models.roles import WORK, Work
from models.tables import (
    Action,
    Event,
    Item,
    ItemState,
    Membership,
    Platform,
    Role,
)
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    SERVICE,
    STRANGER,
    OfflineUser,
    World,
    move,
    tg,
)
from tests.probes import changed, rows
from tests.test_core import Scripted


class Telegramish(Scripted):
    """The core's platform for the matrix: Telegram's limits, no files."""

    limits = LIMITS


CLERK = OfflineUser(id=1002, first_name="Xu", language_code="en")
OTHER_ADMIN = OfflineUser(id=3001, first_name="Qian", language_code="en")
# One actor per role of the product, a stranger, and the admin of another project.
ROLE_ACTORS = {
    Role.admin: ADMIN,
    Role.clerk: CLERK,
    Role.contractor: CONTRACTOR_A,
    Role.inspector: INSPECTOR,
    Role.manager: MANAGER,
    Role.service: SERVICE,
}
ACTORS = {
    **{role.value: user for role, user in ROLE_ACTORS.items()},
    "stranger": STRANGER,
    "other project's admin": OTHER_ADMIN,
}
TARGETS = ("other contractor's", "cancelled", "closed", "other project's")
JUNK = ("<b>'; DROP TABLE item;--\x00\u202e" + "垃圾" * 20).encode()[:64].decode(errors="ignore")
MALFORMED = {
    "empty": "",
    "negative": "-1",
    "12 digits": "9" * 12,
    "22 digits": "9" * 22,
    "Arabic-Indic digit": "\u0663",  # ٣
    "full-width digit": "\uff13",  # ３
    "64 bytes of junk": JUNK,
}
# Tables no input may touch but through the rules checked below; the rest are logs of sends.
QUIET = frozenset({"inboundseen", "pushrun", "pushlog", "noticelog", "sendplace"})
EVENTS = -4  # where the fingerprint holds the last event's id

# A role given that is held already (or taken that is not) says nothing: the person's screen
# already shows it (handlers/admin.py change_role); the press is acknowledged all the same.
SILENT = (SetRole,)

ROUTER = flows.router()
KINDS: list[type[Button]] = [p.kind for p in ROUTER.presses]
COMMANDS = sorted(ROUTER.commands)


def _numbered(kind: type[Button]) -> list[str]:
    return [f.name for f in kind._declared() if f.kind is int]


# -- the cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One thing tried: a button's data or a command's text."""

    what: str  # "press" or "command"
    payload: str
    label: str
    stale: bool = False  # data no kind of button may take: refused in one place, as stale


def target_cells(ids: dict[str, dict[str, int]]) -> list[Cell]:
    """Every numbered kind of button, its numbers pointing at each target, then every command
    naming each target item."""
    cells = []
    for kind in KINDS:
        numbered = _numbered(kind)
        if not numbered:
            continue
        for target in TARGETS:
            values = {name: ids[target].get(name, 1) for name in numbered}
            data = dataclasses.replace(kind.largest(), **values).data()
            cells.append(Cell("press", data, f"{kind.__name__} on the {target} item"))
    for name in COMMANDS:
        for target in TARGETS:
            cells.append(
                Cell("command", f"/{name} {ids[target]['item_id']} 理由", f"/{name} {target}")
            )
    return cells


def malformed_cells() -> list[Cell]:
    """Every kind of button with each malformed value in its first field (or after its
    prefix), every command with each as its argument, and a press carrying nothing."""
    cells = [Cell("press", "", "a press with no data", stale=True)]
    for kind in KINDS:
        prefix = kind.prefix
        data = kind.largest().data()
        rest = data[len(prefix) + 1 :].split(":") if data != prefix else []
        for what, bad in MALFORMED.items():
            forged = ":".join([prefix, bad, *rest[1:]])
            # Twelve digits are an id a button may carry: the flow answers "no such ...".
            stale = what != "12 digits"
            cells.append(Cell("press", forged, f"{kind.__name__} with {what}", stale))
    for name in COMMANDS:
        cells.append(Cell("command", f"/{name}", f"/{name} alone"))  # also "empty"
        for what, bad in MALFORMED.items():
            if bad:
                cells.append(Cell("command", f"/{name} {bad}", f"/{name} {what}"))
    return cells


# -- the world the cells run in --------------------------------------------------------------


@dataclass
class Stage:
    """The small world, another project, and the items the forged data points at."""

    world: World
    other_project: int
    other_contractor: int
    ids: dict[str, dict[str, int]]


_RAISED = itertools.count(1)


def _raise(s: Any, project_id: int, unit: str, category: str, today: Any) -> Item:
    return raise_item(
        s,
        project_id=project_id,
        unit_code=unit,
        location="kitchen",
        category_code=category,
        description=f"forged at, {next(_RAISED)}",
        raised_on=today,
    )


def _fields_of(s: Any, item_id: int, member: int) -> dict[str, int]:
    item = s.get(Item, item_id)
    return {
        "item_id": item.id,
        "version": item.version,
        "contractor_id": item.contractor_id,
        "unit_id": item.unit_id,
        "category_id": item.category_id,
        "project_id": item.project_id,
        "user_id": member,
        "search_id": 1,
        "page": 1,
        "roles": 1,
    }


def make_targets(db: Database, stage: Stage, today: Any) -> None:
    """Raise fresh items in the states the forged data points at (after a legal move took one)."""
    with db.session() as s:
        p = stage.world.project_id
        cancelled = _raise(s, p, "3-1-502", "wall", today).id
        closed = _raise(s, p, "3-1-502", "leak", today).id
    move(db, cancelled, ADMIN.id, Action.cancel, "duplicate")
    move(db, closed, CONTRACTOR_A.id, Action.report_repaired, "done")
    move(db, closed, INSPECTOR.id, Action.pass_)
    with db.session() as s:
        other = _raise(s, stage.other_project, "1-1-101", "leak", today).id
        b, qian = tg(s, CONTRACTOR_B.id), tg(s, OTHER_ADMIN.id)
        stage.ids = {
            "other contractor's": _fields_of(s, stage.world.items["socket"], b),
            "cancelled": _fields_of(s, cancelled, b),
            "closed": _fields_of(s, closed, b),
            "other project's": _fields_of(s, other, qian),
        }
        assert s.get(Item, cancelled).state is ItemState.cancelled
        assert s.get(Item, closed).state is ItemState.closed


@pytest.fixture
def stage(db: Database, world: World, today: Any) -> Stage:
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform=Platform.telegram,
            account=str(CLERK.id),
            name="Xu",
            roles=[Role.clerk],
        )
        other = setup.create_project(s, name="Hillside 2")
        builder = setup.add_contractor(s, project_id=other.id, name="远方建设", trades="leak")
        setup.add_unit(s, project_id=other.id, code="1-1-101", owner_name="业主", owner_phone="2")
        setup.set_rule(s, project_id=other.id, category_code="leak", contractor_id=builder.id)
        people.add_member(
            s,
            project_id=other.id,
            platform=Platform.telegram,
            account=str(OTHER_ADMIN.id),
            name="Qian",
            roles=[Role.admin],
        )
        found = Stage(world, other.id, builder.id, {})
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired, "done")
    make_targets(db, found, today)
    return found


# -- the judge ----------------------------------------------------------------------------------


def _named(db: Database, model: type[SQLModel], where: Any = None) -> list[dict[str, Any]]:
    query = select(model.__table__)
    if where is not None:
        query = query.where(where)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _roles_in(db: Database, user_id: int, project_id: int) -> dict[Role, int | None]:
    members = _named(db, Membership, Membership.user_id == user_id)
    return {m["role"]: m["contractor_id"] for m in members if m["project_id"] == project_id}


def _may_see(db: Database, members: list[dict[str, Any]], item_id: int) -> bool:
    """Tell whether someone with these memberships may see the item (a contractor: its own)."""
    item = _named(db, Item, Item.id == item_id)[0]
    here = [m for m in members if m["project_id"] == item["project_id"]]
    if any(m["role"] is not Role.contractor for m in here):
        return True
    return any(m["contractor_id"] == item["contractor_id"] for m in here)


def _may_look_up(db: Database, actor: int, logged: list[tuple]) -> bool:
    """Tell whether every lookup logged is the actor's, in a project where they may look up."""
    names = [c.name for c in SQLModel.metadata.tables["accesslog"].columns]
    for row in (dict(zip(names, r, strict=True)) for r in logged):
        members = _named(db, Membership, Membership.user_id == actor)
        where = [m for m in members if row["project_id"] in (None, m["project_id"])]
        work = Work.item if row["kind"] == "item" else Work.lookup
        if row["user_id"] != actor or not any(m["role"] in WORK[work] for m in where):
            return False
        if row["item_id"] and not _may_see(db, where, row["item_id"]):
            return False
    return True


def wrong_grants(db: Database, actor: int, diff: dict, *, events: int) -> list[str]:
    """Return each change the actor may not have made (empty: every change was theirs to make)."""
    wrong = []
    moved_items = set()
    for event in _named(db, Event, Event.id > events):
        item = _named(db, Item, Item.id == event["item_id"])[0]
        moved_items.add(item["id"])
        roles = _roles_in(db, actor, item["project_id"])
        if event["actor_id"] != actor:
            wrong.append(f"an event in another's name: {event}")
        elif event["action"] == Action.correct:
            if not WORK[Work.correct] & roles.keys():
                wrong.append(f"a correction without the role: {event}")
        else:
            rule = MOVES[event["action"]]
            allowed = rule.roles & roles.keys()
            if event["from_state"] not in rule.sources or not allowed:
                wrong.append(f"{event['action']} not allowed: {event}")
            elif allowed <= {Role.contractor} and roles[Role.contractor] != event["contractor_id"]:
                wrong.append(f"{event['action']} on another contractor's item: {event}")
    for table, (gone, came) in diff.items():
        if table in ("event", "photo") or (table == "item" and moved_items):
            continue  # judged by their events above
        if table == "dialogue":
            if any(r[0] != actor for r in gone + came):
                wrong.append("another person's dialogue changed")
        elif table == "accesslog":
            if gone or not _may_look_up(db, actor, came):
                wrong.append(f"a lookup logged that the actor may not make: {came}")
        elif table in ("membership", "invite", "appuser", "identity"):
            managed = _named(db, Membership, Membership.user_id == actor)
            if not any(m["role"] in WORK[Work.people] for m in managed):
                wrong.append(f"{table} changed by someone who may not manage people")
        elif table == "subscription":
            if any(r[0] != actor for r in gone + came):
                wrong.append("another person's subscription changed")
        else:
            wrong.append(f"{table} changed: {gone} -> {came}")
    return wrong


def _fingerprint(db: Database) -> tuple:
    """Return a cheap sign of any change, in one query: each table's row count, the items'
    versions, the last event, the dialogues' last write, who is active, who wants what."""
    parts = [
        f"(SELECT count(*) FROM {table.name})"
        for table in SQLModel.metadata.sorted_tables
        if table.name not in QUIET
    ]
    parts += [
        "(SELECT coalesce(sum(version), 0) FROM item)",
        "(SELECT coalesce(max(id), 0) FROM event)",
        "(SELECT max(updated_at) FROM dialogue)",
        "(SELECT count(*) FROM appuser WHERE active)",
        "(SELECT count(*) FROM subscription WHERE wanted)",
    ]
    with db.engine.connect() as conn:
        return tuple(conn.execute(text("SELECT " + ", ".join(parts))).one())


# -- running the cells ---------------------------------------------------------------------------


def _incoming(user: OfflineUser, cell: Cell) -> Incoming:
    common = {"platform": "telegram", "account": str(user.id), "language": user.language_code}
    if cell.what == "press":
        return Incoming(**common, choice=cell.payload, screen="1")
    return Incoming(**common, text=cell.payload)


def _clear(reply: Reply, lang: str, silent: bool) -> str | None:
    """Return what is wrong with a reply as an answer (None: it is a clear one within limits)."""
    said = [reply.answer or ""] + [s.text for s in reply.screens]
    if not any(said) and not any(s.files or s.photos for s in reply.screens) and not silent:
        return "no answer at all"
    if any(t(lang, "error.internal") in x for x in said):
        return "an internal error"
    if reply.answer is not None and len(reply.answer) > 200:
        return "an alert over 200 characters"
    too_long = [
        c.data for s in reply.screens for row in s.choices for c in row if len(c.data.encode()) > 64
    ]
    return f"button data over 64 bytes: {too_long}" if too_long else None


def _refused_as_stale(reply: Reply, *, registered: bool) -> str | None:
    """Return what is wrong with the answer to data no kind of button takes (None: it is the
    one refusal, "no longer active", or a stranger's "not registered", and nothing else)."""
    keys = ("error.stale_button",) if registered else ("error.stale_button", "error.not_registered")
    said = {t(lang, key) for lang in ("zh", "en") for key in keys}
    if reply.answer in said and not reply.screens and not reply.notices:
        return None
    return f"not refused as a stale button: {reply.answer!r}, {len(reply.screens)} screens"


@dataclass
class Tally:
    """What a run of cells found."""

    tried: int = 0
    granted: int = 0  # cells that changed something, every change allowed
    problems: list[str] = dataclasses.field(default_factory=list)


async def run_cells(
    db: Database, settings: Any, stage: Stage, today: Any, actor: OfflineUser, cells: Iterator[Cell]
) -> Tally:
    """Try every cell as `actor`; judge each change; refresh the targets after a legal move."""
    core = Core(db, settings, Telegramish(), ROUTER)
    with db.session() as s:
        me = tg(s, actor.id)
    tally = Tally()
    base, mark = rows(db, skip=QUIET), _fingerprint(db)
    for cell in cells:
        reply = await core.handle(_incoming(actor, cell))
        tally.tried += 1
        pressed = buttons.parse(cell.payload, KINDS) if cell.what == "press" else None
        if cell.stale:
            problem = _refused_as_stale(reply, registered=bool(me))
        else:
            problem = _clear(reply, reply.lang or "en", silent=isinstance(pressed, SILENT))
        if problem is not None:
            tally.problems.append(f"{cell.label} ({cell.payload!r}): {problem}")
        if _fingerprint(db) == mark:
            continue
        diff = changed(base, rows(db, skip=QUIET))
        wrong = wrong_grants(db, me, diff, events=mark[EVENTS])
        tally.problems += [f"{cell.label} ({cell.payload!r}): {w}" for w in wrong]
        if me:
            _drop_dialogue(db, me)  # the next cell starts from no dialogue, as this one did
        if diff.keys() - {"dialogue", "accesslog"}:
            tally.granted += not wrong
            make_targets(db, stage, today)  # a legal move took a target: fresh ones
        base, mark = rows(db, skip=QUIET), _fingerprint(db)
    # What the fingerprint could not see: the rows themselves, once at the end.
    leftover = changed(base, rows(db, skip=QUIET))
    tally.problems += [f"a change no cell was caught making: {name}" for name in leftover]
    return tally


def _drop_dialogue(db: Database, user_id: int) -> None:
    db.run(save_dialogue, user_id=user_id, dialogue=Talk())


def _expected_counts() -> tuple[int, int]:
    """Return how many target cells and malformed cells an actor is tried with."""
    numbered = sum(1 for kind in KINDS if _numbered(kind))
    targets = numbered * len(TARGETS) + len(COMMANDS) * len(TARGETS)
    malformed = 1 + len(KINDS) * len(MALFORMED) + len(COMMANDS) * len(MALFORMED)
    return targets, malformed


def test_the_matrix_covers_the_registries():
    # A registry that shrinks (a router that lost its buttons) would make the matrix pass empty.
    assert len(KINDS) >= 59 and len(COMMANDS) >= 29 and len(ACTORS) == len(Role) + 2
    targets, malformed = _expected_counts()
    assert len(malformed_cells()) == malformed
    assert targets * len(ACTORS) >= 1_400 and malformed * len(ACTORS) >= 4_500


@pytest.mark.parametrize("who", ACTORS, ids=list(ACTORS))
async def test_forged_data_pointing_at_items_out_of_reach(db, settings, stage, today, who, caplog):
    caplog.set_level(logging.ERROR)
    tally = await run_cells(db, settings, stage, today, ACTORS[who], iter(target_cells(stage.ids)))
    assert not tally.problems, "\n".join(tally.problems)
    assert tally.tried == _expected_counts()[0]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    if who == "stranger":
        assert tally.granted == 0


@pytest.mark.parametrize("who", ACTORS, ids=list(ACTORS))
async def test_malformed_data_is_refused_and_changes_nothing(
    db, settings, stage, today, who, caplog
):
    caplog.set_level(logging.ERROR)
    tally = await run_cells(db, settings, stage, today, ACTORS[who], iter(malformed_cells()))
    assert not tally.problems, "\n".join(tally.problems)
    assert tally.tried == _expected_counts()[1]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
