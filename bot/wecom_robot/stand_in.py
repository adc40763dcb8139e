"""The robot's commands: a real run, the offline gateway with the robot on it, and checks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web
from pydantic import SecretStr

from bot.wecom_robot.delivery import MemberPacer
from bot.wecom_robot.offline import OfflineGateway
from bot.wecom_robot.serve import Robot, build_robot
from jobs import rhythm
from models.db import Database
from models.settings import Settings


@dataclass
class OfflineRobot:
    """The robot connected to an offline gateway served on a local port, while entered."""

    gateway: OfflineGateway
    settings: Settings
    db: Database
    members: MemberPacer | None = None
    beat: bool = True
    robot: Robot | None = None
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _beat: asyncio.Task[None] | None = field(default=None, repr=False)

    async def __aenter__(self) -> Self:
        """Serve the gateway on 127.0.0.1 (a free port) and connect the robot to it."""
        self._runner = web.AppRunner(self.gateway.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.gateway.base_url = f"http://127.0.0.1:{port}"
        settings = offline_settings(self.settings, self.gateway)
        self.robot = build_robot(settings, self.db, members=self.members)
        await self.robot.connect()
        if self.beat:
            self._beat = rhythm.start(db=self.db, delivery=self.robot.delivery, settings=settings)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the beat, let what is on its way go, then disconnect and stop the gateway."""
        await rhythm.stop(self._beat)
        if self.robot is not None:
            await self.robot.chat.idle()
            await self.robot.close()
        if self._runner is not None:
            await self._runner.cleanup()


def offline_settings(settings: Settings, gateway: OfflineGateway) -> Settings:
    """Return the settings with the offline gateway's bot id, secret and address."""
    return settings.model_copy(
        update={
            "wecom_robot_bot_id": gateway.bot_id,
            "wecom_robot_secret": SecretStr(gateway.secret),
            "wecom_robot_ws_url": gateway.ws_url,
        }
    )


def offline(
    settings: Settings,
    db: Database,
    *,
    gateway: OfflineGateway | None = None,
    members: MemberPacer | None = None,
    beat: bool = True,
    **_how: Any,
) -> OfflineRobot:
    """Return the robot on the offline gateway (a new one unless given); `beat`: the daily
    beat ticks while it runs, as on the other stand-ins."""
    return OfflineRobot(gateway or OfflineGateway(), settings, db, members, beat)
