"""What every handler shares: the database call, the person behind an update, replies."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from bot.i18n import pick_language, t
from bot.settings import Settings
from models.db import Database
from models.errors import DomainError
from models.people import Person, find_person
from models.tables import Role

log = logging.getLogger(__name__)
T = TypeVar("T")


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the database, the settings and who is talking."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: Person | None = None
        self.lang: str = "zh"

    @property
    def db(self) -> Database:
        """Return the database of this application."""
        return self.application.bot_data["db"]

    @property
    def settings(self) -> Settings:
        """Return the settings of this application."""
        return self.application.bot_data["settings"]

    async def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a domain function in a worker thread with its own session."""
        return await asyncio.to_thread(self.db.run, fn, **kwargs)

    def t(self, key: str, /, **params: Any) -> str:
        """Return a text in this user's language."""
        return t(self.lang, key, **params)

    def require(self, *roles: Role) -> Person:
        """Return the person if they hold one of the roles, else refuse."""
        if self.person is None:
            raise DomainError("not_registered")
        if not self.person.has(*roles):
            raise DomainError("not_allowed")
        return self.person


async def identify(update: Update, context: BotContext) -> None:
    """Load who is talking and their language; stop updates from strangers."""
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    await _load_person(update, context)
    if context.person is not None or _is_start(update):
        return
    await answer(update, context, context.t("error.not_registered"))
    raise ApplicationHandlerStop


async def _load_person(update: Update, context: BotContext) -> None:
    user = update.effective_user
    context.person = await context.call(find_person, telegram_id=user.id)
    context.lang = pick_language(
        context.person.language if context.person else None,
        user.language_code,
        context.settings.default_language,
    )


def _is_start(update: Update) -> bool:
    message = update.effective_message
    return bool(update.message and message and message.text and message.text.startswith("/start"))


async def answer(update: Update, context: BotContext, text: str, **kwargs: Any) -> None:
    """Reply in the chat the update came from, answering a button press first."""
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, **kwargs)


def refusal(context: BotContext, error: DomainError) -> str:
    """Return a domain refusal as a sentence in the user's language."""
    # What the person typed (a name, a code) comes back in the sentence: HTML-escape it.
    params = {k: esc(v) if isinstance(v, str) else v for k, v in error.params.items()}
    if params.get("state"):
        params["state"] = context.t(f"state.{params['state']}")
    return context.t(f"error.{error.key}", **params)


async def on_error(update: object, context: BotContext) -> None:
    """Tell the user in their language; never show a traceback."""
    error = context.error
    if isinstance(update, Update) and update.effective_user:
        # The error context is a new one: find the person's language again.
        await _load_person(update, context)
    if isinstance(update, Update) and isinstance(error, DomainError):
        await _safe_answer(update, context, refusal(context, error))
        return
    if isinstance(error, BadRequest) and "not modified" in str(error).lower():
        return  # the same page pressed twice: what the person sees is already right
    log.error("update failed", exc_info=error)
    if isinstance(update, Update):
        await _safe_answer(update, context, context.t("error.internal"))


async def _safe_answer(update: Update, context: BotContext, text: str) -> None:
    if update.callback_query:
        # Usually already answered by the handler before it failed.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the user about an error", exc_info=True)


def esc(text: object) -> str:
    """Escape a value for an HTML message."""
    return html.escape(str(text), quote=False)


TEXT_LIMIT = 4000  # Telegram takes 4096 characters a message; leave room


async def send_long(
    context: BotContext, chat_id: int, text: str, reply_markup: object | None = None
) -> None:
    """Send a long text as several messages, split between lines, buttons on the last."""
    chunks, current = [], ""
    for line in text.split("\n"):
        if current and len(current) + len(line) + 1 > TEXT_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        await context.bot.send_message(chat_id, chunk, reply_markup=reply_markup if last else None)
