"""The figures an operator's Prometheus scrapes at /metrics (bot/health.py serves them).

One `Metrics` per application instance, each with its own registry: a test builds several apps
in one process without a duplicate-metric error. With several bot processes each serves its
own counters; Prometheus scrapes every process (one target each) and sums them in its queries.
The multiprocess mode of prometheus_client is not used: it shares files on one machine only,
and our processes may run on several.

Labels come from closed sets (a route of the router, a refusal's key, a platform, an outcome, a
push kind, an item state, a project): never what someone typed, never a person.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from handlers.watch import Meter
from models import health
from models.db import Database

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# How long one count of the open items serves scrapes: one aggregate at most this often.
OPEN_ITEMS_FRESH = 15.0
# An update's time from the core's start to its reply: chat-speed buckets, seconds.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class OpenItemsCollector(Collector):
    """The open items per project and state, counted by one SQL aggregate at scrape time
    (scrapes run in a worker thread; a count serves OPEN_ITEMS_FRESH seconds)."""

    def __init__(self, db: Database, fresh: float = OPEN_ITEMS_FRESH) -> None:
        self.db = db
        self.fresh = fresh
        self._lock = threading.Lock()
        self._counted: list[health.OpenItems] = []
        self._at = float("-inf")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the open items per project and state."""
        family = GaugeMetricFamily(
            "handover_open_items",
            "Items not closed nor cancelled, per project and state",
            labels=["project_id", "project", "state"],
        )
        for row in self._count():
            family.add_metric([str(row.project_id), row.project, row.state], row.count)
        yield family

    def _count(self) -> list[health.OpenItems]:
        with self._lock:
            if time.monotonic() - self._at >= self.fresh:
                try:
                    self._counted = self.db.run(health.open_items)
                    self._at = time.monotonic()
                except Exception:
                    # A scrape must still say the counters: the last count, and the log says why.
                    log.exception("open items not counted")
            return self._counted


class Metrics(Meter):
    """The bot's counters in a registry of their own (see the module's docstring)."""

    def __init__(self, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "handover_updates",
            "Updates handled by the core, by platform, route (flow or command) and outcome",
            ["platform", "flow", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "handover_update_seconds",
            "Time the core took for an update, by platform and route",
            ["platform", "flow"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.refusals = Counter(
            "handover_refusals",
            "Inputs refused, by platform and reason (the refusal's key)",
            ["platform", "reason"],
            registry=r,
        )
        self.sends = Counter(
            "handover_sends",
            "Tries to send a message, by platform and outcome "
            "(ok, 429, 5xx, blocked, no_account, refused, error)",
            ["platform", "outcome"],
            registry=r,
        )
        self.pushes = Counter(
            "handover_push_runs",
            "Daily push runs, by kind and outcome (ok, failed: someone not reached, error)",
            ["kind", "outcome"],
            registry=r,
        )
        if db is not None:
            r.register(OpenItemsCollector(db))

    def handled(self, *, platform: str, flow: str, outcome: str, seconds: float) -> None:
        """Count an update handled by a route and how long it took."""
        self.updates.labels(platform, flow, outcome).inc()
        self.latency.labels(platform, flow).observe(seconds)

    def refused(self, *, platform: str, reason: str) -> None:
        """Count a refusal by its reason."""
        self.refusals.labels(platform, reason).inc()

    def sent(self, *, platform: str, outcome: str) -> None:
        """Count one try to send a message by its outcome."""
        self.sends.labels(platform, outcome).inc()

    def pushed(self, *, kind: str, outcome: str) -> None:
        """Count a push run by kind and outcome."""
        self.pushes.labels(kind, outcome).inc()

    def exposition(self) -> bytes:
        """Return every figure in Prometheus' text format (runs the SQL: call it off the loop)."""
        return generate_latest(self.registry)
