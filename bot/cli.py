"""The command line: `python -m bot run|console|demo|invite|project|migrate|fake-telegram`,
the workbooks: `setup|import|template|export`, and the manager's `report`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys
import warnings
from collections.abc import Coroutine, Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlmodel import Session

from handlers.i18n import t
from models.db import Database
from models.errors import DomainError
from models.settings import Settings

if TYPE_CHECKING:
    from telegram.ext import Application

log = logging.getLogger("bot")
PLATFORMS = ("telegram", "wecom")
# Where `make demo` builds the demo (the Makefile's DEMO_ENV): what --demo points a command at.
DEMO_DATABASE_URL = "sqlite:///data/demo.db"
DEMO_MEDIA_DIR = "data/demo-media"


class CliError(Exception):
    """A problem to report as one line, exit code 2."""


def load_settings(args: argparse.Namespace | None = None) -> Settings:
    """Read the settings, turning a bad value into one readable line; --demo: the demo's data."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper()
        raise CliError(f"setting {name}: {first['msg']}") from None
    if getattr(args, "demo", False):
        demo = {"database_url": DEMO_DATABASE_URL, "media_dir": Path(DEMO_MEDIA_DIR)}
        settings = settings.model_copy(update=demo)
    return settings


def open_db(settings: Settings) -> Database:
    """Open the database and bring its schema up to date."""
    db = Database(settings.database_url)
    db.migrate()
    return db


