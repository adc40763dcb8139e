"""Telegram's own pieces of the adapter: the callback context, one answer per button press,
the overall pace of sends."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, CallbackContext, ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.adapter import LIMITS
from handlers import watch
from handlers.i18n import pick_language, t
from jobs import rhythm
from jobs.pacing import SharedLimits, SlidingWindows
from models.db import Database
from models.inbound import first_sight
from models.links import item_start
from models.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the database and the settings (the core knows the person)."""

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


ALERT_LIMIT = LIMITS.alert  # Telegram shows at most 200 characters in a button's alert
BEAT_TASK = "beat_task"  # bot_data: the daily beat's task while the application runs
# bot_data: replies wait for their chat's turn (a real run; offline only if a test asks).
PACE_REPLIES = "pace_replies"
ACK_WITHIN = 5.0  # seconds: a press still being worked on stops spinning by then
HOLD_MARGIN = 0.1  # seconds added to a RetryAfter, as PTB's limiter holds its own requests


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
    """The application, answering every button press exactly once (see OnePress), with the
    daily beat (jobs.rhythm) running while it runs, unless bot_data["beat"] is False."""

    async def start(self) -> None:
        """Start the application, then the daily beat."""
        await super().start()
        if self.bot_data.get("beat", True):
            data = self.bot_data
            self.bot_data[BEAT_TASK] = rhythm.start(
                db=data["db"],
                delivery=data["delivery"],
                settings=data["settings"],
                pulse=data.get("pulse"),
            )

    async def stop(self) -> None:
        """Stop the daily beat, then the application."""
        await rhythm.stop(self.bot_data.pop(BEAT_TASK, None))
        await super().stop()

    async def process_update(self, update: object) -> None:
        """Handle an update once; a button press is answered once, when its outcome is known."""
        if await self._seen_before(update):
            # Telegram's retry of a webhook it thinks failed, or an update a restarted poller
            # fetched again: handled already (its callback query answered, so none is owed).
            log.warning("telegram update %s ignored (already seen)", update.update_id)  # type: ignore[attr-defined]
            return
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

    async def _seen_before(self, update: object) -> bool:
        """Record the update's id in the database; True when it was recorded already."""
        db = self.bot_data.get("db")
        if (
            db is None
            or not isinstance(update, Update)
            or isinstance(update.callback_query, OnePress)
        ):
            return False  # not Telegram's (or our own re-read of a press): nothing to go by
        try:
            first = await asyncio.to_thread(db.run, first_sight, key=update_key(self.bot, update))
        except Exception:
            # The database is down: handle it anyway (the flow says so), never drop it unseen.
            log.warning("could not record a telegram update as seen", exc_info=True)
            return False
        return not first


def update_key(bot: ExtBot, update: Update) -> str:
    """Return the key a Telegram update is recorded by (update ids are per bot)."""
    return f"tg:{bot.id}:{update.update_id}"


def _one_press(update: object) -> OnePress | None:
    if not isinstance(update, Update) or update.callback_query is None:
        return None
    if isinstance(update.callback_query, OnePress):
        return None  # already re-read, e.g. an update processed twice
    query = update.callback_query
    return OnePress.de_json(query.to_dict(), query.get_bot())


async def on_error(update: object, context: BotContext) -> None:
    """Log what failed while drawing a reply; tell the person once, never with a traceback."""
    with watch.update(getattr(update, "update_id", None)):  # its lines name the update too
        await _on_error(update, context)


async def _on_error(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, BadRequest) and "not modified" in str(error).lower():
        return  # the same page pressed twice: what the person sees is already right
    log.error("update failed", exc_info=error)
    if isinstance(update, Update) and update.effective_chat:
        lang = pick_language(None, getattr(update.effective_user, "language_code", None), "zh")
        try:
            await context.bot.send_message(update.effective_chat.id, t(lang, "error.internal"))
        except TelegramError:
            log.warning("could not tell the user about an error", exc_info=True)


Request = Callable[..., Coroutine[Any, Any, Any]]


class SlidingRateLimiter(BaseRateLimiter[int]):
    """PTB's AIORateLimiter, with the overall limit as Telegram counts it: at most `rate`
    requests to chats in any sliding `span` seconds, not a bucket that lets `rate` go at once
    and then one every span/rate.

    Each request holds its place from when it leaves until `span` after its answer came (see
    jobs.pacing.SlidingWindows), so Telegram never sees more than `rate` in any second, whatever
    the latency. Everything else is PTB's own: a group's 20 a minute, and on a RetryAfter every
    request held for retry_after + 0.1 s, then tried again, `max_retries` times.

    With `shared`, every process takes its places in one count in the database, and a
    RetryAfter holds every process's requests, not this one's alone.
    """

    ALL = "all"

    def __init__(
        self,
        rate: int,
        span: float = 1.0,
        *,
        max_retries: int = 0,
        shared: SharedLimits | None = None,
    ) -> None:
        self._ptb = AIORateLimiter(
            overall_max_rate=0, overall_time_period=0, max_retries=max_retries
        )
        self._window = SlidingWindows(((span, rate),))
        self.shared = shared
        self._flying = 0
        self._queue = asyncio.Lock()  # asyncio's locks are fair: places go in the order asked
        self._ended = asyncio.Event()

    async def initialize(self) -> None:
        """Initialize PTB's limiter."""
        await self._ptb.initialize()

    async def shutdown(self) -> None:
        """Shut PTB's limiter down."""
        await self._ptb.shutdown()

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Make a request through PTB's limiter; one to a chat waits for its place first."""
        if data.get("chat_id") is None or data.get("allow_paid_broadcast"):
            # As PTB: the overall limit is for requests to a chat; paid broadcasts have their own.
            paced = callback
        else:

            async def paced(*call_args: Any, **call_kwargs: Any) -> Any:
                async with self._place():
                    try:
                        return await callback(*call_args, **call_kwargs)
                    except RetryAfter as exc:
                        if self.shared is not None:  # PTB holds this process; the rest too
                            self.shared.hold(self.ALL, self.ALL, retry_seconds(exc) + HOLD_MARGIN)
                        raise

        return await self._ptb.process_request(paced, args, kwargs, endpoint, data, rate_limit_args)

    @asynccontextmanager
    async def _place(self) -> AsyncIterator[None]:
        """Wait for a place in the window; it counts from when the request ends."""
        async with self._queue:
            while (wait := self._window.wait(self.ALL, flying=self._flying)) != 0:
                if wait is None:  # every place is held by a request still in flight
                    self._ended.clear()
                    await self._ended.wait()
                else:
                    await asyncio.sleep(wait)
            place = None
            if self.shared is not None:
                windows = self._window.windows
                place = await self.shared.place(self.ALL, self.ALL, windows, asyncio.sleep)
            self._flying += 1
        try:
            yield
        finally:
            self._flying -= 1
            self._window.ended(self.ALL)
            self._ended.set()
            if place is not None:
                await self.shared.end(place)  # type: ignore[union-attr]


def retry_seconds(exc: RetryAfter) -> float:
    """Return how long Telegram asked to wait, in seconds."""
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; both are read here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    total = getattr(value, "total_seconds", None)
    return float(total() if total else value)


def item_start_link(username: str | None, item_id: int) -> str | None:
    """Return the deep link that opens an item's card in a chat with the bot."""
    return f"https://t.me/{username}?start={item_start(item_id)}" if username else None
