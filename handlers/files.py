"""Workbooks in chat: a set-up or items file sent to the bot, /template, /export."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import PurePath

from handlers.core import Ask, Core, Router
from handlers.i18n import t
from handlers.screens import Attachment, FileIn
from handlers.sheets_text import render_report
from handlers.text import esc
from models.files import (
    EXPORT_ROLES,
    IMPORT_ROLES,
    TEMPLATE_ROLES,
    export_for,
    templates_for,
    workbook_from_chat,
)

WORKBOOKS = (".xlsx", ".csv")
# Files read and imported at the same time (each in a worker thread; on SQLite each import is a
# write transaction the next one would wait for); others wait their turn.
READ_AT_ONCE = 1


class Turns:
    """Whose file is read now: one person's files one after another, READ_AT_ONCE in all."""

    def __init__(self, at_once: int = READ_AT_ONCE) -> None:
        self._all = asyncio.Semaphore(at_once)
        self._people: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def person(self, person_id: int) -> AsyncIterator[None]:
        """Wait until this person's earlier files are answered."""
        lock, waiting = self._people.get(person_id, (asyncio.Lock(), 0))
        self._people[person_id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._people[person_id]
            if waiting == 1:
                del self._people[person_id]
            else:
                self._people[person_id] = (lock, waiting - 1)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """Wait for a free reader, so that files never take every worker thread."""
        async with self._all:
            yield


# One Turns per running core (each platform's process has its own event loop and core).
_TURNS: weakref.WeakKeyDictionary[Core, Turns] = weakref.WeakKeyDictionary()


def turns_of(core: Core) -> Turns:
    """Return the turns files take on this core."""
    return _TURNS.setdefault(core, Turns())


async def document(ask: Ask) -> None:
    """Read a workbook (.xlsx, .csv) sent as a file; point anything else to what is read."""
    file = ask.incoming.document
    if file is None or PurePath(file.name or "").suffix.lower() not in WORKBOOKS:
        await other_document(ask)
        return
    await receive_workbook(ask, file)


async def receive_workbook(ask: Ask, file: FileIn) -> None:
    """Read a set-up workbook or an items file; answer with what was done or every bad row."""
    ask.require(*IMPORT_ROLES)
    most = ask.platform.limits.file  # what the platform lets a bot fetch
    if (file.size or 0) > most:  # refused before anything is downloaded
        ask.show(ask.t("files.too_big", mb=most // (1024 * 1024)))
        return
    turns = turns_of(ask.core)
    async with turns.person(ask.user_id):
        ask.show(ask.t("files.reading", filename=esc(file.name)))
        await ask.flush()
        async with turns.reading():
            data = await ask.fetch(file)
            report = await ask.call(
                workbook_from_chat,
                user_id=ask.user_id,
                data=data,
                filename=file.name or "file.xlsx",
                project=ask.incoming.text,
            )
        ask.show(esc(render_report(ask.lang, report, fit=ask.platform.limits)))


async def other_document(ask: Ask) -> None:
    """Tell a clerk or admin which files the bot reads; anyone else, what they can do."""
    entering = ask.person is not None and ask.person.has(*IMPORT_ROLES)
    ask.show(ask.t("files.not_a_workbook" if entering else "bot.not_understood"))


async def template(ask: Ask) -> None:
    """Send the blank set-up and items workbooks."""
    ask.require(*TEMPLATE_ROLES)
    blank = await ask.call(templates_for, user_id=ask.user_id)
    files = (
        Attachment("setup-项目设置.xlsx", blank.setup),
        Attachment("items-问题录入.xlsx", blank.items),
    )
    ask.show(ask.t("files.templates"), files=files)


async def export(ask: Ask) -> None:
    """Send every item and event of the person's projects as a workbook."""
    ask.require(*EXPORT_ROLES)
    ask.reply.busy = "upload_document"
    made = await ask.call(export_for, user_id=ask.user_id, say=t)
    now = made.made_at
    caption = ask.t("files.export", when=f"{now:%Y-%m-%d %H:%M}")
    ask.show(files=(Attachment(f"handover-{now:%Y%m%d-%H%M}.xlsx", made.data, caption=caption),))


def routes(router: Router) -> None:
    """Route the workbook commands and the files nobody's step expects."""
    router.command("template", template)
    router.command("export", export)
    router.fallback("document", document)
