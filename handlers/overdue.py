"""Overdue items on demand: /overdue for the people models/ lets see the whole project's."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.common import BotContext
from handlers.overdue_text import overdue_digest
from models.overdue import overdue_for


async def overdue(update: Update, context: BotContext) -> None:
    """Show each of my projects' overdue items by contractor, most first."""
    digests = await context.call(overdue_for, user_id=context.person.id)
    for digest in digests:
        await update.message.reply_text(overdue_digest(context.lang, digest))


def register(app: Application) -> None:
    """Add the /overdue command."""
    app.add_handler(CommandHandler("overdue", overdue))
