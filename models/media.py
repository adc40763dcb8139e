"""Stored copies of photos, named by their content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path


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
