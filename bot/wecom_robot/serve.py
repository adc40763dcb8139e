"""Assembling the robot: the core, the chat, the delivery, and the connection kept up.

`Robot.run()` connects out to the gateway (WECOM_ROBOT_WS_URL), subscribes, and reconnects
after a drop with growing pauses (1, 2, 4 ... 30 seconds), while the daily beat pushes through
the same connection. Nothing listens: no public address, no callback URL, no trusted IP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp

from bot.adapter import SetupError
from bot.wecom_robot.chat import RobotChat, RobotPlatform
from bot.wecom_robot.delivery import MEMBER_WINDOWS, MemberPacer, RobotDelivery, Sender
from bot.wecom_robot.inbound import PLATFORM, MediaBook
from bot.wecom_robot.protocol import Connection
from handlers import flows
from handlers.core import Core
from jobs import rhythm
from jobs.pacing import SharedLimits
from models.db import Database
from models.inbound import first_sight
from models.settings import Settings

log = logging.getLogger(__name__)
RECONNECT_FIRST = 1.0
RECONNECT_MOST = 30.0


@dataclass
class Robot:
    """The robot's front end: its chat and delivery over one connection at a time."""

    settings: Settings
    db: Database
    chat: RobotChat
    delivery: RobotDelivery
    sender: Sender
    connection: Connection | None = None
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    def session(self) -> aiohttp.ClientSession:
        """Return the HTTP session (the connection and media downloads), made on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def connect(self) -> Connection:
        """Open and subscribe a connection to the gateway; the chat answers its callbacks."""
        secret = self.settings.wecom_robot_secret
        connection = Connection(
            self.session(),
            self.settings.wecom_robot_ws_url,
            self.settings.wecom_robot_bot_id or "",
            secret.get_secret_value() if secret is not None else "",
            self.chat.on_frame,
        )
        await connection.open()
        self.connection = connection
        return connection

    async def close(self) -> None:
        """Close the connection and the HTTP session."""
        if self.connection is not None:
            await self.connection.close()
        if self._session is not None:
            await self._session.close()

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[Robot]:
        """Connect for the block (tests, the console); close after it."""
        await self.connect()
        try:
            yield self
        finally:
            await self.chat.idle()
            await self.close()

    async def run(self, *, rhythm_timer: bool = True) -> None:
        """Keep a connection up until cancelled, reconnecting after drops; run the daily beat."""
        beat = None
        if rhythm_timer:
            beat = rhythm.start(db=self.db, delivery=self.delivery, settings=self.settings)
        pause = RECONNECT_FIRST
        try:
            while True:
                try:
                    connection = await self.connect()
                    log.info("wecom robot: connected to %s", self.settings.wecom_robot_ws_url)
                    pause = RECONNECT_FIRST
                    await connection.closed.wait()
                    log.warning("wecom robot: the connection closed")
                except Exception as exc:
                    log.warning("wecom robot: cannot connect: %s", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECONNECT_MOST)
        finally:
            await rhythm.stop(beat)
            await self.close()


def build_robot(settings: Settings, db: Database, *, members: MemberPacer | None = None) -> Robot:
    """Assemble the robot's front end (`members`: the per-member pacer, a test's own clock)."""

    async def seen(key: str) -> bool:
        return not await asyncio.to_thread(db.run, first_sight, key=key)

    media = MediaBook()
    holder: dict[str, Robot] = {}
    # Every process on this database keeps the robot's member windows together.
    members = members or MemberPacer(MEMBER_WINDOWS, shared=SharedLimits(db, PLATFORM))
    sender = Sender(lambda: holder["robot"].connection, members)
    delivery = RobotDelivery(sender, db)
    platform = RobotPlatform(lambda: holder["robot"].session(), media)
    core = Core(db, settings, platform, flows.router())
    chat = RobotChat(core, sender, delivery, seen, media)
    robot = Robot(settings, db, chat, delivery, sender)
    holder["robot"] = robot
    return robot


log_run = logging.getLogger("bot.run")


def check(settings: Settings) -> None:
    """Raise SetupError naming the robot's settings a real run still needs."""
    missing = [
        name.upper()
        for name in ("wecom_robot_bot_id", "wecom_robot_secret")
        if not getattr(settings, name)
    ]
    if missing:
        raise SetupError(
            f"WeCom robot settings not set: {', '.join(missing)} (the robot's bot id and "
            "secret, from its API mode page with the long connection on; see README)"
        )
    if not settings.wecom_robot_ws_url.startswith(("ws://", "wss://", "http://", "https://")):
        raise SetupError("WECOM_ROBOT_WS_URL must start with wss:// (or ws:// for a stand-in)")


class RobotService:
    """The robot in a serving process (bot.serve): a connection out, no routes."""

    needs_http = False

    def __init__(self, robot: Robot) -> None:
        self.robot = robot
        self._task: asyncio.Task[None] | None = None

    def routes(self, app: object) -> None:
        """Nothing is served: the robot connects out."""

    async def start(self) -> None:
        """Keep a connection to the gateway up, with the daily beat, until stopped."""
        log_run.info(
            "connecting out to the WeCom robot gateway %s", self.robot.settings.wecom_robot_ws_url
        )
        self._task = asyncio.get_running_loop().create_task(self.robot.run())

    async def stop_taking(self) -> None:
        """Nothing to do before finishing: the connection is closed after it."""

    async def finish(self) -> None:
        """Let the callbacks already taken be answered."""
        await self.robot.chat.idle()

    async def close(self) -> None:
        """Stop the beat and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def service(settings: Settings, db: Database) -> RobotService:
    """Return the robot as a service of a serving process (bot.serve)."""
    check(settings)
    return RobotService(build_robot(settings, db))


def secrets(settings: Settings) -> tuple[str, ...]:
    """Return the robot's secret, for the log to mask."""
    secret = settings.wecom_robot_secret
    return (secret.get_secret_value(),) if secret is not None else ()
