"""`run`: serve on a chat platform until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, load_settings, log, log_to_stderr, open_db, takes_demo
from models.settings import Settings

if TYPE_CHECKING:
    from telegram.ext import Application

PLATFORMS = ("telegram", "wecom")


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    run = sub.add_parser("run", help="serve on Telegram (or WeCom)")
    run.add_argument("--platform", choices=PLATFORMS, default="telegram")
    run.set_defaults(fn=cmd_run)
    takes_demo(run)


def cmd_run(args: argparse.Namespace) -> int:
    """Poll Telegram (or TELEGRAM_API_BASE_URL) and serve until stopped."""
    if getattr(args, "platform", "telegram") == "wecom":
        return cmd_run_wecom(args)
    settings = load_settings(args)
    if settings.telegram_bot_token is None:
        raise CliError(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or .env (or try `python -m bot console` offline)"
        )
    from bot.telegram.app import build_application

    log_to_stderr(settings.telegram_bot_token.get_secret_value())
    try:
        app = build_application(settings, open_db(settings))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # run_polling carries on in this loop
        if not loop.run_until_complete(_unless_stopped(_connect(app, settings))):
            loop.close()
            return 0
        log.info("polling %s as @%s", settings.telegram_api_base_url, app.bot.username)
        app.run_polling(bootstrap_retries=-1)
    except CliError:
        raise
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the token.
        log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


def cmd_run_wecom(args: argparse.Namespace) -> int:
    """Serve WeCom's callback (and the upload pages) at WECOM_LISTEN until stopped."""
    settings = load_settings(args)
    if settings.wecom_missing:
        raise CliError(
            f"WeCom settings not set: {', '.join(settings.wecom_missing)} (put them in the "
            "environment or .env; see README, deploying on WeCom)"
        )
    secrets = (settings.wecom_secret, settings.wecom_token, settings.wecom_encoding_aes_key)
    log_to_stderr(*(s.get_secret_value() for s in secrets if s is not None))
    from aiohttp import web

    from bot.wecom.serve import build_wecom

    try:
        server = build_wecom(settings, open_db(settings))
    except ValueError as exc:  # the crypto refuses a malformed key (its message names no secret)
        raise CliError(f"WeCom settings: {exc}") from None
    host, port = settings.wecom_host_port
    log.info(
        "serving the WeCom callback on http://%s:%s/wecom/callback (API %s)",
        host,
        port,
        settings.wecom_api_base_url,
    )
    try:
        web.run_app(server.app, host=host, port=port, print=None, access_log=None)
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.wecom_listen} (WECOM_LISTEN): {exc}") from None
    except Exception:
        log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


async def _connect(app: Application, settings: Settings) -> None:
    """Start the application, waiting (with back-off) while Telegram cannot be reached."""
    from telegram.error import InvalidToken, NetworkError, RetryAfter

    delay = settings.telegram_retry_first
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise CliError(
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
