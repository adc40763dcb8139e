"""Assembling the WeCom front end: the API client, the core, the callback app, the daily beat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiohttp import web

from bot.adapter import SetupError
from bot.wecom.api import WeComAPI
from bot.wecom.chat import WeComChat, WeComPlatform
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.delivery import MEMBER_WINDOWS, MemberPacer, WeComDelivery
from bot.wecom.receiver import add_callback, finish, make_app
from bot.wecom.render import WeComRenderer
from bot.wecom.upload import SignIn, Uploads
from handlers import flows
from handlers.core import Core
from jobs import rhythm
from jobs.pacing import SharedLimits
from models.db import Database
from models.inbound import first_sight
from models.settings import Settings
from models.tables import Platform

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


def build_wecom(
    settings: Settings,
    db: Database,
    *,
    client: httpx.AsyncClient | None = None,
    rhythm_timer: bool = True,
    members: MemberPacer | None = None,
    app: web.Application | None = None,
) -> WeComServer:
    """Assemble the WeCom front end (over `client` when given: the offline WeCom).

    `members`: the per-member pacer of every send (a test gives one on its own clock).
    `app`: the process's one app to serve on (bot.serve), which then owns the beat and the
    API client's closing; else an app of its own, which does.
    """
    api = WeComAPI(
        settings.wecom_api_base_url,
        settings.wecom_corp_id or "",
        _secret(settings.wecom_secret),
        int(settings.wecom_agent_id or 0),
        client=client,
    )

    async def seen(key: str) -> bool:
        return not await asyncio.to_thread(db.run, first_sight, key=key)

    # Every process on this database keeps WeCom's member windows together.
    members = members or MemberPacer(MEMBER_WINDOWS, shared=SharedLimits(db, Platform.wecom))
    renderer = WeComRenderer(api, members, Path(settings.media_dir))
    delivery = WeComDelivery(api, db, renderer)
    uploads = Uploads(settings.public_base, SignIn(api, settings.wecom_oauth_url), db)
    core = Core(db, settings, WeComPlatform(api, uploads), flows.router())
    chat = WeComChat(core, api, delivery, seen, uploads)
    crypto = _crypto(settings)
    if app is None:
        app = make_app(crypto, chat.on_message, seen)
        if rhythm_timer:
            app.cleanup_ctx.append(_rhythm_ctx(db, delivery, settings))
        app.on_cleanup.append(lambda _app: api.aclose())
    else:
        add_callback(app, crypto, chat.on_message, seen)
    uploads.add_routes(app, chat.on_upload)
    return WeComServer(app, api, chat, delivery, crypto)


def _crypto(settings: Settings) -> CallbackCrypto:
    return CallbackCrypto(
        _secret(settings.wecom_token),
        _secret(settings.wecom_encoding_aes_key),
        settings.wecom_corp_id or "",
    )


def _rhythm_ctx(db: Database, delivery: WeComDelivery, settings: Settings):  # noqa: ANN202
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[_RHYTHM] = rhythm.start(db=db, delivery=delivery, settings=settings)
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


class WeComService:
    """WeCom in a serving process (bot.serve): its callback and upload pages on the one app."""

    needs_http = True

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.server: WeComServer | None = None
        self._beat: asyncio.Task[None] | None = None

    def routes(self, app: web.Application) -> None:
        """Serve the callback and the upload pages on the process's app."""
        self.server = build_wecom(self.settings, self.db, app=app)
        host, port = self.settings.http_host_port
        log_run.info(
            "serving the WeCom callback on http://%s:%s/wecom/callback (API %s)",
            host,
            port,
            self.settings.wecom_api_base_url,
        )

    async def start(self) -> None:
        """Start the daily beat (the callback is served from now on)."""
        assert self.server is not None, "routes() comes first"
        server = self.server
        self._beat = rhythm.start(db=self.db, delivery=server.delivery, settings=self.settings)

    async def stop_taking(self) -> None:
        """Nothing to do: the app refuses WeCom's callbacks from now on (WeCom retries them)."""

    async def finish(self) -> None:
        """Stop the beat; let the messages already answered be handled."""
        await rhythm.stop(self._beat)
        self._beat = None
        if self.server is not None:
            await finish(self.server.app)

    async def close(self) -> None:
        """Stop the beat if the stop was cut short; close the API client."""
        await rhythm.stop(self._beat)
        if self.server is not None:
            await self.server.api.aclose()


def service(settings: Settings, db: Database) -> WeComService:
    """Return WeCom as a service of a serving process (bot.serve); bad keys refused first."""
    check(settings)
    try:
        _crypto(settings)
    except ValueError as exc:  # the crypto refuses a malformed key (its message names no secret)
        raise SetupError(f"WeCom settings: {exc}") from None
    return WeComService(settings, db)
