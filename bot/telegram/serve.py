"""A real Telegram run (polling until stopped), the offline stand-in and the console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.adapter import SetupError
from bot.telegram.app import build_application
from models.db import Database
from models.settings import Settings

log = logging.getLogger("bot")
CONSOLE_BOT = "handover_demo_bot"


def check(settings: Settings) -> None:
    """Raise SetupError when there is no token to run with."""
    if settings.telegram_bot_token is None:
        raise SetupError(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or .env (or try `python -m bot console` offline)"
        )


def secrets(settings: Settings) -> tuple[str, ...]:
    """Return the token, for the log to mask."""
    token = settings.telegram_bot_token
    return (token.get_secret_value(),) if token is not None else ()


def serve(settings: Settings, db: Database) -> int:
    """Poll Telegram (or TELEGRAM_API_BASE_URL) and serve until stopped."""
    check(settings)
    try:
        app = build_application(settings, db)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # run_polling carries on in this loop
        if not loop.run_until_complete(_unless_stopped(_connect(app, settings))):
            loop.close()
            return 0
        log.info("polling %s as @%s", settings.telegram_api_base_url, app.bot.username)
        app.run_polling(bootstrap_retries=-1)
    except SetupError:
        raise
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the token.
        log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


async def _connect(app: Application, settings: Settings) -> None:
    """Start the application, waiting (with back-off) while Telegram cannot be reached."""
    delay = settings.telegram_retry_first
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise SetupError(
                "Telegram refused the token (TELEGRAM_BOT_TOKEN): check it with @BotFather"
            ) from None
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that it will become a timedelta
                warnings.simplefilter("ignore")
                asked = exc.retry_after
            wait = max(delay, asked.total_seconds() if isinstance(asked, timedelta) else asked)
            reason = "too many requests"
        except NetworkError as exc:  # refused, timed out, or a 5xx answer
            wait, reason = delay, str(exc) or type(exc).__name__
        log.warning("Telegram not reachable (%s), retrying in %g s", reason, wait)
        await asyncio.sleep(wait)
        delay = min(delay * 2, settings.telegram_retry_max)


async def _unless_stopped(work: Coroutine[Any, Any, None]) -> bool:
    """Run `work`; False when SIGINT or SIGTERM came first (a stop while still waiting)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
        for sig in signals:
            loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("stopped before Telegram could be reached")
        return False
    finally:
        with contextlib.suppress(NotImplementedError):
            for sig in signals:
                loop.remove_signal_handler(sig)
    return True
