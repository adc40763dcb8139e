"""`run`: serve on one or several chat platforms of the registry until stopped."""

from __future__ import annotations

import argparse

from aiohttp import web

from bot import health, platforms, serve
from bot.cli.common import FAILED, load_settings, log, log_to_stderr, open_db, takes_demo
from bot.metrics import Metrics


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    run = sub.add_parser("run", help="serve on chat platforms until stopped")
    first = platforms.names()[0]
    run.add_argument(
        "--platform",
        type=chosen_platforms,
        default=[first],
        help=f"the platforms to serve on, comma-separated, on one HTTP server (default: {first})",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="take the chat platform's updates posted to https://HOST/PATH (served on "
        "HTTP_LISTEN) rather than polling for them (default: TELEGRAM_WEBHOOK_URL)",
    )
    run.set_defaults(fn=cmd_run)
    takes_demo(run)


def chosen_platforms(text: str) -> list[str]:
    """Return the platforms named in `a,b`, each once; an unknown one is refused."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    try:
        for name in names or [text]:
            platforms.adapter(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def cmd_run(args: argparse.Namespace) -> int:
    """Serve on the chosen platforms until stopped; a missing setting is refused first."""
    settings = load_settings(args)
    if args.webhook:
        settings = settings.model_copy(update={"telegram_webhook_url": args.webhook})
    chosen = [platforms.adapter(name) for name in args.platform]
    for adapter in chosen:
        adapter.check(settings)  # before anything is opened: a missing token is one line
    log_to_stderr(
        *(secret for adapter in chosen for secret in adapter.secrets(settings)),
        form=settings.log_format,
    )
    try:
        db = open_db(settings)
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the secrets.
        log.exception("the bot stopped on an unexpected error")
        return FAILED
    metrics = Metrics(db)  # one set of figures for every platform the process serves
    services = [adapter.service(settings, db, metrics) for adapter in chosen]
    pulses = [service.pulse for service in services]

    def health_routes(app: web.Application) -> None:
        health.add_routes(app, db=db, metrics=metrics, pulses=pulses)

    # /healthz and /metrics on the process's one app. A poller alone serves HTTP only where
    # HTTP_LISTEN is set: a plain `run` claims no port (two pollers' tests, a laptop's 8080).
    http = any(s.needs_http for s in services) or "http_listen" in settings.model_fields_set
    return serve.run(settings, db, services, [health_routes] if http else [])
