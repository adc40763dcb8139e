"""The Telegram adapter: an update becomes an Incoming, a Reply becomes messages and keyboards."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.telegram.common import ALERT_LIMIT, BotContext, OnePress, item_start_link
from handlers.choices import Rows
from handlers.core import Core, Router
from handlers.i18n import pick_language, t
from handlers.menu import commands_for
from handlers.screens import FileIn, Incoming, Reply, Screen
from handlers.text import esc, split_html
from jobs.sender import tell
from models.db import Database
from models.people import Person, accounts, person_with_account
from models.queries import PhotoRef
from models.settings import Settings

PLATFORM = "telegram"
ALBUM_MAX = 10  # Telegram's media group holds 2 to 10 photos
log = logging.getLogger(__name__)


class TelegramPlatform:
    """What the core asks of Telegram: files people sent, and invite links."""

    name = PLATFORM

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


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    """Return neutral choices as an inline keyboard, one row per row."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in rows if row]
    )


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
        raise ApplicationHandlerStop

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
        """Show a reply: tell the others (in the background), answer the press, each screen."""
        chat_id = update.effective_chat.id
        query = update.callback_query
        if reply.notices:
            # The others are told the sender's careful way, in the background: the actor's reply
            # never waits behind a rate limit, nothing it meets (a failed edit) keeps the others
            # from being told, and each notice goes, or is logged as missed, on its own. Named
            # as PTB names a non-blocking handler's task: it is the work of this update.
            delivery = context.application.bot_data["delivery"]
            work = tell(db=self.core.db, delivery=delivery, notices=reply.notices)
            name = f"Application:{context.bot.id}:process_update_non_blocking:notices"
            context.application.create_task(work, name=name)
        if reply.answer is not None:
            await self._answer(context, query, chat_id, reply.answer)
        if reply.busy:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, reply.busy)
        # The menu first: it is there by the time the person reads the help it goes with.
        for user_id in dict.fromkeys(reply.menus):
            found = await context.call(person_with_account, user_id=user_id, platform=PLATFORM)
            if found is not None:
                person, account = found
                lang = pick_language(person.language, None, self.core.settings.default_language)
                await set_menu(context.bot, int(account), lang, person)
                continue
            # No role left (revoked): their menu would only lead to refusals now.
            gone = await context.call(accounts, user_ids=[user_id], platform=PLATFORM)
            if user_id in gone:
                with contextlib.suppress(TelegramError):
                    await context.bot.delete_my_commands(BotCommandScopeChat(int(gone[user_id])))
        for screen in reply.screens:
            await self._screen(context, query, chat_id, screen)

    async def _answer(self, context: BotContext, query: object, chat_id: int, text: str) -> None:
        if isinstance(query, OnePress) and not query.answered and len(text) <= ALERT_LIMIT:
            try:
                await query.answer(text, show_alert=True)
                return
            except TelegramError:
                log.warning("could not answer a button press with an alert", exc_info=True)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat_id, esc(text))

    async def _screen(
        self, context: BotContext, query: object, chat_id: int, screen: Screen
    ) -> None:
        if screen.photos:
            await self._album(context, chat_id, screen.photos)
        keys = markup(screen.choices)
        chunks = split_html(screen.text) if screen.text else []
        message = getattr(query, "message", None)
        if screen.replace and message is not None and len(chunks) == 1:
            try:
                await query.edit_message_text(chunks[0], reply_markup=keys)
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    raise
        else:
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                await context.bot.send_message(chat_id, chunk, reply_markup=keys if last else None)
        for file in screen.files:
            send = context.bot.send_photo if file.kind == "photo" else context.bot.send_document
            await send(
                chat_id, InputFile(file.content, filename=file.filename), caption=file.caption
            )

    async def _album(self, context: BotContext, chat_id: int, refs: tuple[PhotoRef, ...]) -> None:
        media = [m for m in (self._media(r) for r in refs[-ALBUM_MAX:]) if m is not None]
        try:
            if len(media) == 1:
                await context.bot.send_photo(chat_id, media[0])
            elif media:
                await context.bot.send_media_group(chat_id, [InputMediaPhoto(m) for m in media])
        except TelegramError:
            # The card still shows how many photos there are; the record is in the database.
            log.warning("could not send an album to %s", chat_id, exc_info=True)

    def _media(self, ref: PhotoRef) -> str | bytes | None:
        if ref.file_id and ref.platform in (None, PLATFORM):
            return ref.file_id
        if ref.path:
            stored = Path(self.core.settings.media_dir) / ref.path
            return stored.read_bytes() if stored.exists() else None
        return None


async def set_menu(bot: Bot, chat_id: int, lang: str, person: Person) -> None:
    """Show this chat only its own commands, described in its language."""
    commands = [BotCommand(c, t(lang, f"cmd.{c}")) for c in commands_for(person)]
    # A menu is a convenience; the commands work without it.
    with contextlib.suppress(TelegramError):
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))


def add_core(app: Application, db: Database, settings: Settings, router: Router) -> Core:
    """Put the core in front of the application's own handlers."""
    core = Core(db, settings, TelegramPlatform(app.bot), router)
    app.bot_data["core"] = core
    app.add_handler(TypeHandler(Update, TelegramChat(core).on_update), group=-1)
    return core
