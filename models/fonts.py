"""The Chinese font of charts and printed lists, brought by a pip package, never the system's."""

from __future__ import annotations

import threading
import unicodedata
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


MISSING = "□"  # stands for a run of characters the font cannot draw (emoji, Arabic, ...)
# Controls, bidi overrides, joiners, private use, unassigned: nothing to see, only harm.
_DROPPED = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


@cache
def glyphs() -> frozenset[int]:
    """Return the code points the packaged font (its face FACE) has glyphs for."""
    from fontTools.ttLib import TTCollection

    return frozenset(TTCollection(str(cjk_font())).fonts[FACE].getBestCmap())


def drawable(text: str) -> str:
    """Return the text on one line as the font can draw it: no controls, and each run of
    characters it has no glyph for (emoji, Arabic, ...) as one MISSING mark."""
    have = glyphs()
    out: list[str] = []
    for char in " ".join(str(text).split()):
        category = unicodedata.category(char)
        if category in _DROPPED:
            continue
        if ord(char) not in have or category == "Mn" and not out:
            char = MISSING  # a combining mark with nothing to combine with is missing too
        if char == MISSING and out and out[-1] == MISSING:
            continue
        out.append(char)
    return "".join(out).strip()
