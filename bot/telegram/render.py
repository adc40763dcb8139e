"""The one Telegram renderer: a screen as HTML messages with an inline keyboard, an album and
files, for a chat reply and a push alike (within Telegram's limits, bot.telegram.adapter)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest, TelegramError

from bot.telegram.adapter import LIMITS
from bot.telegram.common import ALERT_LIMIT, OnePress
from handlers.choices import Rows
from handlers.i18n import pick_language, t
from handlers.menu import commands_for
from handlers.screens import Attachment, Screen
from handlers.text import esc, split_html
from jobs.sender import ChatPacer
from models.db import Database
from models.people import Person, accounts, person_with_account
from models.queries import PhotoRef
from models.settings import Settings
from models.tables import Platform

log = logging.getLogger(__name__)
T = TypeVar("T")


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """Return neutral choices as an inline keyboard, one row per row."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in rows if row]
    )


def chunks(text: str) -> list[str]:
    """Return a screen's text as the messages it takes (none for no text)."""
    return split_html(text, LIMITS.chunk) if text else []


def _turn(pacer: ChatPacer | None, chat: int) -> AbstractAsyncContextManager[object]:
    """Wait for the chat's turn in `pacer`; None: the caller holds the turn (the sender)."""
    return pacer.turn(chat) if pacer is not None else contextlib.nullcontext()


async def send_text(
    bot: Bot, chat: int, text: str, rows: Rows, pacer: ChatPacer | None = None
) -> list[Message]:
    """Send a text as its messages, the keyboard under the last one."""
    pieces = chunks(text)
    sent = []
    for i, piece in enumerate(pieces):
        keys = keyboard(rows) if i == len(pieces) - 1 else None
        async with _turn(pacer, chat):
            sent.append(await bot.send_message(chat, piece, reply_markup=keys))
    return sent


async def send_file(bot: Bot, chat: int, file: Attachment, pacer: ChatPacer | None = None) -> None:
    """Send an attachment: a photo (a chart) or a document (a printable list)."""
    send = bot.send_photo if file.kind == "photo" else bot.send_document
    async with _turn(pacer, chat):
        await send(chat, InputFile(file.content, filename=file.filename), caption=file.caption)


async def send_album(
    bot: Bot,
    chat: int,
    refs: tuple[PhotoRef, ...],
    media_dir: Path,
    pacer: ChatPacer | None = None,
) -> None:
    """Send the latest photos of an item as an album (one photo alone); failures only logged."""
    found = (_media(ref, media_dir) for ref in refs[-LIMITS.album :])
    media = [m for m in found if m is not None]
    try:
        async with _turn(pacer, chat):
            if len(media) == 1:
                await bot.send_photo(chat, media[0])
            elif media:
                await bot.send_media_group(chat, [InputMediaPhoto(m) for m in media])
    except TelegramError:
        # The card still shows how many photos there are; the record is in the database.
        log.warning("could not send an album to %s", chat, exc_info=True)


def _media(ref: PhotoRef, media_dir: Path) -> str | bytes | None:
    if ref.file_id and ref.platform in (None, Platform.telegram):
        return ref.file_id
    if ref.path:
        stored = media_dir / ref.path
        return stored.read_bytes() if stored.exists() else None
    return None


async def set_menu(bot: Bot, chat_id: int, lang: str, person: Person) -> None:
    """Show this chat only its own commands, described in its language."""
    commands = [BotCommand(c, t(lang, f"cmd.{c}")) for c in commands_for(person)]
    # A menu is a convenience; the commands work without it.
    with contextlib.suppress(TelegramError):
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))


class ChatRenderer:
    """One reply drawn in the chat it answers (bot.front.Renderer): a press answered once."""

    def __init__(
        self,
        bot: Bot,
        chat: int,
        query: object,
        db: Database,
        settings: Settings,
        pacer: ChatPacer | None = None,
    ) -> None:
        self.bot = bot
        self.chat = chat
        self.query = query  # the pressed button (an OnePress), or None for a message
        self.db = db
        self.settings = settings
        self.pacer = pacer  # the chat's one a second, with the notices to it (a real run's)

    async def answer(self, text: str) -> None:
        """Answer as the button's alert when it fits and is unanswered, else as a message."""
        query = self.query
        if isinstance(query, OnePress) and not query.answered and len(text) <= ALERT_LIMIT:
            try:
                await query.answer(text, show_alert=True)
                return
            except TelegramError:
                log.warning("could not answer a button press with an alert", exc_info=True)
        with contextlib.suppress(TelegramError):
            async with _turn(self.pacer, self.chat):
                await self.bot.send_message(self.chat, esc(text))

    async def busy(self, action: str) -> None:
        """Show the chat action ("sending a photo…") while it is made."""
        with contextlib.suppress(TelegramError):
            await self.bot.send_chat_action(self.chat, action)

    async def menu(self, user_id: int) -> None:
        """Redo a person's command menu in their language; take it away if no role is left."""
        found = await self._call(person_with_account, user_id=user_id)
        if found is not None:
            person, account = found
            lang = pick_language(person.language, None, self.settings.default_language)
            await set_menu(self.bot, int(account), lang, person)
            return
        # No role left (revoked): their menu would only lead to refusals now.
        gone = await self._call(accounts, user_ids=[user_id])
        if user_id in gone:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_my_commands(BotCommandScopeChat(int(gone[user_id])))

    async def _call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a domain function on Telegram's accounts in a worker thread."""
        return await asyncio.to_thread(self.db.run, fn, platform=Platform.telegram, **kwargs)

    async def screen(self, screen: Screen) -> None:
        """Show the album, the text (in place of the pressed screen where asked), the files."""
        if screen.photos:
            media_dir = Path(self.settings.media_dir)
            await send_album(self.bot, self.chat, screen.photos, media_dir, self.pacer)
        pieces = chunks(screen.text)
        message = getattr(self.query, "message", None)
        if screen.replace and message is not None and len(pieces) == 1:
            try:
                await self.query.edit_message_text(  # type: ignore[attr-defined]
                    pieces[0], reply_markup=keyboard(screen.choices)
                )
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    raise
        else:
            await send_text(self.bot, self.chat, screen.text, screen.choices, self.pacer)
        for file in screen.files:
            await send_file(self.bot, self.chat, file, self.pacer)
