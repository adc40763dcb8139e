"""Building the Telegram application: settings, database, handlers, jobs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

from bot.metrics import Metrics
from bot.telegram.adapter import LIMITS
from bot.telegram.chat import add_core
from bot.telegram.common import (
    PACE_REPLIES,
    AnsweringApplication,
    BotContext,
    SlidingRateLimiter,
    on_error,
)
from bot.telegram.delivery import TelegramDelivery
from handlers import flows
from jobs import rhythm
from jobs.pacing import SharedLimits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

OFFLINE_TOKEN = "100000:OFFLINE"
# Telegram allows about 30 messages a second in all; keep a little under it.
SENDS_PER_SECOND = LIMITS.sends_per_second - 1
# A 429 (RetryAfter) is waited out by PTB this often (holding every send), then by our sender.
RATE_LIMIT_RETRIES = 3


def rate_limiter(db: Database | None = None) -> SlidingRateLimiter:
    """Return the rate limiter a real run uses: Telegram's overall limit in every sliding second,
    kept by every process on `db` together (None: by this process alone)."""
    # PTB 22's AIORateLimiter is a leaky bucket (aiolimiter): 29 at once, then one every 34 ms,
    # so 35 sends left within 0.23 s. SlidingRateLimiter counts as Telegram does and keeps the
    # rest of PTB's (groups: 20 a minute; on a RetryAfter every request held, then retried).
    # There is no limit per private chat in it: TelegramDelivery.chats paces those (one a
    # second), for notices and a real run's replies.
    shared = SharedLimits(db, Platform.telegram.value) if db is not None else None
    return SlidingRateLimiter(SENDS_PER_SECOND, 1.0, max_retries=RATE_LIMIT_RETRIES, shared=shared)


def build_application(
    settings: Settings,
    db: Database,
    *,
    request: BaseRequest | None = None,
    limiter: BaseRateLimiter | None = None,
    beat: bool = True,
    metrics: Metrics | None = None,
) -> Application:
    """Assemble the bot: over `request` when given (offline), else Telegram at the base URL.

    A real run keeps Telegram's limits with `rate_limiter()`, and a chat's one message a second
    for the replies too (PACE_REPLIES); offline, only if `limiter` is given.
    `beat`: run the daily beat (jobs.rhythm) while the application runs.
    `metrics`: figures shared with another platform's front end in one process (else its own).
    """
    token = settings.telegram_bot_token
    builder = (
        ApplicationBuilder()
        .application_class(AnsweringApplication)
        .token(token.get_secret_value() if token else OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .context_types(ContextTypes(context=BotContext))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        limiter = limiter or rate_limiter(db)
    if limiter is not None:
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data[PACE_REPLIES] = limiter is not None
    app.bot_data["db"] = db
    app.bot_data["settings"] = settings
    # The figures of this application (/metrics) and its beat's pulse (/healthz): bot.health
    # serves both from bot_data["metrics"] and bot_data["pulse"].
    metrics = app.bot_data["metrics"] = metrics or Metrics(db)
    app.bot_data["pulse"] = rhythm.Pulse()
    # Jobs see only the neutral Delivery; another platform's adapter would put its own here.
    delivery = app.bot_data["delivery"] = TelegramDelivery(app.bot, db)
    delivery.meter = metrics  # every send counted (jobs.sender)
    add_core(app, db, settings, flows.router(), meter=metrics)
    app.add_error_handler(on_error)
    app.bot_data["beat"] = beat  # the daily beat runs while the application does
    return app
