"""Stored copies of photos, named by their content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

# What a photo's first bytes are, by format: a "photo" that is none of them is refused.
_IMAGES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
)


def image_suffix(data: bytes) -> str | None:
    """Return the file suffix of an image by its content (JPEG, PNG, GIF, WebP, HEIC), or None."""
    for magic, suffix in _IMAGES:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return ".heic"
    return None


def store_file(media_dir: Path, data: bytes, suffix: str = ".jpg") -> tuple[str, str]:
    """Save bytes under media_dir by SHA-256 (once per content); return (sha256, rel path)."""
    digest = hashlib.sha256(data).hexdigest()
    rel = Path(digest[:2]) / f"{digest}{suffix}"
    target = media_dir / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # a crash never leaves half a photo under the final name
    return digest, rel.as_posix()
