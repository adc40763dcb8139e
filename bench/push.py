"""A morning push to thousands: the real bot, its sliding-second rate limiter, an offline
Telegram that counts a sliding second, answers 429 beyond it, and 500 to a share of the sends.

`python -m bench.push [--recipients 3000] [--failing 0.02] [--per-process]`, also run by
`python -m bench` (see BENCHMARKS.md). The limits are kept as a real run keeps them, in the
database for every process (jobs.pacing.SharedLimits); `--per-process`: in this process only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from bot.telegram.app import rate_limiter
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.offline import FloodLimits, OfflineTelegram
from bot.telegram.stand_in import build_offline
from jobs.notices import Attachment, Notice
from jobs.sender import ChatPacer, push
from models import clock, people
from models import project as setup
from models.db import Database
from models.settings import Settings
from models.tables import Platform, PushKind, PushLog, Role

FIRST_CHAT = 7_000_000
PDF = b"%PDF-1.4\n" + b"0" * 20_000  # the size of a one-page printable list
FAILING = 0.02  # the share of sends Telegram answers 500 Internal Server Error
SEED = 14


@dataclass(frozen=True)
class PushFigures:
    """What one push through the enforcing transport did."""

    recipients: int
    parts: int  # messages per notice
    seconds: float
    lost: int  # a part that never arrived
    twice: int  # a part that arrived more than once
    throttled: int  # sends Telegram answered 429
    failed: int  # sends Telegram answered 500 (each tried again)
    most: int  # the most sends Telegram accepted within any sliding second
    logged: Counter[str]

    @property
    def floor(self) -> float:
        """Return the least time Telegram's limits allow: N sends at 30 a second."""
        return max(self.recipients * self.parts / 30, self.parts - 1)

    def row(self) -> str:
        """Return a Markdown table row."""
        over = (self.seconds / self.floor - 1) * 100
        log = ", ".join(f"{k} {v}" for k, v in sorted(self.logged.items()))
        return (
            f"| {self.recipients:,} × {self.parts} | {self.seconds:.1f} | {self.floor:.1f} "
            f"| {over:+.1f}% | {self.failed} | {self.lost} | {self.twice} | {self.throttled} "
            f"| {self.most} | {log} |"
        )


HEADER = (
    "| recipients × messages | s | N/30 s | over | 500s | lost | sent twice | 429s "
    "| most in a second | push log |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
)


def people_db(folder: Path, recipients: int) -> tuple[Database, int, list[int]]:
    """Create a project with `recipients` contractors; return the db, project, AppUser ids."""
    db = Database(f"sqlite:///{folder / 'push.db'}")
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="Bench push")
        firm = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        ids = [
            people.add_member(
                s,
                project_id=project.id,
                platform=Platform.telegram,
                account=str(FIRST_CHAT + n),
                name=f"施工员{n}",
                roles=[Role.contractor],
                contractor_id=firm.id,
            ).id
            for n in range(recipients)
        ]
        return db, project.id, ids


def fail_some(transport: OfflineTelegram, chats: list[int], parts: int, share: float) -> None:
    """Have Telegram answer 500 to `share` of all the sends (a seeded draw of chat and part)."""
    sends = [(chat, part) for chat in chats for part in range(parts)]
    picked = sorted(random.Random(SEED).sample(sends, round(len(sends) * share)))
    tried: dict[int, int] = {}  # sends each chat has been given a fate for, so far
    for chat, part in picked:
        # Every part before this one passes (a failed one, its second try); then the 500.
        before = part + sum(1 for c, p in picked if c == chat and p < part)
        transport.fail(chat, status=500, after=before - tried.get(chat, 0))
        tried[chat] = before + 1


def most_in_a_second(times: list[float]) -> int:
    """Return the most sends within any sliding second (one ending at each send)."""
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def run_push(
    folder: Path, recipients: int, parts: int, failing: float, *, shared: bool = True
) -> PushFigures:
    """Push one notice of `parts` messages to each recipient, as a real run does."""
    folder.mkdir(parents=True, exist_ok=True)
    db, project_id, ids = people_db(folder, recipients)
    settings = Settings(_env_file=None, database_url=db.url, media_dir=folder / "media")
    transport = OfflineTelegram(limits=FloodLimits())  # Telegram's: 30 in any second, 1 a chat
    expected = [FIRST_CHAT + n for n in range(recipients)]
    fail_some(transport, expected, parts, failing)
    app = build_offline(settings, db, transport, limiter=rate_limiter(db if shared else None))
    files = tuple(Attachment(f"list-{i}.pdf", PDF, caption="待修清单") for i in range(parts - 1))
    notices = [
        Notice(user_id, f"<b>今日待修</b> 3 项 · {n}", attachments=files)
        for n, user_id in enumerate(ids)
    ]
    async with app:
        start = time.perf_counter()
        await push(
            db=db,
            # Retries a 500 after 1, 2, 4... s; one a second to a chat (in every process).
            delivery=TelegramDelivery(app.bot, db, None if shared else ChatPacer(1.0)),
            kind=PushKind.morning,
            project_id=project_id,
            day=clock.today("Asia/Shanghai"),
            notices=notices,
        )
        seconds = time.perf_counter() - start
    per_chat = Counter(m.chat_id for m in transport.outbox)
    with db.session() as s:
        logged = Counter(row.status.value for row in s.exec(select(PushLog)))
    db.dispose()
    return PushFigures(
        recipients=recipients,
        parts=parts,
        seconds=seconds,
        lost=sum(max(0, parts - per_chat[c]) for c in expected),
        twice=sum(max(0, per_chat[c] - parts) for c in expected),
        throttled=len(transport.throttled),
        failed=len(transport.unavailable),
        most=most_in_a_second([c.at for c in transport.sends()]),
        logged=logged,
    )


def bench_push(
    root: Path, recipients: int, small: int = 100, failing: float = FAILING, shared: bool = True
) -> str:
    """Run the pushes and return the Markdown table."""
    rows = []
    if small:
        rows.append(asyncio.run(run_push(root / "push-small", small, 3, failing, shared=shared)))
    rows.append(asyncio.run(run_push(root / "push", recipients, 1, failing, shared=shared)))
    return "\n".join([HEADER, *(r.row() for r in rows)])


def main(argv: list[str] | None = None) -> None:
    """Run the push benchmark alone."""
    parser = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__)
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--small", type=int, default=100, help="recipients of 3 messages each")
    parser.add_argument("--failing", type=float, default=FAILING, help="share of sends 500'd")
    parser.add_argument(
        "--per-process", action="store_true", help="the limits kept in this process only"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="handover-push-") as tmp:
        shared = not args.per_process
        print(bench_push(Path(tmp), args.recipients, args.small, args.failing, shared))


if __name__ == "__main__":
    main()
