"""Printable lists in chat: the PDF of my list or of the to-check list, sent as a document."""

from __future__ import annotations

from functools import partial

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler

from bot.i18n import t
from handlers import keyboards
from handlers.common import BotContext, clip, esc
from models.printable import Tr, list_day, my_list_pdfs, to_check_pdfs
from models.queries import PrintList

NAME_IN_CAPTION = 100  # a contractor's or project's name in the document's caption


async def send_printable(update: Update, context: BotContext) -> None:
    """Send the person's own list (pdf:ml) or to-check list (pdf:tc) as a printable PDF."""
    kind, building = context.matches[0][1], context.matches[0][2]
    make = my_list_pdfs if kind == "ml" else to_check_pdfs
    # A long list takes seconds to draw: show "sending a file" meanwhile.
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    made = await context.call(
        make, telegram_id=update.effective_user.id, tr=context.t, building=building
    )
    for plist, (name, data) in made:
        await context.bot.send_document(
            update.effective_chat.id,
            InputFile(data, filename=name),
            caption=caption(context.t, plist),
        )


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


def register(app: Application) -> None:
    """Add the printable list handler."""
    app.add_handler(CallbackQueryHandler(send_printable, pattern=keyboards.PRINTABLE))
