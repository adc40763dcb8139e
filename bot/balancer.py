"""A loopback round-robin HTTP balancer: what nginx is in front of several `run` processes in a
deployment, for the tests and benchmarks that run several (tests/test_two_processes.py,
bench/webhook.py). Each request goes to the next backend; one that cannot be reached is
skipped, as nginx's proxy_next_upstream does.
"""

from __future__ import annotations

import itertools
from collections import Counter

import httpx
from aiohttp import web


class Balancer:
    """Forward POSTs at any path to the backends in turn; `async with` serves it on `port`."""

    def __init__(self, backends: list[str], port: int, host: str = "127.0.0.1") -> None:
        self.backends = backends
        self.host, self.port = host, port
        self.taken: Counter[str] = Counter()  # requests each backend answered
        self._turn = itertools.cycle(backends)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        self._http = httpx.AsyncClient(timeout=30, limits=limits)
        app = web.Application()
        app.router.add_post("/{path:.*}", self.forward)
        self._runner = web.AppRunner(app, access_log=None)

    async def forward(self, request: web.Request) -> web.Response:
        """Hand the request to the next backend and its answer back; 502 if none answers."""
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = request.content_type
        for _ in self.backends:
            backend = next(self._turn)
            try:
                answer = await self._http.post(
                    backend + request.path, content=body, headers=headers
                )
            except httpx.TransportError:
                continue
            self.taken[backend] += 1
            return web.Response(status=answer.status_code, body=answer.content)
        return web.Response(status=502)

    async def __aenter__(self) -> Balancer:
        """Start serving."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop serving; close the connections to the backends."""
        await self._runner.cleanup()
        await self._http.aclose()
