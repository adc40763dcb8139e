"""Photos in: fetch what a person sent through their platform and store a copy by its hash."""

from __future__ import annotations

import asyncio

from handlers.core import Ask
from handlers.screens import FileIn
from models.errors import DomainError
from models.media import image_suffix, store_file


async def save_photo(ask: Ask, photo: FileIn | None) -> dict[str, str | None]:
    """Fetch the photo (or image file) and store a copy; return it as a draft keeps it."""
    if photo is None:
        raise ValueError("a photo step was given no photo")
    data = await ask.fetch(photo)
    # Named by what it is, never by the name it came with ("x.html" sent as an image).
    suffix = image_suffix(data)
    if suffix is None:
        raise DomainError("not_an_image")
    sha, path = await asyncio.to_thread(store_file, ask.settings.media_dir, data, suffix)
    # The platform's id of the photo lets the same platform show it again without an upload.
    return {"file_id": photo.ref, "sha256": sha, "path": path, "platform": ask.platform.name}


async def keep_photo(ask: Ask, kept: list[dict[str, str | None]]) -> None:
    """Add the photo sent to a draft's photos, unless the draft has that file already.

    A message can come twice (Telegram delivers an update again after a late webhook answer or
    a restart; a member resends a picture): one file, by its platform id or its content, is one
    photo of the report. The draft is in the database, so every process sees what it holds.
    """
    photo = ask.incoming.photo
    here = ask.platform.name
    if photo is not None and any(
        p.get("file_id") == photo.ref and p.get("platform") == here for p in kept
    ):
        return  # known without fetching it again
    saved = await save_photo(ask, photo)
    if all(p.get("sha256") != saved["sha256"] for p in kept):
        kept.append(saved)