def open_existing_db(settings: Settings) -> Database:
    """Open a database that must hold data already: a missing SQLite file is not created."""
    url = make_url(settings.database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        if settings.database_url == DEMO_DATABASE_URL:
            raise CliError(f"there is no demo database at {path} yet: build it with `make demo-db`")
        raise CliError(
            f"there is no database at {path} yet: create a project first "
            "(`python -m bot project NAME`), or add --demo to use the demo's (`make demo-db`)"
        )
    return open_db(settings)


class RedactSecret(logging.Filter):
    """Write secrets (the bot token, in `bot<token>` URLs too; WeCom's) as *** in records."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        # Each secret as it is, and as a URL may quote it (":" as %3A).
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        self.forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every form of the secret masked."""
        for form in self.forms:
            text = text.replace(form, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the message, its arguments, the exception text and the stack; keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format: logging would print msg and args raw
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def log_to_stderr(*secrets: str | None) -> None:
    """Log INFO and up to stderr, with the secrets masked in every line (warnings too)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, token included
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # query strings: signatures
    # Their INFO lines say nothing an operator needs: alembic's set-up and each step of a
    # migration (models.db says "upgraded" once), apscheduler's every job run.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    known = [secret for secret in secrets if secret]
    if known:
        redact = RedactSecret(*known)
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)


def cmd_run(args: argparse.Namespace) -> int:
    """Poll Telegram (or TELEGRAM_API_BASE_URL) and serve until stopped."""
    if getattr(args, "platform", "telegram") == "wecom":
        return cmd_run_wecom(args)
    settings = load_settings(args)
    if settings.telegram_bot_token is None:
        raise CliError(
            "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in the "
            "environment or .env (or try `python -m bot console` offline)"
        )
    from bot.telegram.app import build_application

    log_to_stderr(settings.telegram_bot_token.get_secret_value())
    try:
        app = build_application(settings, open_db(settings))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # run_polling carries on in this loop
        if not loop.run_until_complete(_unless_stopped(_connect(app, settings))):
            loop.close()
            return 0
        log.info("polling %s as @%s", settings.telegram_api_base_url, app.bot.username)
        app.run_polling(bootstrap_retries=-1)
    except CliError:
        raise
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the token.
        log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


def cmd_run_wecom(args: argparse.Namespace) -> int:
    """Serve WeCom's callback (and the upload pages) at WECOM_LISTEN until stopped."""
    settings = load_settings(args)
    if settings.wecom_missing:
        raise CliError(
            f"WeCom settings not set: {', '.join(settings.wecom_missing)} (put them in the "
            "environment or .env; see README, deploying on WeCom)"
        )
    secrets = (settings.wecom_secret, settings.wecom_token, settings.wecom_encoding_aes_key)
    log_to_stderr(*(s.get_secret_value() for s in secrets if s is not None))
    from aiohttp import web

    from bot.wecom.serve import build_wecom

    try:
        server = build_wecom(settings, open_db(settings))
    except ValueError as exc:  # the crypto refuses a malformed key (its message names no secret)
        raise CliError(f"WeCom settings: {exc}") from None
    host, port = settings.wecom_host_port
    log.info(
        "serving the WeCom callback on http://%s:%s/wecom/callback (API %s)",
        host,
        port,
        settings.wecom_api_base_url,
    )
    try:
        web.run_app(server.app, host=host, port=port, print=None, access_log=None)
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.wecom_listen} (WECOM_LISTEN): {exc}") from None
    except Exception:
        log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


async def _connect(app: Application, settings: Settings) -> None:
    """Start the application, waiting (with back-off) while Telegram cannot be reached."""
    from telegram.error import InvalidToken, NetworkError, RetryAfter

    delay = settings.telegram_retry_first
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise CliError(
                "Telegram refused the token (TELEGRAM_BOT_TOKEN): check it with @BotFather"
            ) from None
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that it will become a timedelta
                warnings.simplefilter("ignore")
                asked = exc.retry_after
            wait = max(delay, asked.total_seconds() if isinstance(asked, timedelta) else asked)
            reason = "too many requests"
        except NetworkError as exc:  # refused, timed out, or a 5xx answer
            wait, reason = delay, str(exc) or type(exc).__name__
        log.warning("Telegram not reachable (%s), retrying in %g s", reason, wait)
        await asyncio.sleep(wait)
        delay = min(delay * 2, settings.telegram_retry_max)


async def _unless_stopped(work: Coroutine[Any, Any, None]) -> bool:
    """Run `work`; False when SIGINT or SIGTERM came first (a stop while still waiting)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
        for sig in signals:
            loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("stopped before Telegram could be reached")
        return False
    finally:
        with contextlib.suppress(NotImplementedError):
            for sig in signals:
                loop.remove_signal_handler(sig)
    return True


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal over the offline transport."""
    settings = load_settings(args)
    if getattr(args, "platform", "telegram") == "wecom":
        return asyncio.run(_wecom_console(settings, open_db(settings), args.persona, args.files))
    return asyncio.run(_console(settings, open_db(settings), args.persona, args.files))


async def _wecom_console(
    settings: Settings, db: Database, persona: int | None, files: str | None = None
) -> int:
    from pydantic import SecretStr

    from bot.wecom.console import run_wecom_console
    from bot.wecom.offline import OfflineWeCom
    from bot.wecom.serve import build_wecom

    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)
    wecom = OfflineWeCom()
    # The offline app's own corp, agent and secret; the callback keys only need to agree.
    offline = settings.model_copy(
        update={
            "wecom_corp_id": wecom.corp_id,
            "wecom_agent_id": str(wecom.agent_id),
            "wecom_secret": SecretStr(wecom.secret),
            "wecom_token": SecretStr("offline"),
            "wecom_encoding_aes_key": SecretStr("A" * 43),
        }
    )
    # No daily beat in the console (as on Telegram): `report --out DIR` shows what it carries.
    server = build_wecom(offline, db, client=wecom.client(), rhythm_timer=False)
    files_dir = Path(files) if files else settings.media_dir.parent / "console-files"
    try:
        return await run_wecom_console(server, wecom, db, persona=persona, files_dir=files_dir)
    finally:
        await server.api.aclose()


