"""Benchmarks: time the bot's real paths on demo data; `python -m bench`, see BENCHMARKS.md."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.telegram.offline import OutMessage


@dataclass(frozen=True)
class Timing:
    """Repeated timings of one operation on one data set, in seconds."""

    name: str
    dataset: str
    samples: tuple[float, ...]
    first: float | None = None  # the cold first call, kept out of the samples
    unit: str = "call"  # what one sample is: a call, a transition...

    @property
    def n(self) -> int:
        """Return how many samples were taken."""
        return len(self.samples)

    @property
    def median_ms(self) -> float:
        """Return the median in milliseconds."""
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        """Return the 95th percentile in milliseconds."""
        if len(self.samples) < 2:
            return self.samples[0] * 1000
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18] * 1000

    @property
    def per_second(self) -> float:
        """Return how many fit in a second, from the total time of all samples."""
        return len(self.samples) / sum(self.samples)


def timed(fn: Callable[[], object]) -> float:
    """Call `fn` once and return the seconds it took."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def atimed(step: Awaitable[object]) -> float:
    """Await a step (a coroutine does its work only now) and return the seconds it took."""
    start = time.perf_counter()
    await step
    return time.perf_counter() - start


def measure(name: str, dataset: str, fn: Callable[[], object], n: int) -> Timing:
    """Time one cold call, then `n` more."""
    first = timed(fn)
    return Timing(name, dataset, tuple(timed(fn) for _ in range(n)), first)


def table(timings: list[Timing]) -> str:
    """Render timings as a Markdown table."""
    lines = [
        "| data | operation | n | median ms | p95 ms | cold ms | per second |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for t in timings:
        cold = f"{t.first * 1000:.1f}" if t.first is not None else ""
        lines.append(
            f"| {t.dataset} | {t.name} | {t.n} | {t.median_ms:.2f} | {t.p95_ms:.2f} | {cold} "
            f"| {t.per_second:,.0f} {t.unit}/s |"
        )
    return "\n".join(lines)


def keyboard_message(messages: list[OutMessage]) -> OutMessage:
    """Return the last message that has buttons, or fail loudly (the bench hit an error path)."""
    with_buttons = [m for m in messages if m.buttons()]
    if not with_buttons:
        raise RuntimeError(f"expected a keyboard, got {[m.text for m in messages]}")
    return with_buttons[-1]


def item_ids(message: OutMessage, prefix: str) -> list[int]:
    """Return the item ids of a list message's buttons with this callback prefix."""
    return [
        int(data.split(":")[1])
        for row in message.buttons()
        for _, data in row
        if data and data.startswith(prefix + ":")
    ]
