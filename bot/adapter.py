"""The contract every chat platform's package keeps: one `ADAPTER` object in bot/<platform>/.

The core (handlers.core) takes an `Incoming` and returns a `Reply`; the jobs hand notices to a
`jobs.sender.Delivery`. An adapter is what stands between them and one chat platform: it turns
the platform's updates into `Incoming`, draws a `Reply` (through the one skeleton in bot.front
with its own renderer), delivers pushes, fetches files people sent, serves a real run, builds
its offline stand-in and its console. The command line finds adapters by name in
bot.platforms; nothing else names a platform's package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

from handlers.screens import Incoming
from models.db import Database
from models.settings import Settings
from models.tables import Platform


@dataclass(frozen=True)
class Limits:
    """What one platform lets a screen, a file and a sender be; the renderers and stand-ins
    read them here, and the flows ask for them through the core's Platform."""

    text: int  # one message's text at most: characters, or UTF-8 bytes if `text_in_bytes`
    chunk: int  # where a long text is split into messages (a little under `text`, or it)
    file: int  # bytes: the largest file a person may send (and the bot fetch)
    button_data: int  # bytes of one choice's data
    chat_interval: float  # seconds between two messages to one chat (0: paced otherwise)
    text_in_bytes: bool = False
    caption: int | None = None  # characters of a photo's or file's caption (None: none shown)
    buttons: int | None = None  # choices on one card (None: as many as a screen needs)
    button_text: int | None = None  # characters a button shows (None: the whole label)
    album: int = 1  # photos shown together
    sends_per_second: int | None = None  # all chats together (None: no overall limit)
    # (window in seconds, messages in it) one person may get, where the platform counts so.
    member_windows: tuple[tuple[float, int], ...] = ()

    def fits(self, text: str) -> bool:
        """Tell whether a text goes as one message."""
        size = len(text.encode()) if self.text_in_bytes else len(text)
        return size <= self.text


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