async def _console(
    settings: Settings, db: Database, persona: int | None, files: str | None = None
) -> int:
    from bot.telegram.console import run_console
    from bot.telegram.offline import OfflineTelegram
    from bot.telegram.stand_in import build_offline

    # Keep the terminal for the conversation: problems go to a log file beside the data.
    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)
    transport = OfflineTelegram(bot_username="handover_demo_bot")
    # The console is for trying the flows: the daily beat's pushes would land in the middle
    # of the conversation. `python -m bot report --out DIR` shows what they carry.
    app = build_offline(settings, db, transport, beat=False)
    async with app:
        await app.start()
        try:
            # Documents the bot sends (exports, templates) land beside the data unless told.
            files_dir = Path(files) if files else settings.media_dir.parent / "console-files"
            return await run_console(app, transport, db, persona=persona, files_dir=files_dir)
        finally:
            await app.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo project (refusing a real database), then open the console."""
    from bot.demo import build_demo

    settings = load_settings(args)
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
    summary = build_demo(
        db,
        items=args.items,
        progress=progress,
        repair_days=settings.repair_days,
        rework_days=settings.rework_days,
    )
    print(
        f"Demo ready: {summary.project}, {summary.units} flats, {summary.contractors} "
        f"contractors, {sum(summary.items_by_state.values())} items.",
        file=sys.stderr,
    )
    if args.no_console:
        return 0
    return asyncio.run(_console(settings, db, None, args.files))


def cmd_project(args: argparse.Namespace) -> int:
    """Create a project (its default defect categories come with it)."""
    from models.project import create_project

    settings = load_settings(args)
    db = open_db(settings)
    project = db.run(
        create_project,
        name=args.name,
        timezone=args.timezone or settings.timezone,
        repair_days=settings.repair_days,
        rework_days=settings.rework_days,
    )
    print(f"project {project.id}: {project.name}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Make a one-time invite code and print it with its deep link."""
    from models.people import create_invite, parse_roles
    from models.project import find_project

    settings = load_settings(args)
    db = open_existing_db(settings)

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
    settings = load_settings(args)
    open_db(settings)
    print(f"database up to date: {settings.database_url}")
    return 0


def cmd_fake_telegram(args: argparse.Namespace) -> int:
    """Serve an in-process Telegram over HTTP for `run` to poll (no Telegram needed)."""
    from bot.telegram.apiserver import main as serve_fake

    return serve_fake(args.host, args.port, args.token)


def cmd_item(args: argparse.Namespace) -> int:
    """Reassign, cancel or reopen one item in an admin's name (as /reassign, /cancel, /reopen)."""
    from models import admin

    settings = load_settings(args)
    db = open_existing_db(settings)
    from models.people import find_person
    from models.tables import Platform

    person = db.run(find_person, platform=Platform.telegram, account=str(args.as_id))
    # Nobody there: user id 0 is no one's, and models refuse it as a stranger.
    who = {"user_id": person.id if person else 0, "item_id": args.item}
    if args.command == "reassign":
        moved = db.run(admin.reassign, **who, contractor_name=" ".join(args.contractor))
    elif args.command == "cancel":
        moved = db.run(admin.cancel_item, **who, reason=" ".join(args.reason))
    else:
        moved = db.run(admin.reopen_item, **who, reason=" ".join(args.reason))
    line = moved.line
    print(f"item {line.id}: {line.state.value}, {line.contractor_name}")
    # No chat is open here: the contractor finds it on their list (and the morning push).
    return 0


