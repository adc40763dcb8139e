"""The manager's report on demand: /report (today's picture and figures), /report rework."""

from __future__ import annotations

import asyncio

from handlers.core import Ask, Router
from handlers.report_text import daily_picture, report_texts, rework_caption, rework_picture
from handlers.screens import Attachment
from models.readers import daily_for, rework_for

REWORK_WORDS = frozenset({"rework", "返修"})


def _asked(args: list[str]) -> tuple[bool, str | None]:
    """Read `/report [rework] [project name]`: whether rework is asked, and the project."""
    rework = bool(args) and args[0].lower() in REWORK_WORDS
    name = " ".join(args[1:] if rework else args).strip()
    return rework, name or None


async def report(ask: Ask) -> None:
    """Show today's picture of the project with its figures, or the rework causes."""
    rework, name = _asked(ask.args)
    # The figures first: models/ refuses whoever may not read them, before "uploading…".
    figures = await ask.call(rework_for if rework else daily_for, user_id=ask.user_id, name=name)
    ask.reply.busy = "upload_photo"
    if rework:
        png = await asyncio.to_thread(rework_picture, ask.lang, figures)
        caption, after = rework_caption(ask.lang, figures), None
    else:
        png = await asyncio.to_thread(daily_picture, ask.lang, figures)
        caption, after = report_texts(ask.lang, figures)  # the caption keeps to 1,024
    kind = "rework" if rework else "report"
    filename = f"{kind}-{figures.day:%Y%m%d}.png"
    ask.show(files=(Attachment(filename, png, kind="photo", caption=caption),))
    if after:
        ask.show(after)


def routes(router: Router) -> None:
    """Route /report."""
    router.command("report", report)
