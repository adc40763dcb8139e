"""Each person's command menu: only the commands of the roles they hold."""

from __future__ import annotations

from handlers.i18n import t
from models.overdue import OVERDUE_READERS
from models.people import Person
from models.pushes import MAY_RECEIVE
from models.tables import PushKind, Role

ADMIN_WORK = (
    "disputes",
    "reassign",
    "cancel",
    "restore",
    "reopen",
    "correct",
    "users",
    "contractors",
)
PAPER = ("done", "pass", "fail")  # results written on printed lists (handlers/paper.py)
FILES = ("template", "export")


def _push_choices(role: Role) -> tuple[str, ...]:
    # Whoever may receive a push may turn it off (models/pushes.py MAY_RECEIVE decides).
    morning = ("mute", "unmute") if role in MAY_RECEIVE[PushKind.morning] else ()
    reports = MAY_RECEIVE[PushKind.report] | MAY_RECEIVE[PushKind.overdue]
    return (*morning, *(("reports",) if role in reports else ()))


# An admin also sees who did not get their push today.
ADMIN_PUSHES = (*_push_choices(Role.admin), "pushes")
ROLE_COMMANDS: dict[Role, tuple[str, ...]] = {
    # /item 2423 (or the number alone) opens an item read off a printed list.
    Role.contractor: ("mylist", "item", *_push_choices(Role.contractor)),
    Role.inspector: ("tocheck", "item", *_push_choices(Role.inspector)),
    Role.admin: (
        "invite",
        "new",
        "unit",
        "find",
        "item",
        *ADMIN_WORK,
        *PAPER,
        *FILES,
        "report",
        *ADMIN_PUSHES,
    ),
    Role.clerk: ("new", *PAPER, "template", *_push_choices(Role.clerk)),
    Role.manager: ("report", "unit", "find", "item", "export", *_push_choices(Role.manager)),
    Role.service: ("unit", "find", "item", "reopen", *_push_choices(Role.service)),
}
# /overdue goes to exactly the roles models/ lets read it.
for _role in OVERDUE_READERS:
    ROLE_COMMANDS[_role] += ("overdue",)
EVERYONE = ("help", "lang")
# What to point to when a text or photo comes that no flow is waiting for.
OPENS_ITEMS = ("mylist", "tocheck")  # an item opened from these takes a note or photos
TAKES_TEXT = (
    "unit",
    "find",
    "item",
    "invite",
    "reassign",
    "cancel",
    "restore",
    "reopen",
    "correct",
    *PAPER,
)


def commands_for(person: Person) -> list[str]:
    """Return the command names a person may use, in role order, without repeats."""
    names = [c for role in Role if role in person.roles for c in ROLE_COMMANDS[role]]
    return list(dict.fromkeys([*names, *EVERYONE]))


def commands_among(person: Person, names: tuple[str, ...]) -> list[str]:
    """Return those of the named commands this person may use, in menu order."""
    return [c for c in commands_for(person) if c in names]


def command_lines(lang: str, names: list[str]) -> list[str]:
    """Return one help line per command."""
    return [f"/{c} — {t(lang, f'cmd.{c}')}" for c in names]


def help_text(lang: str, person: Person) -> str:
    """Return one line per command this person may use."""
    roles = "、".join(t(lang, f"role.{r.value}") for r in Role if r in person.roles)
    lines = [t(lang, "help.head", name=person.name, roles=roles)]
    lines += command_lines(lang, commands_for(person))
    return "\n".join(lines)


def nothing_to_cancel(lang: str, person: Person | None) -> str:
    """Return "nothing to cancel", and to whom may cancel an item, how."""
    lines = [t(lang, "stray.cancel")]
    if person is not None and commands_among(person, ("cancel",)):
        lines.append(t(lang, "stray.cancel_item"))
    return "\n".join(lines)
