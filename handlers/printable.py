"""Printable lists in chat: the PDF of my list or of the to-check list, sent as a document."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler

from handlers import keyboards
from handlers.common import BotContext
from handlers.printable_text import caption, translator  # noqa: F401  (jobs use them too)
from models.printable import my_list_pdfs, to_check_pdfs


async def send_printable(update: Update, context: BotContext) -> None:
    """Send the person's own list (pdf:ml) or to-check list (pdf:tc) as a printable PDF."""
    kind, building = context.matches[0][1], context.matches[0][2]
    make = my_list_pdfs if kind == "ml" else to_check_pdfs
    # A long list takes seconds to draw: show "sending a file" meanwhile.
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    made = await context.call(make, user_id=context.person.id, tr=context.t, building=building)
    for plist, (name, data) in made:
        await context.bot.send_document(
            update.effective_chat.id,
            InputFile(data, filename=name),
            caption=caption(context.t, plist),
        )


def register(app: Application) -> None:
    """Add the printable list handler."""
    app.add_handler(CallbackQueryHandler(send_printable, pattern=keyboards.PRINTABLE))
