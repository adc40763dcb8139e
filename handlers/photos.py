"""Photos in: fetch what a person sent through their platform and store a copy by its hash."""

from __future__ import annotations

import asyncio
from pathlib import Path

from handlers.core import Ask
from handlers.screens import FileIn
from models.media import store_file


async def save_photo(ask: Ask, photo: FileIn | None) -> dict[str, str | None]:
    """Fetch the photo (or image file) and store a copy; return it as a draft keeps it."""
    if photo is None:
        raise ValueError("a photo step was given no photo")
    data = await ask.fetch(photo)
    suffix = Path(photo.name or "x.jpg").suffix.lower() or ".jpg"
    sha, path = await asyncio.to_thread(store_file, ask.settings.media_dir, data, suffix)
    # The platform's id of the photo lets the same platform show it again without an upload.
    return {"file_id": photo.ref, "sha256": sha, "path": path, "platform": ask.platform.name}
