"""Assembling the WeCom front end: the API client, the core, the callback app, the daily beat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiohttp import web

from bot import health
from bot.adapter import SetupError
from bot.metrics import Metrics
from bot.wecom.api import WeComAPI
from bot.wecom.chat import WeComChat, WeComPlatform
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.delivery import MEMBER_WINDOWS, MemberPacer, WeComDelivery
from bot.wecom.receiver import make_app
from bot.wecom.render import WeComRenderer
from bot.wecom.upload import SignIn, Uploads
from handlers import flows
from handlers.core import Core
from jobs import rhythm
from models.db import Database
from models.inbound import first_sight
from models.settings import Settings

log = logging.getLogger(__name__)
log_run = logging.getLogger("bot")  # what an operator reads of a run, as the command line logs
_RHYTHM = web.AppKey("wecom_rhythm", asyncio.Task)


def _secret(value: object) -> str:
    return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]


@dataclass
class WeComServer:
    """Everything a WeCom run serves: the callback and upload pages on `app`, over `api`."""

    app: web.Application
    api: WeComAPI
    chat: WeComChat
    delivery: WeComDelivery
    crypto: CallbackCrypto
    metrics: Metrics
    pulse: rhythm.Pulse  # the daily beat's, when it runs here


def build_wecom(
    settings: Settings,
    db: Database,
    *,
    client: httpx.AsyncClient | None = None,
    rhythm_timer: bool = True,
    members: MemberPacer | None = None,
    metrics: Metrics | None = None,
    health_routes: bool = True,
) -> WeComServer:
    """Assemble the WeCom front end (over `client` when given: the offline WeCom), with
    /healthz and /metrics on its app.

    `members`: the per-member pacer of every send (a test gives one on its own clock).
    `metrics`: figures shared with another platform's front end in one process (else its own).
    `health_routes`: False when the process's one app mounts /healthz and /metrics itself
    (bot.health.add_routes with every platform's pulse).
    """
    metrics = metrics or Metrics(db)
    pulse = rhythm.Pulse()
    api = WeComAPI(
        settings.wecom_api_base_url,
        settings.wecom_corp_id or "",
        _secret(settings.wecom_secret),
        int(settings.wecom_agent_id or 0),
        client=client,
    )

    async def seen(key: str) -> bool:
        return not await asyncio.to_thread(db.run, first_sight, key=key)

    renderer = WeComRenderer(api, members or MemberPacer(MEMBER_WINDOWS), Path(settings.media_dir))
    delivery = WeComDelivery(api, db, renderer)
    delivery.meter = metrics  # every send counted (jobs.sender)
    uploads = Uploads(
        settings.wecom_public_url or f"http://{settings.wecom_listen}",
        SignIn(api, settings.wecom_oauth_url),
    )
    core = Core(db, settings, WeComPlatform(api, uploads), flows.router(), meter=metrics)
    chat = WeComChat(core, api, delivery, seen, uploads)
    crypto = CallbackCrypto(
        _secret(settings.wecom_token),
        _secret(settings.wecom_encoding_aes_key),
        settings.wecom_corp_id or "",
    )
    app = make_app(crypto, chat.on_message, seen)
    uploads.add_routes(app, chat.on_upload)
    if rhythm_timer:
        app.cleanup_ctx.append(_rhythm_ctx(db, delivery, settings, pulse))
    if health_routes:
        health.add_routes(app, db=db, metrics=metrics, pulses=(pulse,) if rhythm_timer else ())
    app.on_cleanup.append(lambda _app: api.aclose())
    return WeComServer(app, api, chat, delivery, crypto, metrics, pulse)


def _rhythm_ctx(  # noqa: ANN202
    db: Database, delivery: WeComDelivery, settings: Settings, pulse: rhythm.Pulse
):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[_RHYTHM] = rhythm.start(db=db, delivery=delivery, settings=settings, pulse=pulse)
        yield
        await rhythm.stop(app[_RHYTHM])

    return ctx


# -- the adapter's commands: a real run, the offline stand-in, the console --------------------


def check(settings: Settings) -> None:
    """Raise SetupError naming the WeCom settings a real run still needs."""
    if settings.wecom_missing:
        raise SetupError(
            f"WeCom settings not set: {', '.join(settings.wecom_missing)} (put them in the "
            "environment or .env; see README, deploying on WeCom)"
        )


def secrets(settings: Settings) -> tuple[str, ...]:
    """Return the app secret, the callback token and key, for the log to mask."""
    found = (settings.wecom_secret, settings.wecom_token, settings.wecom_encoding_aes_key)
    return tuple(s.get_secret_value() for s in found if s is not None)


def serve(settings: Settings, db: Database) -> int:
    """Serve WeCom's callback (and the upload pages) at WECOM_LISTEN until stopped."""
    check(settings)
    try:
        server = build_wecom(settings, db)
    except ValueError as exc:  # the crypto refuses a malformed key (its message names no secret)
        raise SetupError(f"WeCom settings: {exc}") from None
    host, port = settings.wecom_host_port
    log_run.info(
        "serving the WeCom callback on http://%s:%s/wecom/callback (API %s)",
        host,
        port,
        settings.wecom_api_base_url,
    )
    try:
        web.run_app(server.app, host=host, port=port, print=None, access_log=None)
    except OSError as exc:
        listen = settings.wecom_listen
        raise SetupError(f"cannot listen on {listen} (WECOM_LISTEN): {exc}") from None
    except Exception:
        log_run.exception("the bot stopped on an unexpected error")
        return 1
    return 0
