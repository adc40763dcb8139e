"""`reassign`, `cancel`, `reopen`: change one item in an admin's name, as the chat commands do."""

from __future__ import annotations

import argparse

from bot import platforms
from bot.cli.common import OK, load_settings, open_existing_db, takes_demo, takes_platform
from models import admin
from models.people import find_person


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `reassign`, `cancel` and `reopen` commands."""
    for name, rest, what in (
        ("reassign", "contractor", "give an item to another contractor (name or part of it)"),
        ("cancel", "reason", "cancel an item: duplicate, not a defect"),
        ("reopen", "reason", "reopen a closed item: back to its contractor as rework"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("item", type=int, help="item number")
        command.add_argument(rest, nargs="+")
        command.add_argument(
            "--as",
            dest="as_id",
            metavar="ACCOUNT",
            required=True,
            help="the acting admin's account on --platform (the id it knows them by)",
        )
        takes_platform(command, "the platform of the --as account")
        command.set_defaults(fn=cmd_item)
        takes_demo(command)


def cmd_item(args: argparse.Namespace) -> int:
    """Reassign, cancel or reopen one item in an admin's name (as /reassign, /cancel, /reopen)."""
    settings = load_settings(args)
    db = open_existing_db(settings)
    platform = platforms.adapter(args.platform).platform
    person = db.run(find_person, platform=platform, account=args.as_id)
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
    return OK
