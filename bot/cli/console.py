"""`console`: chat with the bot in this terminal over a platform's offline stand-in."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from bot.cli.common import FILES_HELP, load_settings, open_db, takes_demo
from bot.cli.run import PLATFORMS
from models.db import Database
from models.settings import Settings


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `console` command."""
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument(
        "--as", dest="persona", type=int, help="Telegram id to chat as (0: a newcomer)"
    )
    console.add_argument("--files", help=FILES_HELP)
    console.add_argument(
        "--platform", choices=PLATFORMS, default="telegram", help="offline Telegram or WeCom"
    )
    console.set_defaults(fn=cmd_console)
    takes_demo(console)


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
    from jobs import rhythm

    # Keep the terminal for the conversation: problems go to a log file beside the data.
    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)
    transport = OfflineTelegram(bot_username="handover_demo_bot")
    app = build_offline(settings, db, transport)
    # The console is for trying the flows: the daily beat's pushes would land in the middle
    # of the conversation. `python -m bot report --out DIR` shows what they carry.
    for job in app.job_queue.get_jobs_by_name(rhythm.JOB_NAME):
        job.schedule_removal()
    async with app:
        await app.start()
        try:
            # Documents the bot sends (exports, templates) land beside the data unless told.
            files_dir = Path(files) if files else settings.media_dir.parent / "console-files"
            return await run_console(app, transport, db, persona=persona, files_dir=files_dir)
        finally:
            await app.stop()
