"""Database tables: the record of projects, flats, contractors, items and their events."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

from models import clock


class Role(enum.StrEnum):
    admin = "admin"
    clerk = "clerk"
    contractor = "contractor"
    inspector = "inspector"
    manager = "manager"
    service = "service"


class ItemState(enum.StrEnum):
    open = "open"
    repaired = "repaired"
    rework = "rework"
    disputed = "disputed"
    closed = "closed"
    cancelled = "cancelled"


class Action(enum.StrEnum):
    raise_ = "raise"
    report_repaired = "report_repaired"
    dispute = "dispute"
    pass_ = "pass"
    fail = "fail"
    reassign = "reassign"
    cancel = "cancel"
    reopen = "reopen"
    reject_dispute = "reject_dispute"
    # Taking back the latest move: a mistaken cancel, a Pass or Fail pressed by mistake.
    restore = "restore"
    undo_pass = "undo_pass"
    undo_fail = "undo_fail"
    # A correction of what was entered (description, location, category): no move.
    correct = "correct"


def _enum_column(enum_cls: type[enum.Enum], **kw: object) -> Column:
    # Stored as plain strings (no native DB enum) so adding a state needs no type migration.
    return Column(SAEnum(enum_cls, native_enum=False, length=20, values_callable=_values), **kw)


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [m.value for m in enum_cls]


class Meta(SQLModel, table=True):
    """Key-value facts about this database (for example that it holds demo data)."""

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(default="", max_length=200)


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    timezone: str = Field(default="Asia/Shanghai", max_length=50)
    repair_days: int = Field(default=7, description="days a contractor has to repair an item")
    # A failed or reopened item is due again no sooner than this many days from that day.
    rework_days: int = Field(default=3)
    created_at: datetime = Field(default_factory=clock.now)


class Unit(SQLModel, table=True):
    """A flat, coded building-entrance-number such as 3-1-1202."""

    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    code: str = Field(max_length=30)
    building: str = Field(max_length=10)
    entrance: str = Field(default="1", max_length=10)
    floor: int = Field(default=0)
    owner_name: str | None = Field(default=None, max_length=60)
    owner_phone: str | None = Field(default=None, max_length=30)


class Contractor(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=100)
    trades: str = Field(default="", max_length=200)
    contact: str | None = Field(default=None, max_length=100)


class Category(SQLModel, table=True):
    """A trade of defect: leak, wall, door-window, plumbing-electric, floor..."""

    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    code: str = Field(max_length=30)
    name_zh: str = Field(max_length=30)
    name_en: str = Field(max_length=40)
    # Days a contractor has to repair an item of this category; None: the project's repair_days.
    repair_days: int | None = None


class AssignmentRule(SQLModel, table=True):
    """Category (optionally in one building) -> the contractor who repairs it."""

    __table_args__ = (UniqueConstraint("project_id", "category_id", "building"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    category_id: int = Field(foreign_key="category.id")
    building: str | None = Field(default=None, max_length=10)
    contractor_id: int = Field(foreign_key="contractor.id")


class Item(SQLModel, table=True):
    """One defect. Its state is written only by models.repair.apply_transition."""

    __table_args__ = (
        Index("ix_item_contractor_state", "contractor_id", "state"),
        Index("ix_item_project_state", "project_id", "state"),
        # An imported row is known by its key: importing the same file twice adds nothing.
        Index("ix_item_import_key", "project_id", "import_key", unique=True),
        # The daily figures count by day: raised on, closed on.
        Index("ix_item_project_raised", "project_id", "raised_on"),
        Index("ix_item_project_closed", "project_id", "closed_on"),
        # The manager's report at a million items, read from the index alone (no row lookups):
        # open items by contractor and age, overdue, days to close; first-time pass rate.
        Index(
            "ix_item_report_state", "project_id", "state", "contractor_id", "raised_on", "due_on"
        ),
        Index("ix_item_report_first", "project_id", "contractor_id", "first_inspection"),
        # Rework by cause: the items that came back, with how often (fails + reopenings).
        Index(
            "ix_item_report_rework",
            "project_id",
            "contractor_id",
            "category_id",
            "unit_id",
            "rework_count",
            sqlite_where=text("rework_count > 0"),
            postgresql_where=text("rework_count > 0"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    location: str = Field(max_length=60)
    category_id: int = Field(foreign_key="category.id", index=True)
    description: str = Field(sa_type=Text)
    raised_on: date
    sheet_no: str | None = Field(default=None, max_length=40)
    contractor_id: int = Field(foreign_key="contractor.id")
    state: ItemState = Field(sa_column=_enum_column(ItemState, nullable=False))
    rework_count: int = Field(default=0)
    due_on: date | None = None
    # The result of its first inspection, "pass" or "fail": the first-time pass rate.
    first_inspection: str | None = Field(default=None, max_length=10)
    # The project's local day it was closed (closed_at is UTC): days to close, by SQL.
    closed_on: date | None = None
    entered_at: datetime = Field(default_factory=clock.now)
    closed_at: datetime | None = None
    # Bumped on every transition: two people acting on one item at once, one wins.
    version: int = Field(default=0)
    # models.intake.item_key: sheet no. (or day), flat, location, description; one per project.
    import_key: str | None = Field(default=None, max_length=64)


class days_between(FunctionElement):  # noqa: N801  (used like a SQL function)
    """Whole days from the second DATE to the first, in the database's own SQL."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} - {earlier})"  # PostgreSQL: date - date is an integer


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"  # ISO text there


