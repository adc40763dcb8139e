"""Every morning: each contractor gets its list, each inspector the to-check list."""

from __future__ import annotations

import logging
from datetime import time

from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import pick_language
from handlers import keyboards, render
from handlers.common import BotContext
from models.people import morning_recipients
from models.queries import contractor_list, to_check_list
from models.tables import Role

log = logging.getLogger(__name__)
JOB_NAME = "morning_lists"


async def morning_lists(context: BotContext) -> None:
    """Send every contractor person its list and every inspector the to-check list."""
    default = context.settings.default_language
    for telegram_id, stored, roles in await context.call(morning_recipients):
        lang = pick_language(stored, None, default)
        try:
            if Role.contractor in roles:
                page = await context.call(contractor_list, telegram_id=telegram_id)
                if page.total:
                    await context.bot.send_message(
                        telegram_id,
                        render.my_list(lang, page),
                        reply_markup=keyboards.my_list(page, lang),
                    )
            if Role.inspector in roles:
                page = await context.call(to_check_list, telegram_id=telegram_id)
                if page.total:
                    await context.bot.send_message(
                        telegram_id,
                        render.to_check(lang, page),
                        reply_markup=keyboards.to_check(page, lang),
                    )
        except TelegramError:
            # One blocked chat must not stop everyone else's morning list.
            log.warning("morning list to %s failed", telegram_id, exc_info=True)


def schedule(app: Application) -> None:
    """Schedule the morning lists at MORNING_PUSH, in the project time zone (Defaults)."""
    hours, minutes = map(int, app.bot_data["settings"].morning_push.split(":"))
    for job in app.job_queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    # A naive time would be UTC; the app's Defaults(tzinfo=TIMEZONE) make it local time.
    app.job_queue.run_daily(morning_lists, time(hours, minutes), name=JOB_NAME)
