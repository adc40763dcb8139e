"""The Telegram adapter: an update becomes an Incoming, a Reply becomes messages and keyboards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot import front
from bot.telegram.adapter import LIMITS
from bot.telegram.common import PACE_REPLIES, BotContext, item_start_link
from bot.telegram.render import ChatRenderer
from handlers import watch
from handlers.core import Core, Router
from handlers.screens import FileIn, Incoming, Reply
from models.db import Database
from models.settings import Settings
from models.tables import Platform

PLATFORM = Platform.telegram
log = logging.getLogger(__name__)


class TelegramPlatform:
    """What the core asks of Telegram: files people sent, and invite links."""

    name = PLATFORM
    limits = LIMITS

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, file: FileIn) -> bytes:
        """Download a file a person sent."""
        tg_file = await self.bot.get_file(file.ref)
        return bytes(await tg_file.download_as_bytearray())

    def invite_link(self, code: str) -> str | None:
        """Return the t.me link that starts the bot with this invite code."""
        return f"https://t.me/{self.bot.username}?start={code}"

    def item_link(self, item_id: int) -> str | None:
        """Return the t.me link that opens this item's card in the chat (a printed QR code)."""
        return item_start_link(self.bot.username, item_id)


def _file(file: Message) -> tuple[FileIn | None, FileIn | None]:
    """Return (photo, document) of a message; an image sent as a file counts as a photo."""
    if file.photo:
        size = file.photo[-1]
        return FileIn(size.file_id, None, size.file_size, "image/jpeg"), None
    doc = file.document
    if doc is None:
        return None, None
    found = FileIn(doc.file_id, doc.file_name, doc.file_size, doc.mime_type)
    if (doc.mime_type or "").startswith("image/"):
        return found, None
    return None, found


def incoming(update: Update) -> Incoming | None:
    """Return the update as the core's input; None for what no flow takes."""
    user = update.effective_user
    if user is None:
        return None
    base = {
        "platform": PLATFORM,
        "account": str(user.id),
        "name": user.full_name,
        "language": user.language_code and user.language_code[:2],
    }
    if update.callback_query is not None:
        query = update.callback_query
        screen = str(query.message.message_id) if query.message is not None else None
        # A press without data (an old client, a game button) matches no route: a stale choice.
        return Incoming(**base, choice=query.data or "", screen=screen)
    message = update.message
    if message is None:
        return None
    photo, document = _file(message)
    if photo is None and document is None and message.text is None:
        return None  # a sticker, a location...: no flow takes them
    return Incoming(
        **base,
        text=message.text if message.text is not None else message.caption,
        photo=photo,
        document=document,
        album=message.media_group_id,
    )


class TelegramChat:
    """Feed updates to the core and draw its replies in the chat they came from."""

    def __init__(self, core: Core) -> None:
        self.core = core
        # One person's files in the order they sent them: a free lock is taken without a
        # pause, so the task started first holds it; the others queue in order (FIFO).
        self._files: dict[str, asyncio.Lock] = {}

    async def on_update(self, update: Update, context: BotContext) -> None:
        """Handle an update through the core; stop it here when a flow took it."""
        # Every line the update causes names it, its files' task and its notices' too.
        with watch.update(update.update_id):
            await self._on_update(update, context)

    async def _on_update(self, update: Update, context: BotContext) -> None:
        found = incoming(update)
        if found is None:
            return
        if found.document is not None:
            # A workbook is fetched and read for seconds: others are answered meanwhile (the
            # flow keeps one person's files in turn). Every document is the core's (files'
            # fallback), so none is passed on. Named as PTB names a non-blocking handler.
            name = f"Application:{context.bot.id}:process_update_non_blocking:core-file"
            work = self._serve_file(update, context, found)
            context.application.create_task(work, update, name=name)
            raise ApplicationHandlerStop
        await self._serve(update, context, found)
        raise ApplicationHandlerStop  # every input is the core's: no other handler takes it

    async def _serve_file(self, update: Update, context: BotContext, found: Incoming) -> None:
        async with self._files.setdefault(found.account, asyncio.Lock()):
            await self._serve(update, context, found)

    async def _serve(self, update: Update, context: BotContext, found: Incoming) -> Reply:
        async def draw(reply: Reply) -> None:
            await self.draw(update, context, reply)

        reply = await self.core.handle(found, draw=draw)
        await draw(reply)
        return reply

    async def draw(self, update: Update, context: BotContext, reply: Reply) -> None:
        """Show a reply in the chat it answers, the one way (bot.front.draw)."""
        app = context.application
        delivery = app.bot_data["delivery"]
        renderer = ChatRenderer(
            context.bot,
            update.effective_chat.id,
            update.callback_query,
            self.core.db,
            self.core.settings,
            # A real run keeps the chat's one a second with the notices to it, in every process.
            delivery.chats if app.bot_data.get(PACE_REPLIES) else None,
        )

        def later(work: Coroutine[Any, Any, Any]) -> None:
            # Named as PTB names a non-blocking handler's task: it is the work of this update.
            name = f"Application:{context.bot.id}:process_update_non_blocking:notices"
            app.create_task(work, name=name)

        await front.draw(reply, renderer, db=self.core.db, delivery=delivery, later=later)


def add_core(
    app: Application,
    db: Database,
    settings: Settings,
    router: Router,
    *,
    meter: watch.Meter = watch.QUIET,
) -> Core:
    """Put the core in front of the application's own handlers (`meter`: its figures)."""
    core = Core(db, settings, TelegramPlatform(app.bot), router, meter=meter)
    app.bot_data["core"] = core
    app.add_handler(TypeHandler(Update, TelegramChat(core).on_update), group=-1)
    return core