# Days to close by contractor, in index order: the median's histogram is read, not sorted.
# The query must spell the same expression (models.report uses days_between too).
Index(
    "ix_item_report_days",
    Item.__table__.c.project_id,
    Item.__table__.c.contractor_id,
    days_between(Item.__table__.c.closed_on, Item.__table__.c.raised_on),
    sqlite_where=Item.__table__.c.closed_on.is_not(None),
    postgresql_where=Item.__table__.c.closed_on.is_not(None),
    # PostgreSQL reads an expression index alone only if it also holds the columns.
    postgresql_include=["raised_on", "closed_on"],
)


class Event(SQLModel, table=True):
    """One step of an item's life: who did what, when, from which state to which."""

    __table_args__ = (
        Index("ix_event_at_action", "at", "action"),
        # Rework by cause and cancels by day: one action's events without reading their rows.
        Index("ix_event_action_item", "action", "item_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    at: datetime = Field(default_factory=clock.now)
    actor_id: int | None = Field(default=None, foreign_key="appuser.id", index=True)
    action: Action = Field(sa_column=_enum_column(Action, nullable=False))
    from_state: ItemState | None = Field(sa_column=_enum_column(ItemState, nullable=True))
    to_state: ItemState = Field(sa_column=_enum_column(ItemState, nullable=False))
    contractor_id: int | None = Field(default=None, foreign_key="contractor.id", index=True)
    note: str | None = Field(default=None, sa_type=Text)
    # A correction: the field corrected (description, location, category), from what to what
    # (a category by its code).
    field: str | None = Field(default=None, max_length=20)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)
    # The item's due date before this move, where the move changed it: an undo puts it back.
    due_before: date | None = None


class Photo(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    file_id: str | None = Field(default=None, max_length=200)
    # Whose file id it is: the platform the photo came in on (older photos: Telegram's).
    platform: str | None = Field(default=None, max_length=16)
    sha256: str | None = Field(default=None, max_length=64)
    path: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=clock.now)


class Platform(enum.StrEnum):
    """The chat platforms a person can be reached on, spelled once."""

    telegram = "telegram"
    wecom = "wecom"
    wecom_robot = "wecom_robot"  # WeCom's smart robot (智能机器人), over its long connection


class AppUser(SQLModel, table=True):
    """A person using the bot; where they are reached is their Identity rows."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    language: str | None = Field(default=None, max_length=5)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=clock.now)


class Identity(SQLModel, table=True):
    """A person's account on one chat platform (a Telegram id, a WeCom userid)."""

    __table_args__ = (UniqueConstraint("platform", "account"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="appuser.id", index=True)
    platform: str = Field(max_length=16, description="a Platform value")
    account: str = Field(max_length=64)
    # When a push found this chat blocked; cleared when they write again. Pushes skip it.
    blocked_at: datetime | None = None
    created_at: datetime = Field(default_factory=clock.now)


class Membership(SQLModel, table=True):
    """A role a user holds in a project; contractor roles name their contractor."""

    __table_args__ = (UniqueConstraint("user_id", "project_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="appuser.id", index=True)
    project_id: int = Field(foreign_key="project.id")
    role: Role = Field(sa_column=_enum_column(Role, nullable=False))
    contractor_id: int | None = Field(default=None, foreign_key="contractor.id")


class Invite(SQLModel, table=True):
    """A one-time code that registers whoever uses it with the given roles."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    project_id: int = Field(foreign_key="project.id")
    roles: str = Field(max_length=100, description="comma-separated Role values")
    contractor_id: int | None = Field(default=None, foreign_key="contractor.id")
    created_by: int | None = Field(default=None, foreign_key="appuser.id")
    created_at: datetime = Field(default_factory=clock.now)
    expires_at: datetime
    used_by: int | None = Field(default=None, foreign_key="appuser.id")
    used_at: datetime | None = None


class AccessLog(SQLModel, table=True):
    """Who looked up which flat or item, and when: owners' personal data is behind it."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=clock.now, index=True)
    user_id: int = Field(foreign_key="appuser.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id")
    kind: str = Field(max_length=20, description="unit, find, item, summary")
    query: str = Field(default="", max_length=200)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")


class Dialogue(SQLModel, table=True):
    """A person's dialogue with the bot: the step they are in and its data, on any platform."""

    user_id: int = Field(foreign_key="appuser.id", primary_key=True)
    step: str | None = Field(default=None, max_length=40)
    data: str = Field(default="{}", sa_type=Text, description="JSON")
    updated_at: datetime = Field(default_factory=clock.now)


class InboundSeen(SQLModel, table=True):
    """An inbound message already handled (a WeCom callback is retried): seen once, by anyone."""

    key: str = Field(primary_key=True, max_length=160)
    seen_at: datetime = Field(default_factory=clock.now)


class SendPlace(SQLModel, table=True):
    """A send's place in a platform's limits, shared by every process: taken before it goes,
    ended when its answer came (None: in flight). Times are seconds since the epoch on one
    clock (the database's on PostgreSQL), for durations only; old rows are pruned."""

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # which limit: "chat", "all", "member"
    key: str = Field(max_length=80)  # a chat, a member, or "all"
    taken_at: float
    ended_at: float | None = None

    __table_args__ = (Index("ix_sendplace_limit", "platform", "kind", "key", "ended_at"),)


class SendHold(SQLModel, table=True):
    """The platform asked us to send a chat (or everyone) nothing before `until` (a 429)."""

    platform: str = Field(primary_key=True, max_length=16)
    kind: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=80)
    until: float


class UploadLink(SQLModel, table=True):
    """A one-time upload page sent to one member (WeCom's /upload), honoured by any process.

    Kept by the SHA-256 of its token (the link's secret): the table alone opens no page.
    """

    key: str = Field(primary_key=True, max_length=64)
    account: str = Field(max_length=80)  # the member it was sent to
    lang: str = Field(max_length=8)
    until: datetime = Field(index=True)
    visitor: str = Field(max_length=40)  # the cookie of the member's signed-in browser
    busy_until: datetime | None = None  # an upload through it is being read (claimed) until


class PushKind(enum.StrEnum):
    """The scheduled messages: each person gets each at most once a day per project."""

    morning = "morning"  # a contractor's list, the inspectors' to-check list
    report = "report"  # the manager's daily chart and figures
    overdue = "overdue"  # overdue items by contractor, for admins and managers


class PushStatus(enum.StrEnum):
    sending = "sending"  # claimed by one bot process, being sent
    sent = "sent"
    failed = "failed"
    blocked = "blocked"


class Undelivered(enum.StrEnum):
    """Why a message did not reach its person: what /pushes says, in the reader's language."""

    no_account = "no_account"  # no account on the platform it went out on
    blocked = "blocked"  # blocked the bot, left, or out of the app's reach
    refused = "refused"  # the platform refused this message (its markup, its size...)
    unavailable = "unavailable"  # the platform kept failing (5xx, time-outs) until too late
    error = "error"  # a fault of the bot's own (in the log, with its traceback)


class Subscription(SQLModel, table=True):
    """A person's choice about one kind of push; no row means their role's default."""

    user_id: int = Field(foreign_key="appuser.id", primary_key=True)
    kind: PushKind = Field(sa_column=_enum_column(PushKind, primary_key=True))
    wanted: bool


class PushRun(SQLModel, table=True):
    """One kind of push for one project, local day and platform: claimed once, by one process
    (each platform's process sends to its own people; the per-person claims keep one copy)."""

    kind: PushKind = Field(sa_column=_enum_column(PushKind, primary_key=True))
    project_id: int = Field(foreign_key="project.id", primary_key=True)
    day: date = Field(primary_key=True)
    platform: str = Field(primary_key=True, max_length=16, description="a Platform value")
    started_at: datetime = Field(default_factory=clock.now)
    finished_at: datetime | None = None
    claimed_by: str = Field(default="", max_length=80)


class PushLog(SQLModel, table=True):
    """One push to one person on one day: claimed before it is sent, then its outcome."""

    __table_args__ = (UniqueConstraint("kind", "project_id", "day", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: PushKind = Field(sa_column=_enum_column(PushKind, nullable=False))
    project_id: int = Field(foreign_key="project.id", index=True)
    day: date
    user_id: int = Field(foreign_key="appuser.id", index=True)
    status: PushStatus = Field(sa_column=_enum_column(PushStatus, nullable=False))
    why: Undelivered | None = Field(
        default=None, sa_column=_enum_column(Undelivered, nullable=True)
    )
    reason: str | None = Field(default=None, max_length=200)  # what the platform said
    attempts: int = Field(default=0)
    # Messages of the push that went: a claim taken over sends only the rest.
    parts_sent: int = Field(default=0)
    claimed_at: datetime = Field(default_factory=clock.now)
    sent_at: datetime | None = None
    claimed_by: str = Field(default="", max_length=80)


class NoticeLog(SQLModel, table=True):
    """A message a flow sent someone else at once (not a push): to whom, what, how it went."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="appuser.id", index=True)
    platform: str = Field(max_length=16, description="a Platform value")
    summary: str = Field(default="", max_length=80)  # its first line, for the admin's view
    status: PushStatus = Field(sa_column=_enum_column(PushStatus, nullable=False))
    why: Undelivered | None = Field(
        default=None, sa_column=_enum_column(Undelivered, nullable=True)
    )
    reason: str | None = Field(default=None, max_length=200)  # what the platform said
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=clock.now, index=True)
    ended_at: datetime | None = None
