"""Which roles may do which work: every role set of the product, named once, here.

The state machine's moves (models/repair.py MOVES), the domain functions' checks, the push
audiences (models/audiences.py), each role's command menu (handlers/menu.py) and the flows' early
refusals all take their role sets from this table, so a role given new work changes in one place.
"""

from __future__ import annotations

from enum import StrEnum

from models.tables import Role


class Work(StrEnum):
    """A kind of work someone does with the bot (not one move of an item: see MOVES)."""

    repair = "repair"  # a contractor's own list, reports and disputes
    check = "check"  # the to-check list, pass and fail
    paper = "paper"  # results written on printed lists, entered by the office
    intake = "intake"  # raising items: /new, items workbooks
    templates = "templates"  # blank workbooks to fill in
    setup = "setup"  # the project's set-up workbook: units, contractors, rules
    export = "export"  # the project's items as a workbook
    lookup = "lookup"  # a flat's items and history for an owner on the phone
    contacts = "contacts"  # the owner's name and phone number with them
    settle = "settle"  # disputes, reassigning, cancelling items and restoring them
    correct = "correct"  # an item's description, location and category after entry
    reopen = "reopen"  # a closed item that failed again
    people = "people"  # invites, roles, revoking
    figures = "figures"  # the contractors' figures (/contractors)
    accept = "accept"  # the acceptance team's own: the to-check list pushed each morning
    item = "item"  # an item opened by its number, within what the person may see
    report = "report"  # the daily report and the rework causes (/report, and their push)
    overdue = "overdue"  # the whole project's overdue items (/overdue, and their push)
    pushes = "pushes"  # who got today's pushes and who did not (/pushes)


WORK: dict[Work, frozenset[Role]] = {
    Work.repair: frozenset({Role.contractor}),
    Work.check: frozenset({Role.inspector, Role.admin, Role.clerk}),
    Work.paper: frozenset({Role.clerk, Role.admin}),
    Work.intake: frozenset({Role.clerk, Role.admin}),
    Work.templates: frozenset({Role.clerk, Role.admin}),
    Work.setup: frozenset({Role.admin}),
    Work.export: frozenset({Role.admin, Role.manager}),
    Work.lookup: frozenset({Role.service, Role.admin, Role.manager}),
    Work.contacts: frozenset({Role.service, Role.admin}),
    Work.settle: frozenset({Role.admin}),
    Work.correct: frozenset({Role.admin}),
    Work.reopen: frozenset({Role.admin, Role.service}),
    Work.people: frozenset({Role.admin}),
    Work.figures: frozenset({Role.admin}),
    Work.accept: frozenset({Role.inspector}),
    Work.item: frozenset(Role),
    Work.report: frozenset({Role.manager, Role.admin}),
    Work.overdue: frozenset({Role.manager, Role.admin}),
    Work.pushes: frozenset({Role.admin}),
}


def may(roles: frozenset[Role] | set[Role], work: Work) -> bool:
    """Tell whether any of these roles may do this work."""
    return bool(WORK[work] & set(roles))
