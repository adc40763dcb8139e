"""A real run of the chosen platforms in one process: one aiohttp app, one event loop, one stop.

Each platform's package contributes a `Service` (bot.adapter's "service" part): the routes it
serves (Telegram's webhook, WeCom's callback and upload pages) and its start and stop. This
module knows none of them: it builds the ONE HTTP app on HTTP_LISTEN from the routes every
chosen platform contributes and the process's own (`extra`: /healthz and /metrics, from
bot/cli/run.py), starts them, and on SIGTERM or SIGINT stops them in order:

1. stop taking updates: the app answers 503 (a balancer, or Telegram, tries elsewhere or later)
   and a poller stops polling;
2. finish what was taken, within STOP_GRACE_SECONDS;
3. stop the daily beat and close the platforms' connections;
4. hand back the push claims this process still holds (models.pushes.release_claims), so that
   another process takes them over at once rather than after the stale timeout;
5. exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Protocol

from aiohttp import web

from bot.adapter import SetupError
from jobs.rhythm import Pulse
from jobs.sender import PROCESS
from models.db import Database
from models.pushes import release_claims
from models.settings import Settings

log = logging.getLogger("bot")

RouteAdder = Callable[[web.Application], None]
# A request body's cap for the whole app: Telegram's updates and WeCom's callbacks are a few kB
# (the upload pages stream their files and keep their own, larger cap).
MAX_BODY = 1024 * 1024
STOPPING = web.AppKey("stopping", asyncio.Event)


class Service(Protocol):
    """What one platform runs in a serving process."""

    needs_http: bool  # whether it serves routes (a webhook, a callback), so the app must listen
    pulse: Pulse  # its daily beat's, for /healthz

    def routes(self, app: web.Application) -> None:
        """Add this platform's routes to the process's one app."""

    async def start(self) -> None:
        """Start taking updates (the app already listens) and the daily beat."""

    async def stop_taking(self) -> None:
        """Stop taking new updates (a poller stops polling; routes are refused by the app)."""

    async def finish(self) -> None:
        """Finish the updates already taken (the caller bounds the wait)."""

    async def close(self) -> None:
        """Stop the daily beat and close connections."""


@web.middleware
async def _refuse_while_stopping(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Answer 503 once the process is stopping: the sender tries another process, or later."""
    if request.app[STOPPING].is_set():
        return web.Response(status=503, headers={"Retry-After": "1", "Connection": "close"})
    return await handler(request)


def build_app(services: Sequence[Service], extra: Sequence[RouteAdder] = ()) -> web.Application:
    """Return the one app of a process: every service's routes, then the shared ones."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_refuse_while_stopping])
    app[STOPPING] = asyncio.Event()
    for service in services:
        service.routes(app)
    for add in extra:
        add(app)
    return app


def run(
    settings: Settings,
    db: Database,
    services: Sequence[Service],
    extra: Sequence[RouteAdder] = (),
) -> int:
    """Serve until SIGTERM or SIGINT, then stop gracefully; the exit code.

    `extra`: routes this process mounts besides the platforms' (/healthz, /metrics).
    """
    try:
        return asyncio.run(serve(settings, db, services, extra))
    except SetupError:
        raise
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the secrets.
        log.exception("the bot stopped on an unexpected error")
        return 1


async def serve(
    settings: Settings,
    db: Database,
    services: Sequence[Service],
    extra: Sequence[RouteAdder] = (),
) -> int:
    """Listen (if anything needs HTTP), start every service, wait for a signal, stop in order."""
    stop = asyncio.Event()
    _on_signals(stop.set)
    runner = None
    app = build_app(services, extra)
    if extra or any(service.needs_http for service in services):
        runner = await _listen(app, settings)
    started: list[Service] = []
    try:
        for service in services:
            if not await _unless_stopped(service.start(), stop):
                log.info("stopped while starting")
                break
            started.append(service)
        else:
            await stop.wait()
        log.info("stopping: no new updates; finishing those in flight")
    finally:
        await _stop(app, started, db, settings.stop_grace_seconds)
        if runner is not None:
            await runner.cleanup()
        _on_signals(None)
    log.info("stopped")
    return 0


async def _listen(app: web.Application, settings: Settings) -> web.AppRunner:
    """Serve the app on HTTP_LISTEN; a port that cannot be had is one line for the operator."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    host, port = settings.http_host_port
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SetupError(f"cannot listen on {settings.http_listen} (HTTP_LISTEN): {exc}") from None
    log.info("serving HTTP on http://%s:%s", host, port)
    return runner


async def _stop(
    app: web.Application, services: Sequence[Service], db: Database, grace: float
) -> None:
    """Stop taking, finish within `grace` seconds, close, hand back the push claims."""
    app[STOPPING].set()
    for service in services:
        await _logged(service.stop_taking(), "stopping taking updates")
    finishing = asyncio.gather(*(service.finish() for service in services), return_exceptions=True)
    try:
        await asyncio.wait_for(finishing, grace)
    except TimeoutError:
        log.warning("updates still in flight after %g s (STOP_GRACE_SECONDS): stopped", grace)
    for service in services:
        await _logged(service.close(), "closing")
    try:
        released = await asyncio.to_thread(db.run, release_claims, by=PROCESS)
    except Exception:
        log.exception("could not hand back the push claims (they go stale in time)")
    else:
        if released:
            log.info("handed back %d push claims for another process to take over", released)


async def _logged(work: object, what: str) -> None:
    """Await one step of the stop; a failure is logged and the stop goes on."""
    try:
        await work  # type: ignore[misc]
    except Exception:
        log.exception("%s failed", what)


async def _unless_stopped(work: object, stop: asyncio.Event) -> bool:
    """Run `work`; False (and `work` cancelled) when the stop came first."""
    task = asyncio.ensure_future(work)  # type: ignore[arg-type]
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        task.result()  # a start that failed fails the run
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


def _on_signals(handler: Callable[[], None] | None) -> None:
    """Call `handler` on SIGTERM and SIGINT (None: take it away)."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
        for sig in (signal.SIGINT, signal.SIGTERM):
            if handler is None:
                loop.remove_signal_handler(sig)
            else:
                loop.add_signal_handler(sig, handler)
