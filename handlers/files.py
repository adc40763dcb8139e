"""Workbooks in chat: a set-up or items file sent to the bot, /template, /export."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers.common import BotContext, esc, send_long
from handlers.sheets_text import render_report
from models.files import (
    EXPORT_ROLES,
    IMPORT_ROLES,
    TEMPLATE_ROLES,
    export_for,
    templates_for,
    workbook_from_chat,
)

WORKBOOK = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")
MAX_MB = 20  # what the Bot API lets a bot download
# Files read and imported at the same time (each in a worker thread; on SQLite each import is a
# write transaction the next one would wait for); others wait their turn.
READ_AT_ONCE = 1


class Turns:
    """Whose file is read now: one person's files one after another, READ_AT_ONCE in all."""

    def __init__(self, at_once: int = READ_AT_ONCE) -> None:
        self._all = asyncio.Semaphore(at_once)
        self._people: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def person(self, person_id: int) -> AsyncIterator[None]:
        """Wait until this person's earlier files are answered."""
        lock, waiting = self._people.get(person_id, (asyncio.Lock(), 0))
        self._people[person_id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._people[person_id]
            if waiting == 1:
                del self._people[person_id]
            else:
                self._people[person_id] = (lock, waiting - 1)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """Wait for a free reader, so that files never take every worker thread."""
        async with self._all:
            yield


async def receive_workbook(update: Update, context: BotContext) -> None:
    """Read a set-up workbook or an items file; answer with what was done or every bad row.

    Runs beside other updates (block=False): a big file keeps nobody else waiting.
    """
    context.require(*IMPORT_ROLES)
    document = update.message.document
    if (document.file_size or 0) > MAX_MB * 1024 * 1024:
        await update.message.reply_text(context.t("files.too_big", mb=MAX_MB))
        return
    turns: Turns = context.bot_data["file_turns"]
    async with turns.person(update.effective_user.id):
        await update.message.reply_text(
            context.t("files.reading", filename=esc(document.file_name))
        )
        async with turns.reading():
            data = bytes(await (await document.get_file()).download_as_bytearray())
            report = await context.call(
                workbook_from_chat,
                user_id=context.person.id,
                data=data,
                filename=document.file_name or "file.xlsx",
                project=update.message.caption,
            )
        await send_long(context, update.effective_chat.id, esc(render_report(context.lang, report)))


async def other_document(update: Update, context: BotContext) -> None:
    """Tell a clerk or admin which files the bot reads; anyone else, what they can do."""
    entering = context.person is not None and context.person.has(*IMPORT_ROLES)
    await update.message.reply_text(
        context.t("files.not_a_workbook" if entering else "bot.not_understood")
    )


async def template(update: Update, context: BotContext) -> None:
    """Send the blank set-up and items workbooks."""
    context.require(*TEMPLATE_ROLES)
    blank = await context.call(templates_for, user_id=context.person.id)
    await update.message.reply_text(context.t("files.templates"))
    for name, data in (("setup-项目设置.xlsx", blank.setup), ("items-问题录入.xlsx", blank.items)):
        await update.message.reply_document(InputFile(data, filename=name))


async def export(update: Update, context: BotContext) -> None:
    """Send every item and event of the person's projects as a workbook."""
    context.require(*EXPORT_ROLES)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    made = await context.call(export_for, user_id=context.person.id)
    now = made.made_at
    await update.message.reply_document(
        InputFile(made.data, filename=f"handover-{now:%Y%m%d-%H%M}.xlsx"),
        caption=context.t("files.export", when=f"{now:%Y-%m-%d %H:%M}"),
    )


def register(app: Application) -> None:
    """Add the workbook handlers."""
    app.bot_data["file_turns"] = Turns()
    app.add_handler(MessageHandler(WORKBOOK, receive_workbook, block=False))
    app.add_handler(MessageHandler(filters.Document.ALL, other_document))
    app.add_handler(CommandHandler("template", template))
    app.add_handler(CommandHandler("export", export))
