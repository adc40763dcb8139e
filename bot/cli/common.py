"""What every command shares: the settings, the database, the log that masks secrets and
phone numbers (as text or JSON lines, each with its update's or push's id), errors."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from bot import platforms
from handlers import watch
from models.db import Database
from models.settings import Settings

log = logging.getLogger("bot")

# Exit codes: done; stopped on an unexpected error; refused (a bad argument, setting or file,
# or a domain rule, said in one line); stopped by Ctrl-C.
OK = 0
FAILED = 1
REFUSED = 2
INTERRUPTED = 130

# Where `make demo` builds the demo (the Makefile's DEMO_ENV): what --demo points a command at.
DEMO_DATABASE_URL = "sqlite:///data/demo.db"
DEMO_MEDIA_DIR = "data/demo-media"
DEMO_HELP = f"use the demo's database and photos ({DEMO_DATABASE_URL}, {DEMO_MEDIA_DIR})"
FILES_HELP = "folder for the documents the bot sends (default: data/console-files)"


class CliError(Exception):
    """A problem to report as one line, exit code 2."""


def takes_demo(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add --demo (work on the demo's database) to a command that opens a database."""
    command.add_argument("--demo", action="store_true", help=DEMO_HELP)
    return command


def takes_platform(command: argparse.ArgumentParser, what: str) -> argparse.ArgumentParser:
    """Add --platform: one of the registry's platforms (the first unless told)."""
    names = platforms.names()
    command.add_argument(
        "--platform", choices=names, default=names[0], help=f"{what} (default: {names[0]})"
    )
    return command


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


def read_file(path: str) -> bytes:
    """Return a file's bytes; a file that cannot be read is a one-line refusal."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def write_file(path: Path, data: bytes) -> None:
    """Write a file (and its folder); a file that cannot be written is a one-line refusal."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


# Phone-like digit runs (owners' phones live in models.tables.Unit.owner_phone, and service
# staff type them to find a flat): a mainland mobile (1[3-9] and 9 more digits, maybe +86 and
# spaces or dashes in 3-4-4), or a landline with its area code (0 and 9 to 11 more digits).
# Ids stay: the platforms' update and user ids are not of these forms (lines say "user 12").
PHONE = re.compile(
    r"(?<![\d])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![\d])"
    r"|(?<![\d])0\d{2,3}[\s-]?\d{7,8}(?![\d])"
)
MASKED_PHONE = "[phone]"


class RedactSecret(logging.Filter):
    """Write secrets (a token, in URLs that carry it too) as *** and phone numbers as [phone] in
    records: their message with its arguments, the exception and the stack."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        # Each secret as it is, and as a URL may quote it (":" as %3A).
        forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
        self.forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every form of the secret, and every phone number, masked."""
        for form in self.forms:
            text = text.replace(form, "***")
        return PHONE.sub(MASKED_PHONE, text)

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


class Traced(logging.Filter):
    """Put the id of the update or push a line belongs to on its record (handlers.watch)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `ids` (a dict) and `traced` (" [update 42]", or "") to the record."""
        ids = watch.current()
        record.ids = ids
        record.traced = "".join(f" [{key} {value}]" for key, value in ids.items())
        return True


class JsonLines(logging.Formatter):
    """Write a record as one JSON object on one line: time, level, logger, message, the update
    or push id, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "ids", {}),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(traced)s: %(message)s"


def log_handler(
    *secrets: str | None, form: str = "text", stream: IO[str] | None = None
) -> logging.Handler:
    """Return the handler every line goes through: secrets and phones masked, the update's or
    push's id added, written as text or JSON lines (`form`) to `stream` (stderr)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(RedactSecret(*(secret for secret in secrets if secret)))
    handler.addFilter(Traced())
    handler.setFormatter(JsonLines() if form == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def log_to_stderr(*secrets: str | None, form: str = "text") -> None:
    """Log INFO and up to stderr (as text or JSON lines), with the secrets and phone numbers
    masked in every line (warnings too)."""
    logging.basicConfig(handlers=[log_handler(*secrets, form=form)], level="INFO")
    for handler in logging.getLogger().handlers:  # one set up before us masks too
        if not any(isinstance(f, RedactSecret) for f in handler.filters):
            handler.addFilter(RedactSecret(*(secret for secret in secrets if secret)))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, token included
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # query strings: signatures
    # Their INFO lines say nothing an operator needs: alembic's set-up and each step of a
    # migration (models.db says "upgraded" once), apscheduler's every job run.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.captureWarnings(True)
