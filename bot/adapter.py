"""The contract every chat platform's package keeps: one `ADAPTER` object in bot/<platform>/.

The core (handlers.core) takes an `Incoming` and returns a `Reply`; the jobs hand notices to a
`jobs.sender.Delivery`. An adapter is what stands between them and one chat platform: it turns
the platform's updates into `Incoming`, draws a `Reply` (through the one skeleton in bot.front
with its own renderer), delivers pushes, fetches files people sent, serves a real run (its
routes and its start and stop, run by bot.serve on the process's one app), builds
its offline stand-in and its console. The command line finds adapters by name in
bot.platforms; nothing else names a platform's package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from handlers.screens import Incoming, Limits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

if TYPE_CHECKING:
    from bot.serve import Service

__all__ = ["Adapter", "Limits", "PlatformPackage", "SetupError", "StandIn"]


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

    def service(self, settings: Settings, db: Database) -> Service:
        """Return the real platform as a service of a serving process (`python -m bot run
        --platform X,Y`: bot.serve runs them on one app); SetupError for a missing setting."""

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


# Where a platform package keeps each part of the contract ("module:function" in the package);
# a package that keeps one elsewhere names it in `PlatformPackage.parts`.
PARTS: Mapping[str, str] = {
    "incoming": "chat:incoming",
    "check": "serve:check",
    "secrets": "serve:secrets",
    "service": "serve:service",
    "offline": "stand_in:offline",
    "console": "stand_in:console",
}


@dataclass(frozen=True)
class PlatformPackage:
    """An Adapter made of a platform package's own functions, each module loaded when first
    asked for (a run loads only what it serves with; `--help` loads none of it)."""

    platform: Platform
    limits: Limits
    package: str  # "bot.telegram"
    parts: Mapping[str, str] = field(default_factory=dict)  # exceptions to PARTS

    def _part(self, name: str) -> Callable[..., Any]:
        module, _, function = self.parts.get(name, PARTS[name]).partition(":")
        found: Callable[..., Any] = getattr(import_module(f"{self.package}.{module}"), function)
        return found

    def incoming(self, raw: Any) -> Incoming | None:
        """Return an update of the platform as the core's input; None for what no flow takes."""
        found: Incoming | None = self._part("incoming")(raw)
        return found

    def check(self, settings: Settings) -> None:
        """Raise SetupError naming what a real run still needs."""
        self._part("check")(settings)

    def secrets(self, settings: Settings) -> tuple[str, ...]:
        """Return the settings' secrets of this platform, for the log to mask."""
        found: tuple[str, ...] = self._part("secrets")(settings)
        return found

    def service(self, settings: Settings, db: Database) -> Service:
        """Return the real platform as a service of a serving process."""
        found: Service = self._part("service")(settings, db)
        return found

    def offline(self, settings: Settings, db: Database, **how: Any) -> StandIn:
        """Return the real application on this platform's offline stand-in."""
        stand_in: StandIn = self._part("offline")(settings, db, **how)
        return stand_in

    async def console(
        self,
        settings: Settings,
        db: Database,
        *,
        persona: int | None = None,
        files_dir: Path | None = None,
    ) -> int:
        """Chat with the bot in this terminal over the stand-in."""
        code: int = await self._part("console")(settings, db, persona=persona, files_dir=files_dir)
        return code
