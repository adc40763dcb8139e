"""`GET /healthz` and `GET /metrics` on a process's HTTP server, for its operator.

`add_routes(app, db=..., metrics=..., pulses=...)` mounts both on any aiohttp application (the
WeCom callback's, the Telegram webhook's, the one app a process serves). /healthz answers 200
when the database answers a trivial query within DB_TIMEOUT and every daily beat of the process
ticked within jobs.rhythm.STALE_AFTER, else 503; its JSON body also says what waits to be sent.
It names no person, no setting, no secret. /metrics is bot.metrics in Prometheus' text format:
each process serves its own figures, and Prometheus scrapes each process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics
from jobs.rhythm import Pulse
from models import health
from models.db import Database

log = logging.getLogger(__name__)
# A database that takes longer than this for SELECT 1 is as good as gone for the bot.
DB_TIMEOUT = 2.0


async def _timed(db: Database, fn: Any) -> Any:
    """Run a query in a worker thread, given up after DB_TIMEOUT seconds."""
    return await asyncio.wait_for(asyncio.to_thread(db.run, fn), DB_TIMEOUT)


async def database(db: Database) -> dict[str, Any]:
    """Return whether the database answers, and how fast."""
    began = time.monotonic()
    try:
        await _timed(db, health.ping)
    except TimeoutError:
        log.warning("health: the database did not answer within %.1f s", DB_TIMEOUT)
        return {"ok": False, "error": "timeout"}
    except Exception as exc:
        # The log says what failed (masked as every line); the answer only its kind.
        log.warning("health: the database cannot be reached: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.monotonic() - began) * 1000, 1)}


def beats(pulses: Sequence[Pulse]) -> dict[str, Any]:
    """Return whether every daily beat of the process ticks, and the oldest tick's age."""
    ages = [age.total_seconds() for p in pulses if (age := p.age()) is not None]
    if not ages:  # this process runs no beat (or it did not start yet)
        return {"ok": True, "running": False}
    stale = any(p.stale() for p in pulses)
    return {"ok": not stale, "running": True, "seconds_since_tick": round(max(ages), 1)}


async def queue(db: Database) -> dict[str, Any] | None:
    """Return what waits to be sent (pushes and notices being tried), or None if unknown."""
    try:
        found = await _timed(db, health.queue)
    except Exception:
        log.warning("health: the queue could not be counted", exc_info=True)
        return None
    return {"pushes": found.pushes, "notices": found.notices}


def add_routes(
    app: web.Application, *, db: Database, metrics: Metrics, pulses: Sequence[Pulse] = ()
) -> None:
    """Mount GET /healthz and GET /metrics on `app` (`pulses`: the beats this process runs)."""

    async def healthz(_request: web.Request) -> web.Response:
        checks = {"database": await database(db), "beat": beats(pulses)}
        healthy = all(check["ok"] for check in checks.values())
        body = {
            "status": "ok" if healthy else "unhealthy",
            **checks,
            "queue": await queue(db) if checks["database"]["ok"] else None,
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def figures(_request: web.Request) -> web.Response:
        # The open items' count is SQL: off the event loop.
        body = await asyncio.to_thread(metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", figures)
