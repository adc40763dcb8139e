"""The command line: `python -m bot run|console|demo|invite|project|migrate|fake-telegram`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlmodel import Session

from bot.i18n import t
from bot.settings import Settings
from models.db import Database
from models.errors import DomainError

log = logging.getLogger("bot")


class CliError(Exception):
    """A problem to report as one line, exit code 2."""


def load_settings() -> Settings:
    """Read the settings, turning a bad value into one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper()
        raise CliError(f"setting {name}: {first['msg']}") from None


def open_db(settings: Settings) -> Database:
    """Open the database and bring its schema up to date."""
    db = Database(settings.database_url)
    db.migrate()
    return db


def cmd_run(args: argparse.Namespace) -> int:
    """Poll Telegram (or TELEGRAM_API_BASE_URL) and serve until stopped."""
    settings = load_settings()
    if settings.telegram_bot_token is None:
        raise CliError(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or .env (or try `python -m bot console` offline)"
        )
    from bot.app import build_application

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = build_application(settings, open_db(settings))
    log.info("polling %s", settings.telegram_api_base_url)
    app.run_polling()
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal over the offline transport."""
    settings = load_settings()
    return asyncio.run(_console(settings, open_db(settings), args.persona))


async def _console(settings: Settings, db: Database, persona: int | None) -> int:
    from bot.app import build_offline
    from bot.console import run_console
    from bot.transport import OfflineTelegram

    # Keep the terminal for the conversation: problems go to a log file beside the data.
    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)
    transport = OfflineTelegram(bot_username="handover_demo_bot")
    app = build_offline(settings, db, transport)
    async with app:
        await app.start()
        try:
            return await run_console(app, transport, db, persona=persona)
        finally:
            await app.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo project (refusing a real database), then open the console."""
    from bot.demo import build_demo

    settings = load_settings()
    db = open_db(settings)

    shown = {"tenth": -1}
    live = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        tenth = 10 * done // max(total, 1)
        if not live and tenth == shown["tenth"]:
            return  # in a log file, one line per tenth is enough
        shown["tenth"] = tenth
        bar = f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        sys.stderr.write(f"\r{bar}" if live else f"{bar}\n")
        if live and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    print(f"Building the demo in {settings.database_url} ...", file=sys.stderr)
    summary = build_demo(db, items=args.items, progress=progress)
    print(
        f"Demo ready: {summary.project}, {summary.units} flats, {summary.contractors} "
        f"contractors, {sum(summary.items_by_state.values())} items.",
        file=sys.stderr,
    )
    if args.no_console:
        return 0
    return asyncio.run(_console(settings, db, None))


def cmd_project(args: argparse.Namespace) -> int:
    """Create a project (its default defect categories come with it)."""
    from models.project import create_project

    settings = load_settings()
    db = open_db(settings)
    project = db.run(create_project, name=args.name, timezone=args.timezone or settings.timezone)
    print(f"project {project.id}: {project.name}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Make a one-time invite code and print it with its deep link."""
    from models.people import create_invite, parse_roles
    from models.project import find_project

    settings = load_settings()
    db = open_db(settings)

    def make(session: Session) -> tuple[str, str]:
        project = find_project(session, name=args.project)
        invite = create_invite(
            session,
            project_id=project.id,
            roles=parse_roles(args.roles),
            contractor_name=args.contractor,
            hours=args.hours or settings.invite_hours,
        )
        return invite.code, project.name

    code, project_name = db.run(make)
    username = args.bot_username or "YOUR_BOT"
    print(f"invite for {args.roles} in {project_name}: {code}")
    print(f"link: https://t.me/{username}?start={code}")
    print(f"or in the bot: /start {code}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    settings = load_settings()
    open_db(settings)
    print(f"database up to date: {settings.database_url}")
    return 0


def cmd_fake_telegram(args: argparse.Namespace) -> int:
    """Serve an in-process Telegram over HTTP for `run` to poll (no Telegram needed)."""
    from bot.apiserver import main as serve_fake

    return serve_fake(args.host, args.port)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    p = argparse.ArgumentParser(prog="python -m bot", description="Handover repair bot")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve on Telegram").set_defaults(fn=cmd_run)
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--as", dest="persona", type=int, help="Telegram id to chat as")
    console.set_defaults(fn=cmd_console)
    demo = sub.add_parser("demo", help="build a demo project, then open the console")
    demo.add_argument("--no-console", action="store_true", help="only build the database")
    demo.add_argument("--items", type=int, default=3000, help="how many items to raise")
    demo.set_defaults(fn=cmd_demo)
    project = sub.add_parser("project", help="create a project")
    project.add_argument("name")
    project.add_argument("--timezone")
    project.set_defaults(fn=cmd_project)
    invite = sub.add_parser("invite", help="make a one-time invite code")
    invite.add_argument("roles", help="admin, clerk, contractor, inspector, manager, service")
    invite.add_argument("--contractor", help="the contractor's name, for a contractor invite")
    invite.add_argument("--project", help="project name (needed when there are several)")
    invite.add_argument("--hours", type=int, help="hours the code stays valid")
    invite.add_argument("--bot-username", help="the bot's @username, for the link")
    invite.set_defaults(fn=cmd_invite)
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(fn=cmd_migrate)
    fake = sub.add_parser("fake-telegram", help="serve a local fake Telegram for `run`")
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    fake.add_argument("--port", type=int, default=8081)
    fake.set_defaults(fn=cmd_fake_telegram)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; problems are one line on stderr and exit code 2."""
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except DomainError as exc:
        print(f"error: {t('en', f'error.{exc.key}', **exc.params)}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2
