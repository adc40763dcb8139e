"""Every kind of button, declared once: each type makes its callback data and parses it back.

A button is a small frozen dataclass with a prefix and typed fields: `OpenItem(1042).data()`
is "it:1042" and `OpenItem.parse("it:1042")` is `OpenItem(item_id=1042)`. The router parses a
press once (handlers/core.py) and hands the flow the typed value; data no type takes (forged,
malformed, from a version long gone) is refused there, in one place.

Data is `prefix:field:field...`; a field that may be absent (None) is left off at the end, or
written empty before a field that is present (a list's building: "ml:0::o"). Every field is
digits, a word of a closed set or a code of a fixed form, so forged data carries nothing else.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, fields
from enum import Enum
from typing import Annotated, Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from models.corrections import FIELDS as CORRECTABLE
from models.queries import Only
from models.tables import PushKind, Role

DATA_MAX = 64  # bytes: Telegram's limit on callback data, the smallest of the platforms'


@dataclass(frozen=True)
class Digits:
    """An int field of at most this many digits."""

    most: int = 12


@dataclass(frozen=True)
class Word:
    """A text field that matches the pattern in full; `largest` is its longest value."""

    pattern: str
    largest: str


@dataclass(frozen=True)
class _Field:
    name: str
    kind: type
    pattern: str
    optional: bool
    largest: Any

    def load(self, part: str) -> Any:
        if self.kind is bool:
            return part == "1"
        return self.kind(part)  # int, str or a StrEnum: the pattern checked it already

    def dump(self, value: Any) -> str:
        if value is None:
            return ""
        if self.kind is bool:
            return "1" if value else "0"
        return str(value.value if isinstance(value, Enum) else value)


def _field(name: str, hint: Any) -> _Field:
    """Return how a field is written and read, from its type hint."""
    meta, optional = None, False
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
        optional = True
    if get_origin(hint) is Annotated:
        hint, meta = get_args(hint)[0], get_args(hint)[1]
    if hint is int:
        most = meta.most if isinstance(meta, Digits) else 12
        return _Field(name, int, rf"\d{{1,{most}}}", optional, 10**most - 1)
    if hint is bool:
        return _Field(name, bool, "[01]", optional, True)
    if isinstance(hint, type) and issubclass(hint, Enum):
        allowed = meta if isinstance(meta, tuple) else tuple(hint)
        values = [re.escape(v.value) for v in allowed]
        return _Field(name, hint, "|".join(values), optional, max(allowed, key=lambda v: len(v)))
    if hint is str and isinstance(meta, Word):
        return _Field(name, str, meta.pattern, optional, meta.largest)
    raise TypeError(f"{name}: a button field is an int, a bool, an enum or a Word")


@dataclass(frozen=True)
class Button:
    """A kind of button: `prefix` and the typed fields its data carries."""

    prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[_Field, ...]] = ()
    KINDS: ClassVar[list[type[Button]]] = []

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.prefix = prefix
        Button.KINDS.append(cls)

    @classmethod
    def _declared(cls) -> tuple[_Field, ...]:
        if "_fields" not in cls.__dict__:
            hints = get_type_hints(cls, include_extras=True)
            cls._fields = tuple(_field(f.name, hints[f.name]) for f in fields(cls))
        return cls._fields

    def data(self) -> str:
        """Return the callback data of this button; refuse data over the platforms' limit."""
        parts = [f.dump(getattr(self, f.name)) for f in self._declared()]
        while parts and parts[-1] == "":
            parts.pop()
        data = ":".join([self.prefix, *parts])
        if len(data.encode()) > DATA_MAX:
            raise ValueError(f"callback data over {DATA_MAX} bytes: {data[:80]}")
        return data

    @classmethod
    def parse(cls, data: str) -> Self | None:
        """Return the button this data names, or None when it is not this kind's."""
        if data != cls.prefix and not data.startswith(cls.prefix + ":"):
            return None
        declared = cls._declared()
        parts = data[len(cls.prefix) + 1 :].split(":") if data != cls.prefix else []
        if len(parts) > len(declared):
            return None
        values = {}
        for i, field in enumerate(declared):
            part = parts[i] if i < len(parts) else None
            # Empty only before a field that is present: "ml:0::o", never "ml:0:".
            blank = part == "" and field.kind is str and i < len(parts) - 1
            if part is None or blank:
                if not field.optional:
                    return None
                values[field.name] = None
            elif re.fullmatch(field.pattern, part, re.ASCII):  # \d: 0-9 only, never ٣ or ３
                values[field.name] = field.load(part)
            else:
                return None
        return cls(**values)

    @classmethod
    def largest(cls) -> Self:
        """Return this kind with every field at its longest value (to prove the data fits)."""
        return cls(**{f.name: f.largest for f in cls._declared()})


def parse(data: str, kinds: list[type[Button]] | None = None) -> Button | None:
    """Return the button of the first kind (of `kinds`, else of all) that takes this data."""
    for kind in Button.KINDS if kinds is None else kinds:
        if (pressed := kind.parse(data)) is not None:
            return pressed
    return None


