"""Building the Telegram application: settings, database, handlers, jobs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

import handlers
from bot.delivery import TelegramDelivery
from bot.persistence import DatabasePersistence
from bot.settings import Settings
from bot.transport import OfflineTelegram
from handlers.common import AnsweringApplication, BotContext
from jobs import rhythm
from models.db import Database

OFFLINE_TOKEN = "100000:OFFLINE"


class SavingApplication(AnsweringApplication):
    """An Application that stores chat state with the update that changed it."""

    async def process_update(self, update: object) -> None:
        """Handle one update, then write what it changed before taking the next one."""
        # PTB alone writes on its persistence timer: a crash before it fires would lose a step
        # the person was already told about (e.g. "send a photo" after pressing Repaired).
        try:
            await super().process_update(update)
        finally:
            await self.update_persistence()


def build_application(
    settings: Settings,
    db: Database,
    *,
    request: BaseRequest | None = None,
) -> Application:
    """Assemble the bot: over `request` when given (offline), else Telegram at the base URL."""
    token = settings.telegram_bot_token
    builder = (
        ApplicationBuilder()
        .application_class(SavingApplication)
        .token(token.get_secret_value() if token else OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .context_types(ContextTypes(context=BotContext))
        .persistence(DatabasePersistence(db))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.rate_limiter(AIORateLimiter())
    app = builder.build()
    app.bot_data["db"] = db
    app.bot_data["settings"] = settings
    # Jobs see only the neutral Delivery; another platform's adapter would put its own here.
    app.bot_data["delivery"] = TelegramDelivery(app.bot)
    handlers.register(app)
    schedule_rhythm(app)
    return app


def schedule_rhythm(app: Application) -> None:
    """Start the daily beat: one tick a minute; the first one, soon after start, catches up."""
    for job in app.job_queue.get_jobs_by_name(rhythm.JOB_NAME):
        job.schedule_removal()
    # The tick reads each project's own zone, so no Defaults zone and no daily time is needed.
    app.job_queue.run_repeating(
        rhythm.daily_rhythm,
        interval=rhythm.TICK_SECONDS,
        first=rhythm.FIRST_TICK_SECONDS,
        name=rhythm.JOB_NAME,
    )


def build_offline(settings: Settings, db: Database, transport: OfflineTelegram) -> Application:
    """Assemble the bot on the in-process Telegram (console, demo and tests)."""
    app = build_application(settings, db, request=transport)
    transport.bind(app.bot)
    return app
