"""Every flow of the Telegram front end, in the order they are asked, and the fallbacks."""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, TypeHandler, filters
from telegram.warnings import PTBUserWarning

from handlers import (
    admin,
    contractor,
    drafts,
    files,
    inspector,
    intake,
    onboarding,
    overdue,
    paper,
    printable,
    pushes,
    report,
    service,
    stray,
)
from handlers.common import BotContext, identify, on_error
from handlers.core import Router

# The flows on the neutral core, in the order they are asked (drafts first: its guard).
ROUTED = (drafts, onboarding, contractor, inspector, admin, pushes)


def router() -> Router:
    """Return every neutral flow's routes, in order."""
    found = Router()
    for flow in ROUTED:
        flow.routes(found)
    return found


# files after the conversations: a photo sent as a file while reporting is theirs.
# stray last: it answers the /cancel, text or photo that no flow was waiting for.
FLOWS = (
    printable,
    service,
    report,
    overdue,
    intake,
    paper,
    files,
    stray,
)

# Our conversations follow a person, not one message: per_message=False is what we want.
warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)


async def not_understood(update: Update, context: BotContext) -> None:
    """Answer a message no flow took, pointing to /help."""
    await update.effective_message.reply_text(context.t("bot.not_understood"))


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a button that no longer leads anywhere (pressed twice, or an old message)."""
    await update.callback_query.answer(context.t("error.stale_button"), show_alert=True)


def register(app: Application) -> None:
    """Add every flow's handlers, the identity check before them, and the error handler."""
    app.add_handler(TypeHandler(Update, identify), group=-2)
    # group -1: the neutral core (bot.telegram_chat), which takes what ROUTED routes.
    for flow in FLOWS:
        flow.register(app)
    app.add_handler(CallbackQueryHandler(stale_button))
    # Last of all: a message nobody took still gets an answer.
    app.add_handler(MessageHandler(filters.ALL, not_understood))
    app.add_error_handler(on_error)
