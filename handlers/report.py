"""The manager's report on demand: /report (today's picture and figures), /report rework."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler

from handlers.common import BotContext, send_long
from handlers.report_text import daily_picture, report_texts, rework_caption, rework_picture
from models.readers import daily_for, rework_for

REWORK_WORDS = frozenset({"rework", "返修"})


def _asked(args: list[str]) -> tuple[bool, str | None]:
    """Read `/report [rework] [project name]`: whether rework is asked, and the project."""
    rework = bool(args) and args[0].lower() in REWORK_WORDS
    name = " ".join(args[1:] if rework else args).strip()
    return rework, name or None


async def report(update: Update, context: BotContext) -> None:
    """Send today's picture of the project with its figures, or the rework causes."""
    rework, name = _asked(context.args or [])
    chat_id, who = update.effective_chat.id, context.person.id
    # The figures first: models/ refuses whoever may not read them, before "uploading…".
    figures = await context.call(rework_for if rework else daily_for, user_id=who, name=name)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    if rework:
        png = await asyncio.to_thread(rework_picture, context.lang, figures)
        caption, after = rework_caption(context.lang, figures), None
    else:
        png = await asyncio.to_thread(daily_picture, context.lang, figures)
        caption, after = report_texts(context.lang, figures)
    kind = "rework" if rework else "report"
    filename = f"{kind}-{figures.day:%Y%m%d}.png"
    await update.message.reply_photo(InputFile(png, filename=filename), caption=caption)
    if after:
        await send_long(context, chat_id, after)


def register(app: Application) -> None:
    """Add /report."""
    app.add_handler(CommandHandler("report", report))
