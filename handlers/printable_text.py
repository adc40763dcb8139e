"""The words around a printed list (its caption, its language), in no platform's terms."""

from __future__ import annotations

from functools import partial

from handlers.i18n import t
from handlers.text import clip, esc
from models.print_lists import PrintList
from models.printable import Tr, list_day

NAME_IN_CAPTION = 100  # a contractor's or project's name in the document's caption


def translator(lang: str) -> Tr:
    """Return the texts of one language, for a list printed outside a chat (the morning push)."""
    return partial(t, lang)


def caption(tr: Tr, plist: PrintList) -> str:
    """Return the caption of a printed list: whose, which day, how many items."""
    day, total = list_day(plist).isoformat(), plist.total
    if plist.contractor_id is None:
        project = esc(clip(plist.project_name, NAME_IN_CAPTION))
        return tr("pdf.caption_check", project=project, date=day, total=total)
    team = esc(clip(plist.contractor_name or "", NAME_IN_CAPTION))
    return tr("pdf.caption_repair", team=team, date=day, total=total)
