"""What every handler shares: the database call, the person behind an update, replies."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from handlers.i18n import pick_language, t
from handlers.text import (  # noqa: F401  (re-exported: the flows import them from here)
    QUOTED,
    TEXT_LIMIT,
    clip,
    esc,
    quoted,
    split_html,
)
from models.db import Database
from models.errors import DomainError
from models.people import Person, find_person
from models.pushes import clear_blocked
from models.settings import Settings
from models.tables import Platform, Role

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
    if update.callback_query and not update.callback_query.data:
        # PTB would hand a press without data to the first button handler of any pattern.
        await update.callback_query.answer(context.t("error.stale_button"), show_alert=True)
        raise ApplicationHandlerStop
    if context.person is not None or _is_start(update):
        return
    await tell(update, context, context.t("error.not_registered"))
    raise ApplicationHandlerStop


async def _load_person(update: Update, context: BotContext) -> None:
    user = update.effective_user
    context.person = await context.call(
        find_person, platform=Platform.telegram, account=str(user.id)
    )
    if context.person is not None and context.person.blocked_at is not None:
        # They blocked the bot once and write again: pushes reach them from now on.
        await context.call(clear_blocked, user_id=context.person.id, platform=Platform.telegram)
        context.person = dataclasses.replace(context.person, blocked_at=None)
    context.lang = pick_language(
        context.person.language if context.person else None,
        user.language_code,
        context.settings.default_language,
    )


def _is_start(update: Update) -> bool:
    message = update.effective_message
    return bool(update.message and message and message.text and message.text.startswith("/start"))


def refusal(context: BotContext, error: DomainError, *, as_html: bool = True) -> str:
    """Return a domain refusal as a sentence in the user's language (HTML, or plain text)."""
    # A value may be what the person typed (a category, a flat code): quoted short, escaped.
    params = {
        k: (esc(clip(v, QUOTED)) if as_html else clip(v, QUOTED)) if isinstance(v, str) else v
        for k, v in error.params.items()
    }
    if error.params.get("state"):
        params["state"] = context.t(f"state.{error.params['state']}")
    return context.t(f"error.{error.key}", **params)


ALERT_LIMIT = 200  # Telegram shows at most 200 characters in a button's alert
ACK_WITHIN = 5.0  # seconds: a press still being worked on stops spinning by then


class OnePress(CallbackQuery):
    """A button press that is answered exactly once, as Telegram allows.

    A bare acknowledgement (`answer()` with no text) waits until the update is handled, so
    that a refusal raised after it can still be the button's alert; the application sends it
    at the end if nothing else answered the press (or after ACK_WITHIN, if the work is slow).
    """

    __slots__ = ("_answered", "_holding")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answered = False
        self._holding = True

    @property
    def answered(self) -> bool:
        """Return whether Telegram has been (or is being) answered for this press."""
        return self._answered

    async def answer(
        self,
        text: str | None = None,
        show_alert: bool | None = None,
        url: str | None = None,
        cache_time: Any = None,
        **kwargs: Any,
    ) -> bool:
        """Answer the press once: later answers are dropped, a bare one waits for the outcome."""
        if self._answered:
            if text:
                log.warning("a second answer to one button press was dropped: %s", text)
            return False
        if self._holding and text is None and url is None:
            return True
        self._answered = True
        return await super().answer(text, show_alert, url, cache_time, **kwargs)

    async def acknowledge(self) -> None:
        """Send the bare acknowledgement now, unless the press has been answered."""
        self._holding = False
        if not self._answered:
            try:
                await self.answer()
            except TelegramError:
                log.warning("could not answer a button press", exc_info=True)


class AnsweringApplication(Application):
    """The application, answering every button press exactly once (see OnePress)."""

    async def process_update(self, update: object) -> None:
        """Handle an update; a button press is answered once, when its outcome is known."""
        press = _one_press(update)
        if press is None:
            await super().process_update(update)
            return
        loop = asyncio.get_running_loop()
        late = loop.call_later(ACK_WITHIN, lambda: self.create_task(press.acknowledge()))
        try:
            reread = Update(update.update_id, callback_query=press)
            reread.set_bot(update.get_bot())
            await super().process_update(reread)
        finally:
            late.cancel()
            await press.acknowledge()


def _one_press(update: object) -> OnePress | None:
    if not isinstance(update, Update) or update.callback_query is None:
        return None
    if isinstance(update.callback_query, OnePress):
        return None  # already re-read, e.g. an update processed twice
    query = update.callback_query
    return OnePress.de_json(query.to_dict(), query.get_bot())


async def tell(update: Update, context: BotContext, text: str, *, plain: str | None = None) -> None:
    """Tell the person: as the pressed button's alert if it is unanswered, else in the chat.

    `text` is HTML for a message; `plain` is the same sentence as plain text for an alert.
    """
    query = update.callback_query
    alert = plain if plain is not None else text
    if isinstance(query, OnePress) and not query.answered and len(alert) <= ALERT_LIMIT:
        try:
            await query.answer(alert, show_alert=True)
            return
        except TelegramError:
            log.warning("could not answer a button press with an alert", exc_info=True)
    try:
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the user about an error", exc_info=True)


async def refuse(update: Update, context: BotContext, error: DomainError) -> None:
    """Say why a request was refused: the pressed button's alert, else a message."""
    plain = refusal(context, error, as_html=False)
    await tell(update, context, refusal(context, error), plain=plain)


async def on_error(update: object, context: BotContext) -> None:
    """Tell the user in their language; never show a traceback."""
    error = context.error
    if isinstance(update, Update) and update.effective_user:
        # The error context is a new one: find the person's language again.
        await _load_person(update, context)
    if isinstance(update, Update) and isinstance(error, DomainError):
        await refuse(update, context, error)
        return
    if isinstance(error, BadRequest) and "not modified" in str(error).lower():
        return  # the same page pressed twice: what the person sees is already right
    log.error("update failed", exc_info=error)
    if isinstance(update, Update):
        await tell(update, context, context.t("error.internal"))


async def send_long(
    context: BotContext, chat_id: int, text: str, reply_markup: object | None = None
) -> None:
    """Send a long text as several messages, split safely (split_html), buttons on the last."""
    chunks = split_html(text)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        await context.bot.send_message(chat_id, chunk, reply_markup=reply_markup if last else None)
