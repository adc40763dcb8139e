"""The contract every chat platform's package keeps: one `ADAPTER` object in bot/<platform>/.

The core (handlers.core) takes an `Incoming` and returns a `Reply`; the jobs hand notices to a
`jobs.sender.Delivery`. An adapter is what stands between them and one chat platform: it turns
the platform's updates into `Incoming`, draws a `Reply` (through the one skeleton in bot.front
with its own renderer), delivers pushes, fetches files people sent, serves a real run, builds
its offline stand-in and its console. The command line finds adapters by name in
bot.platforms; nothing else names a platform's package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

from handlers.screens import Incoming, Limits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

__all__ = ["Adapter", "Limits", "SetupError", "StandIn"]


class SetupError(Exception):
    """A setting a real run needs is missing or refused: one line for the operator."""


@runtime_checkable
class StandIn(Protocol):
    """A platform's offline stand-in with the real application on it, started while entered."""

    async def __aenter__(self) -> Self:
        """Start the application on the stand-in."""

    async def __aexit__(self, *exc: object) -> None:
        """Stop it."""


@runtime_checkable
class Adapter(Protocol):
    """One chat platform, as the command line, the tests and the benchmarks see it."""

    platform: Platform  # models.tables.Platform: where people's accounts are found
    limits: Limits

    def incoming(self, raw: Any) -> Incoming | None:
        """Return an update of the platform (a PTB Update, a callback's fields) as the core's
        input; None for what no flow takes."""

    def check(self, settings: Settings) -> None:
        """Raise SetupError naming what a real run still needs (a token, WeCom's keys)."""

    def secrets(self, settings: Settings) -> tuple[str, ...]:
        """Return the settings' secrets of this platform, for the log to mask."""

    def serve(self, settings: Settings, db: Database) -> int:
        """Serve the real platform until stopped (`python -m bot run --platform X`); exit code."""

    def offline(self, settings: Settings, db: Database, **how: Any) -> StandIn:
        """Return the real application on this platform's offline stand-in (console, demo,
        tests, benchmarks); `how`: the stand-in's own options."""

    async def console(
        self,
        settings: Settings,
        db: Database,
        *,
        persona: int | None = None,
        files_dir: Path | None = None,
    ) -> int:
        """Chat with the bot in this terminal over the stand-in, as `persona` (a Telegram id
        of the console's people; None: choose); the documents sent land in `files_dir`."""
