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
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from handlers.screens import Reply, Screen
from jobs.sender import Delivery, tell
from models.db import Database


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
