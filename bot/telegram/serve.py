"""A real Telegram run in a serving process (bot.serve): polling, or a webhook."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import warnings
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.adapter import SetupError
from bot.serve import MAX_BODY
from bot.telegram.app import build_application
from bot.telegram.common import BEAT_TASK
from jobs import rhythm
from models.db import Database
from models.settings import Settings

log = logging.getLogger("bot")
CONSOLE_BOT = "handover_demo_bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram sends us, polled or posted alike: the only updates a flow takes.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def check(settings: Settings) -> None:
    """Raise SetupError when there is no token to run with."""
    if settings.telegram_bot_token is None:
        raise SetupError(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or .env (or try `python -m bot console` offline)"
        )


def secrets(settings: Settings) -> tuple[str, ...]:
    """Return the token and the webhook's secret, for the log to mask."""
    token = settings.telegram_bot_token
    return (token.get_secret_value(), webhook_secret(settings)) if token is not None else ()


class TelegramService:
    """Telegram in a serving process (bot.serve): polling, or a webhook on the process's app.

    The webhook is registered with a secret that Telegram sends back with every update; a
    request without it is refused (403) and logged (never the secret). An update is answered
    200 at once and handled after, through the application's update queue, as polling hands
    them over: the application's stop finishes every update already queued.
    """

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.app = build_application(settings, db)
        self.url = settings.telegram_webhook_url
        self.needs_http = self.url is not None
        self.secret = webhook_secret(settings).encode()
        self._connected = False

    def routes(self, app: web.Application) -> None:
        """Serve the webhook at its URL's path, if there is one."""
        if self.url is not None:
            app.router.add_post(urlsplit(self.url).path or "/", self.receive)

    async def start(self) -> None:
        """Reach Telegram, start the application (and its beat), then register or poll."""
        try:
            await _connect(self.app, self.settings)
        except asyncio.CancelledError:
            log.info("stopped before Telegram could be reached")
            raise
        self._connected = True
        await self.app.start()
        if self.url is None:
            await self.app.updater.start_polling(
                bootstrap_retries=-1, allowed_updates=ALLOWED_UPDATES
            )
            log.info(
                "polling %s as @%s", self.settings.telegram_api_base_url, self.app.bot.username
            )
            return
        await self.app.bot.set_webhook(
            self.url, secret_token=self.secret.decode(), allowed_updates=ALLOWED_UPDATES
        )
        log.info("Telegram's webhook is %s (as @%s)", self.url, self.app.bot.username)

    async def receive(self, request: web.Request) -> web.Response:
        """Take one update from Telegram: refuse a stranger, queue it, answer 200 at once."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning(
                "webhook: refused a request from %s: %s secret token",
                request.remote,
                "a wrong" if given else "no",
            )
            return web.Response(status=403)
        if not self.app.running:
            return web.Response(status=503)  # starting or stopping: Telegram tries again
        try:
            update = Update.de_json(json.loads(await request.read()), self.app.bot)
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook: refused a body over %d bytes from %s", MAX_BODY, request.remote)
            return web.Response(status=413)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("webhook: refused a body that is not an update from %s", request.remote)
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    async def stop_taking(self) -> None:
        """Stop polling (a webhook's requests are refused by the app from now on)."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()

    async def finish(self) -> None:
        """Stop the beat and handle every update already taken (PTB's stop does both)."""
        if self.app.running:
            await self.app.stop()

    async def close(self) -> None:
        """Stop the beat if the stop was cut short; close the connections to Telegram."""
        await rhythm.stop(self.app.bot_data.pop(BEAT_TASK, None))
        if self._connected and not self.app.running:
            await self.app.shutdown()


def service(settings: Settings, db: Database) -> TelegramService:
    """Return Telegram as a service of a serving process (bot.serve)."""
    check(settings)
    return TelegramService(settings, db)


def webhook_secret(settings: Settings) -> str:
    """Return the webhook's secret: TELEGRAM_WEBHOOK_SECRET, else one derived from the token
    (so every process of one bot agrees on it, and it changes with the token)."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    token = settings.telegram_bot_token
    key = token.get_secret_value().encode() if token is not None else b""
    # Telegram takes 1-256 characters of A-Z, a-z, 0-9, _ and -: hex is among them.
    return hmac.new(key, b"handover webhook secret", hashlib.sha256).hexdigest()


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