def _item_commands(sub: argparse._SubParsersAction) -> None:
    for name, rest, what in (
        ("reassign", "contractor", "give an item to another contractor (name or part of it)"),
        ("cancel", "reason", "cancel an item: duplicate, not a defect"),
        ("reopen", "reason", "reopen a closed item: back to its contractor as rework"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("item", type=int, help="item number")
        command.add_argument(rest, nargs="+")
        command.add_argument(
            "--as", dest="as_id", type=int, required=True, help="Telegram id of the admin acting"
        )
        command.set_defaults(fn=cmd_item)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def _print_report(args: argparse.Namespace, settings: Settings, report: object) -> int:
    from handlers.sheets_text import render_report

    text = render_report(args.lang or settings.default_language, report, limit=None, max_chars=None)
    print(text, file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 2


def cmd_setup(args: argparse.Namespace) -> int:
    """Read a set-up workbook (flats, contractors, rules) into a project; all or nothing."""
    from models.project import find_project
    from models.sheets import SetupReport, setup_project

    settings = load_settings(args)
    data = _read_file(args.file)

    def run(session: Session) -> SetupReport:
        project = find_project(session, name=args.project)
        return setup_project(
            session, project_id=project.id, data=data, filename=Path(args.file).name
        )

    return _print_report(args, settings, open_existing_db(settings).run(run))


def cmd_import(args: argparse.Namespace) -> int:
    """Import an items file (.xlsx or .csv); a file with any bad row imports nothing."""
    from models.project import find_project
    from models.sheets import ImportReport, import_items

    settings = load_settings(args)
    data = _read_file(args.file)

    def run(session: Session) -> ImportReport:
        project = find_project(session, name=args.project)
        return import_items(
            session, project_id=project.id, data=data, filename=Path(args.file).name
        )

    return _print_report(args, settings, open_existing_db(settings).run(run))


def cmd_template(args: argparse.Namespace) -> int:
    """Write the blank set-up and items workbooks beside OUT (OUT-setup.xlsx, OUT-items.xlsx)."""
    from models.project import find_project
    from models.sheets import Templates, write_templates

    if args.project:
        settings = load_settings(args)

        def run(session: Session) -> Templates:
            project = find_project(session, name=args.project)
            return write_templates(session, project_id=project.id)

        templates = open_existing_db(settings).run(run)
    else:
        templates = write_templates()
    out = Path(args.out)
    stem = out.name[: -len(out.suffix)] if out.suffix.lower() == ".xlsx" else out.name
    for kind, data in (("setup", templates.setup), ("items", templates.items)):
        path = out.with_name(f"{stem}-{kind}.xlsx")
        _write_file(path, data)
        print(f"wrote {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write every item with its state and every event to an .xlsx."""
    from sqlmodel import select

    from handlers.i18n import t
    from models.project import find_project
    from models.sheets import export_items
    from models.tables import Project

    settings = load_settings(args)

    def run(session: Session) -> tuple[bytes, list[str]]:
        if args.project:
            projects = [find_project(session, name=args.project)]
        else:
            projects = list(session.exec(select(Project).order_by(Project.id)).all())
        data = export_items(session, project_ids=[p.id for p in projects], say=t)
        return data, [p.name for p in projects]

    data, names = open_existing_db(settings).run(run)
    _write_file(Path(args.out), data)
    print(f"wrote {args.out}: {', '.join(names) or 'no projects'}")
    return 0


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--date {text!r} is not a date: write it as YYYY-MM-DD") from None


def _file_part(name: str) -> str:
    """Return a project's name as a safe part of a file name (letters, digits, - and _)."""
    part = re.sub(r"[^\w-]+", "_", name, flags=re.UNICODE).strip("_")
    return part[:60] or "project"


def cmd_report(args: argparse.Namespace) -> int:
    """Write each project's (or the named one's) report pictures and figures into OUT."""
    from sqlmodel import select

    from handlers.report_text import (
        daily_picture,
        plain,
        report_caption,
        report_details,
        rework_caption,
        rework_picture,
    )
    from models.printable import Printout, project_printables
    from models.project import find_project
    from models.report import DailyReport, ReworkReport, daily_report, rework_report
    from models.tables import Project

    settings = load_settings(args)
    lang = args.lang or settings.default_language
    day = _day(args.date)

    def figures(session: Session) -> list[tuple[DailyReport, ReworkReport, list[Printout]]]:
        if args.project:
            try:
                projects = [find_project(session, name=args.project)]
            except DomainError:
                names = ", ".join(session.exec(select(Project.name).order_by(Project.id)).all())
                raise CliError(f"no project named {args.project!r} (projects: {names})") from None
        else:
            projects = list(session.exec(select(Project).order_by(Project.id)).all())
        return [
            (
                daily_report(session, project_id=p.id, day=day),
                rework_report(session, project_id=p.id, day=day),
                # Paper lists are of the items as they stand now, whatever --date says.
                project_printables(session, project_id=p.id, tr=partial(t, lang)),
            )
            for p in projects
        ]

    out = Path(args.out)
    written = []
    for daily, rework, printouts in open_existing_db(settings).run(figures):
        stem = f"{_file_part(daily.project_name)}-{daily.day:%Y-%m-%d}"
        words = "\n\n".join(
            [report_caption(lang, daily), report_details(lang, daily), rework_caption(lang, rework)]
        )
        for path, data in (
            (out / f"report-{stem}.png", daily_picture(lang, daily)),
            (out / f"rework-{stem}.png", rework_picture(lang, rework)),
            (out / f"figures-{stem}.txt", (plain(words) + "\n").encode()),
            # Prefixed with the project: two projects may have contractors of one name.
            *((out / f"{_file_part(daily.project_name)}-{name}", pdf) for name, pdf in printouts),
        ):
            _write_file(path, data)
            written.append(path)
    if not written:
        raise CliError("there is no project yet: create one with `python -m bot project NAME`")
    for path in written:
        print(path)
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    p = argparse.ArgumentParser(prog="python -m bot", description="Handover repair bot")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve on Telegram (or WeCom)")
    run.add_argument("--platform", choices=PLATFORMS, default="telegram")
    run.set_defaults(fn=cmd_run)
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument(
        "--as", dest="persona", type=int, help="Telegram id to chat as (0: a newcomer)"
    )
    files_help = "folder for the documents the bot sends (default: data/console-files)"
    console.add_argument("--files", help=files_help)
    console.add_argument(
        "--platform", choices=PLATFORMS, default="telegram", help="offline Telegram or WeCom"
    )
    console.set_defaults(fn=cmd_console)
    demo = sub.add_parser("demo", help="build a demo project, then open the console")
    demo.add_argument("--no-console", action="store_true", help="only build the database")
    demo.add_argument("--items", type=int, default=3000, help="how many items to raise")
    demo.add_argument("--files", help=files_help)
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
    _item_commands(sub)
    fake = sub.add_parser("fake-telegram", help="serve a local fake Telegram for `run`")
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    fake.add_argument("--port", type=int, default=8081)
    fake.add_argument("--token", help="refuse every other token, as Telegram does (default: any)")
    fake.set_defaults(fn=cmd_fake_telegram)
    for name, fn, what in (
        ("setup", cmd_setup, "read a set-up workbook (Units, Contractors, Rules)"),
        ("import", cmd_import, "import an items file (.xlsx or .csv)"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("file")
        command.add_argument("--project", help="project name (needed when there are several)")
        command.add_argument("--lang", choices=("zh", "en"), help="language of the report")
        command.set_defaults(fn=fn)
    template = sub.add_parser("template", help="write blank OUT-setup.xlsx and OUT-items.xlsx")
    template.add_argument("out", help="e.g. blank.xlsx gives blank-setup.xlsx, blank-items.xlsx")
    template.add_argument("--project", help="list this project's categories and contractors")
    template.set_defaults(fn=cmd_template)
    export = sub.add_parser("export", help="write every item and event to an .xlsx")
    export.add_argument("out")
    export.add_argument("--project", help="only this project (default: every project)")
    export.set_defaults(fn=cmd_export)
    report = sub.add_parser(
        "report", help="write the manager's report pictures, figures and printable lists"
    )
    report.add_argument("--out", required=True, help="folder to write into")
    report.add_argument("--project", help="only this project (default: every project)")
    report.add_argument(
        "--date",
        help="the report's day, YYYY-MM-DD (default: today on each site); "
        "the printable lists are always of now",
    )
    report.add_argument("--lang", choices=("zh", "en"), help="language of the labels")
    report.set_defaults(fn=cmd_report)
    demo_help = f"use the demo's database and photos ({DEMO_DATABASE_URL}, {DEMO_MEDIA_DIR})"
    for name, command in sub.choices.items():
        if name != "fake-telegram":  # the one command with no database
            command.add_argument("--demo", action="store_true", help=demo_help)
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
