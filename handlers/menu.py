"""Each person's command menu: only the commands of the roles they hold."""

from __future__ import annotations

from handlers.i18n import t
from models.people import Person
from models.roles import WORK, Work
from models.tables import Role

PAPER = ("done", "pass", "fail")  # results written on printed lists (handlers/paper.py)
# Each command of a menu, in menu order, with the work that allows it (any of these works).
# Who may do which work is models/roles.py WORK's to say: a role's menu is every command of a
# work it may do, so the menu and the domain's refusals cannot disagree.
MENU: dict[str, tuple[Work, ...]] = {
    "mylist": (Work.repair,),
    "tocheck": (Work.check,),
    "invite": (Work.people,),
    "new": (Work.intake,),
    "unit": (Work.lookup,),
    "find": (Work.lookup,),
    # /item 2423 (or the number alone) opens an item read off a printed list.
    "item": (Work.item,),
    "disputes": (Work.settle,),
    "reassign": (Work.settle,),
    "cancel": (Work.settle,),
    "restore": (Work.settle,),
    "reopen": (Work.reopen,),
    "correct": (Work.correct,),
    "users": (Work.people,),
    "contractors": (Work.figures,),
    **dict.fromkeys(PAPER, (Work.paper,)),
    "template": (Work.templates,),
    "export": (Work.export,),
    "report": (Work.report,),
    # Whoever may receive a push may turn it off (models/audiences.py MAY_RECEIVE, from WORK).
    "mute": (Work.repair, Work.accept),
    "unmute": (Work.repair, Work.accept),
    "reports": (Work.report, Work.overdue),
    # An admin also sees who did not get their push today.
    "pushes": (Work.pushes,),
    "overdue": (Work.overdue,),
}


def allows(works: tuple[Work, ...], role: Role) -> bool:
    """Tell whether a role may do any of these works."""
    return any(role in WORK[work] for work in works)


ROLE_COMMANDS: dict[Role, tuple[str, ...]] = {
    role: tuple(name for name, works in MENU.items() if allows(works, role)) for role in Role
}
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
