"""The console shell both platforms' consoles share: chat with the bot in a terminal."""

from __future__ import annotations

import logging

from models.settings import Settings


def log_to_file(settings: Settings) -> None:
    """Keep the terminal for the conversation: problems go to a log file beside the data."""
    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)
