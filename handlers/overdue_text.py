"""Overdue items as chat text (HTML subset): the digest by contractor, a contractor's warning."""

from __future__ import annotations

from handlers.i18n import t
from handlers.render import short
from handlers.screens import Limits
from handlers.text import esc, size
from models.overdue import ContractorOverdue, OverdueDigest

NAME = 30  # a contractor's name on one digest line
CODE = 20  # a flat's code beside an item id
PROJECT = 40


def contractor_line(lang: str, owed: ContractorOverdue | None) -> str:
    """Return the line a contractor's morning list starts with; empty when nothing is late."""
    if owed is None or not owed.count or not owed.oldest:
        return ""
    first = owed.oldest[0]
    key = "overdue.mine_one" if owed.count == 1 else "overdue.mine"
    return t(lang, key, n=owed.count, id=first.id, days=first.days)


def _firm(lang: str, firm: ContractorOverdue) -> str:
    name = esc(short(firm.name, NAME))
    head = t(lang, "overdue.firm", name=name, n=firm.count, days=firm.most_days)
    named = [
        t(lang, "overdue.item", id=i.id, unit=esc(short(i.unit_code, CODE)), days=i.days)
        for i in firm.oldest
    ]
    if firm.count > len(firm.oldest):
        named.append(t(lang, "overdue.firm_more", n=firm.count - len(firm.oldest)))
    return head + "\n   " + " · ".join(named)


def _more(lang: str, rest: tuple[ContractorOverdue, ...]) -> str:
    return t(lang, "overdue.more", firms=len(rest), n=sum(c.count for c in rest))


def overdue_digest(lang: str, digest: OverdueDigest, *, limits: Limits) -> str:
    """Render the overdue items by contractor, most first; cut to one message of the
    platform's (`limits.chunk`) with "+k more"."""
    project = esc(short(digest.project_name, PROJECT))
    day = digest.day.isoformat()
    if not digest.contractors:
        return t(lang, "overdue.none", project=project, day=day)
    out = [
        t(lang, "overdue.head", project=project, day=day),
        t(lang, "overdue.total", total=digest.total, firms=len(digest.contractors)),
    ]
    tail = ["", t(lang, "overdue.tail")]
    firms = digest.contractors
    for i, firm in enumerate(firms):
        block = _firm(lang, firm)
        rest = firms[i + 1 :]
        # Room for this block and, if any follow, the line that counts them.
        after = [_more(lang, rest)] if rest else []
        if size("\n".join([*out, block, *after, *tail]), limits) > limits.chunk:
            out.append(_more(lang, firms[i:]))
            break
        out.append(block)
    return "\n".join([*out, *tail])