Id = int  # an id: up to 12 digits (models/ids.py refuses one that cannot exist)
Building = Annotated[str, Word("[0-9A-Z]{1,6}", "ZZZZZZ")]


# Lists: a page and maybe a building and a narrowing; the bare prefix is the page last seen.
@dataclass(frozen=True)
class MyListPage(Button, prefix="ml"):
    page: int | None = None
    building: Building | None = None
    only: Only | None = None


@dataclass(frozen=True)
class MyBuildings(Button, prefix="mb"):  # the building picker of my list, keeping its narrowing
    only: Only | None = None


@dataclass(frozen=True)
class ToCheckPage(Button, prefix="tc"):
    page: int | None = None
    building: Building | None = None


@dataclass(frozen=True)
class Printable(Button, prefix="pdf"):  # the PDF of my list (ml) or of the to-check list (tc)
    kind: Annotated[str, Word("ml|tc", "ml")]
    building: Building | None = None
    only: Only | None = None


# An item's card and the moves on it.
@dataclass(frozen=True)
class OpenItem(Button, prefix="it"):  # a contractor's card
    item_id: Id


@dataclass(frozen=True)
class Repaired(Button, prefix="rp"):
    item_id: Id


@dataclass(frozen=True)
class Dispute(Button, prefix="dp"):
    item_id: Id


@dataclass(frozen=True)
class CheckItem(Button, prefix="ck"):  # an inspector's card
    item_id: Id


@dataclass(frozen=True)
class Pass(Button, prefix="ps"):
    item_id: Id


@dataclass(frozen=True)
class Fail(Button, prefix="fl"):
    item_id: Id


# The steps of a report carry its item (older buttons without one mean the report at hand).
@dataclass(frozen=True)
class Done(Button, prefix="done"):
    item_id: Id | None = None


@dataclass(frozen=True)
class Skip(Button, prefix="skip"):
    item_id: Id | None = None


@dataclass(frozen=True)
class Cancel(Button, prefix="cancel"):
    item_id: Id | None = None


# The project department.
@dataclass(frozen=True)
class Reassign(Button, prefix="ra"):
    item_id: Id
    contractor_id: Id
    version: int


@dataclass(frozen=True)
class Reject(Button, prefix="rj"):  # refuse a dispute
    item_id: Id
    version: int


@dataclass(frozen=True)
class Person(Button, prefix="pp"):
    project_id: Id
    user_id: Id


@dataclass(frozen=True)
class SetRole(Button, prefix="pr"):
    project_id: Id
    user_id: Id
    role: Role
    give: bool  # True gives the role, False takes it


@dataclass(frozen=True)
class RevokeAsk(Button, prefix="rv"):
    project_id: Id
    user_id: Id


@dataclass(frozen=True)
class RevokeYes(Button, prefix="ry"):
    project_id: Id
    user_id: Id


@dataclass(frozen=True)
class RevokeNo(Button, prefix="rn"):
    pass


# Taking a mistake back.
@dataclass(frozen=True)
class Restore(Button, prefix="rs"):
    item_id: Id
    version: int


@dataclass(frozen=True)
class Undo(Button, prefix="ud"):  # a Pass or Fail, with the item's version after it
    item_id: Id
    version: int


@dataclass(frozen=True)
class Correct(Button, prefix="cr"):
    item_id: Id


@dataclass(frozen=True)
class CorrectField(Button, prefix="cf"):
    item_id: Id
    field: Annotated[str, Word("|".join(CORRECTABLE), max(CORRECTABLE, key=len))]


@dataclass(frozen=True)
class CorrectCategory(Button, prefix="cc"):
    item_id: Id
    category_id: Id


# Customer service.
@dataclass(frozen=True)
class Flat(Button, prefix="un"):
    unit_id: Id


@dataclass(frozen=True)
class FindTurn(Button, prefix="fd"):  # a page of a search's flats
    search_id: Id
    page: Annotated[int, Digits(6)]


@dataclass(frozen=True)
class ChoicesTurn(Button, prefix="uc"):  # a page of the flats a /unit code fits
    search_id: Id
    page: Annotated[int, Digits(6)]


@dataclass(frozen=True)
class History(Button, prefix="hi"):
    item_id: Id


Language = Annotated[str, Word("zh|en", "zh")]


@dataclass(frozen=True)
class OwnerSummary(Button, prefix="os"):
    unit_id: Id
    lang: Language


# Joining, language, invites, pushes.
@dataclass(frozen=True)
class ChooseLanguage(Button, prefix="lang"):
    lang: Language


@dataclass(frozen=True)
class InviteFor(Button, prefix="iv"):  # roles as bits of Role's order, and the contractor
    roles: Annotated[int, Digits(2)]
    contractor_id: Id


@dataclass(frozen=True)
class Subscribe(Button, prefix="sub"):
    kind: Annotated[PushKind, (PushKind.report, PushKind.overdue)]
    wanted: bool
