"""The one way a reply is drawn, whatever the platform: each adapter gives only its renderer.

A reply (handlers.screens.Reply) is shown in one order everywhere: what it tells other people
goes in the background through jobs.sender.tell (the asker never waits behind a rate limit,
nothing the asker's own reply meets keeps the others from being told, each notice is logged);
then the short answer to the press, the busy sign, the command menus of people whose roles or
language changed, and each screen. What a platform cannot do (no menus on WeCom, no busy sign)
its renderer leaves undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, Protocol

from handlers.core import Core
from handlers.i18n import pick_language
from handlers.screens import Reply, Screen
from jobs.sender import Delivery, tell
from models.db import Database
from models.people import Person, find_person
from models.tables import Platform

log = logging.getLogger(__name__)


class Renderer(Protocol):
    """A platform's drawing of one reply in one chat: the primitives the skeleton asks for."""

    async def answer(self, text: str) -> None:
        """Answer the press (or the message) with a short plain text."""

    async def busy(self, action: str) -> None:
        """Show that something is being made ("upload_photo", "upload_document")."""

    async def menu(self, user_id: int) -> None:
        """Redo a person's command menu in their language (or take it away)."""

    async def screen(self, screen: Screen) -> None:
        """Show one screen: its photos, its text and choices, its files."""


Later = Callable[[Coroutine[Any, Any, Any]], object]  # run a coroutine in the background


async def draw(
    reply: Reply, renderer: Renderer, *, db: Database, delivery: Delivery, later: Later
) -> None:
    """Show a reply: tell the others (in the background), answer, busy, menus, each screen."""
    if reply.notices:
        later(tell(db=db, delivery=delivery, notices=list(reply.notices)))
    if reply.answer is not None:
        await renderer.answer(reply.answer)
    if reply.busy:
        await renderer.busy(reply.busy)
    # The menu first: it is there by the time the person reads the help it goes with.
    for user_id in dict.fromkeys(reply.menus):
        await renderer.menu(user_id)
    for screen in reply.screens:
        await renderer.screen(screen)


class Background:
    """Work started after a reply, outside the asker's turn; `idle` waits for all of it."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        """Count one piece of work begun (an input being handled, a notice on its way)."""
        self._busy += 1
        self._idle.clear()

    def stop(self, _task: object = None) -> None:
        """Count one piece of work done."""
        self._busy -= 1
        if not self._busy:
            self._idle.set()

    def later(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` in the background, counted until it ends."""
        self.start()
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self.stop)

    async def idle(self) -> None:
        """Wait until nothing is being handled and nothing is on its way."""
        await self._idle.wait()


Seen = Callable[[str], Awaitable[bool]]  # record a key; True when it was seen before


class MemberChat:
    """What a chat keeps whose members' inputs come as callbacks (the WeCom app's, the robot's):
    one input at a time per member, in order; a card pressed once; `handled` and `idle` for a
    test, a console or a stop to wait on."""

    platform: Platform
    card_seen: str  # the prefix of a pressed card's key in `seen`

    def __init__(self, core: Core, seen: Seen) -> None:
        self.core = core
        self.seen = seen
        self._turns: dict[str, asyncio.Lock] = {}
        self.handled = 0  # inputs done with
        self.background = Background()

    async def idle(self) -> None:
        """Wait until no input is being handled and no notice is on its way."""
        await self.background.idle()

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Count one input being handled, until it is done with."""
        self.background.start()
        try:
            yield
        finally:
            self.handled += 1
            self.background.stop()

    def turn(self, account: str) -> asyncio.Lock:
        """Return a member's turn: hold it while handling their input (one at a time, in order)."""
        return self._turns.setdefault(account, asyncio.Lock())

    async def first_press(self, task: str | None) -> bool:
        """Tell whether a card (its task id) is pressed for the first time; a second press, or
        a press of no card, does nothing."""
        if not task or await self.seen(f"{self.card_seen}{task}"):
            log.warning("%s: a card pressed again, ignored (task %s)", self.platform.value, task)
            return False
        return True

    async def person(self, account: str) -> Person | None:
        """Return the person behind a member's account, looked up in a worker thread."""
        return await asyncio.to_thread(
            self.core.db.run, find_person, platform=self.platform, account=account
        )

    def lang(self, person: Person | None) -> str:
        """Return the language to answer a person in (theirs, else the default)."""
        stored = person.language if person is not None else None
        return pick_language(stored, None, self.core.settings.default_language)
