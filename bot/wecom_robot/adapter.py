"""WeCom's smart robot behind the one contract (bot.adapter): its limits and its adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapter import Limits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

LIMITS = Limits(
    text=4096,  # bytes of one markdown message (a reply's stream takes up to 20,480)
    chunk=4096,
    text_in_bytes=True,
    file=100 * 1024 * 1024,  # a member's file
    photo=10 * 1024 * 1024,  # an image
    button_data=1024,  # a template card's button key, in bytes
    chat_interval=0.0,  # paced by the member windows instead
    buttons=6,  # button_list of a card (the self-built app's limit; the robot's is not stated)
    button_text=10,
    album=3,  # no albums sent: the latest photos, one message each
    # Proactive sends reach anyone who has written to the robot once: joining (/start CODE) is
    # writing, so every person on it; someone linked by hand who never wrote is refused.
    reaches_anyone=True,
    member_windows=((60.0, 30), (3600.0, 1000)),  # replies and sends to one member together
)


class RobotAdapter:
    """The smart robot: a long connection out to WeCom's gateway, markdown and button cards."""

    platform = Platform.wecom_robot
    limits = LIMITS

    def incoming(self, raw: Any) -> Any:
        """Return a gateway callback (a frame) as the core's input; None for what no flow takes."""
        from bot.wecom_robot.inbound import MediaBook, incomings

        found = incomings(raw, MediaBook())
        return found[0] if found else None

    def check(self, settings: Settings) -> None:
        """Raise SetupError naming the robot's settings still missing."""
        from bot.wecom_robot.stand_in import check

        check(settings)

    def secrets(self, settings: Settings) -> tuple[str, ...]:
        """Return the robot's secret, for the log to mask."""
        secret = settings.wecom_robot_secret
        return (secret.get_secret_value(),) if secret is not None else ()

    def serve(self, settings: Settings, db: Database) -> int:
        """Connect out to the gateway and answer members until stopped."""
        from bot.wecom_robot.stand_in import serve

        return serve(settings, db)

    def offline(self, settings: Settings, db: Database, **how: Any) -> Any:
        """Return the robot connected to an offline gateway (bot.wecom_robot.offline)."""
        from bot.wecom_robot.stand_in import offline

        return offline(settings, db, **how)

    async def console(
        self,
        settings: Settings,
        db: Database,
        *,
        persona: int | None = None,
        files_dir: Path | None = None,
    ) -> int:
        """Chat with the bot in this terminal over the offline gateway."""
        from bot.wecom_robot.console import console

        return await console(settings, db, persona=persona, files_dir=files_dir)


ADAPTER = RobotAdapter()
