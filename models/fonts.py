"""The Chinese font of charts and printed lists, brought by a pip package, never the system's."""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from pathlib import Path

# WenQuanYi Micro Hei: a TrueType (glyf) collection, so fpdf2 embeds it with a ToUnicode map
# and the PDF's text can be searched and copied; face 0 is the proportional one.
FAMILY = "WenQuanYi Micro Hei"
FACE = 0
_PACKAGE = "paperang_p2_fonts_cjk"
_FILE = "fonts/wqy-microhei.ttc"
_lock = threading.Lock()


@cache
def cjk_font() -> Path:
    """Return the path of the packaged Chinese font."""
    path = Path(str(resources.files(_PACKAGE).joinpath(_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"the Chinese font is missing from {_PACKAGE}: {path}")
    return path


_matplotlib_ready = False


def use_in_matplotlib() -> str:
    """Register the font with matplotlib once (thread-safe); return its family name."""
    global _matplotlib_ready
    with _lock:
        if not _matplotlib_ready:
            import matplotlib

            matplotlib.use("Agg")
            from matplotlib import font_manager

            font_manager.fontManager.addfont(str(cjk_font()))
            _matplotlib_ready = True
    return FAMILY
