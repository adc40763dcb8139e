"""`backup`, `restore`: a consistent copy of the database and its photos, and putting one back."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.cli.common import OK, CliError, load_settings, takes_demo
from models.backup import BackupError, make_backup, prune, restore


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `backup` and `restore` commands."""
    backup = sub.add_parser(
        "backup", help="copy the database and the new photos into a new backup in DIR"
    )
    backup.add_argument("dir", help="the backup folder (one media/ and a folder per backup)")
    backup.add_argument(
        "--keep", type=int, help="then keep only the newest N backups (and their photos)"
    )
    backup.set_defaults(fn=cmd_backup)
    takes_demo(backup)
    restore_ = sub.add_parser(
        "restore", help="restore a backup into an empty database and media folder"
    )
    restore_.add_argument("dir", help="the backup folder, or one backup's own folder")
    restore_.add_argument("name", nargs="?", help="which backup (default: the newest)")
    restore_.add_argument(
        "--force", action="store_true", help="replace a database that holds data already"
    )
    restore_.set_defaults(fn=cmd_restore)
    takes_demo(restore_)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _must_exist(url: str) -> None:
    """Refuse a SQLite file that is not there (a backup creates no database)."""
    parsed = make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        raise CliError(f"there is no database at {path} to back up")


def cmd_backup(args: argparse.Namespace) -> int:
    """Back the database and its photos up into DIR; say what the backup holds."""
    settings = load_settings(args)
    if args.keep is not None and args.keep < 1:
        raise CliError("--keep must be 1 or more")
    _must_exist(settings.database_url)
    into = Path(args.dir)
    try:
        manifest = make_backup(
            url=settings.database_url,
            media_dir=settings.media_dir,
            into=into,
            pg_dump=settings.pg_dump,
        )
        gone = prune(into, keep=args.keep) if args.keep else ([], 0)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(
        f"backup {manifest.name} in {into}: {manifest.rows} rows in {len(manifest.tables)} "
        f"tables, {len(manifest.photos)} photos ({manifest.photos_new} new), schema "
        f"{manifest.schema_revision}"
        + (f"; deleted {len(gone[0])} older backups, {gone[1]} photos" if gone[0] else "")
    )
    if manifest.photos_missing:
        print(
            f"warning: {len(manifest.photos_missing)} photo(s) the database names are not in "
            f"{settings.media_dir}, e.g. {manifest.photos_missing[0]}"
        )
    return OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore the newest (or the named) backup of DIR into the settings' database."""
    settings = load_settings(args)
    try:
        done = restore(
            into=Path(args.dir),
            name=args.name,
            url=settings.database_url,
            media_dir=settings.media_dir,
            force=args.force,
            pg_restore=settings.pg_restore,
        )
    except BackupError as exc:
        raise CliError(str(exc)) from None
    manifest = done.manifest
    migrated = (
        f", migrated to {done.schema_now}" if done.schema_now != manifest.schema_revision else ""
    )
    print(
        f"restored backup {manifest.name} (schema {manifest.schema_revision}{migrated}): "
        f"{manifest.rows} rows, {len(manifest.photos)} photos into "
        f"{_shown(settings.database_url)} and {settings.media_dir}"
    )
    return OK
