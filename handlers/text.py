"""Text in the flows' neutral markup (an HTML subset): escaping, cutting, splitting.

No platform's types here: jobs and every chat adapter use these to keep texts within limits.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.screens import Limits


def esc(text: object) -> str:
    """Escape a value for an HTML message."""
    return html.escape(str(text), quote=False)


QUOTED = 300  # a value quoted in a refusal (what was typed, names to pick) is cut to this

# One unit a cut may not fall inside: a tag, an entity, or one character.
_ATOM = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|.", re.DOTALL)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
_TAG_ATOM = re.compile(r"<[^<>]*>")


def clip(text: str, limit: int) -> str:
    """Return plain text cut to `limit` characters, ending in "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quoted(text: str, limit: int = QUOTED) -> str:
    """Return what a person typed, on one line, shortened and escaped to quote it back."""
    return esc(clip(" ".join(text.split()), limit))


def size(text: str, limits: Limits) -> int:
    """Return a text's size as its platform counts it: UTF-8 bytes, or characters."""
    return _bytes(text) if limits.text_in_bytes else _units(text)


def _bytes(text: str) -> int:
    return len(text.encode())


def _units(text: str) -> int:
    # Telegram counts UTF-16 code units: an emoji outside the BMP is two.
    return len(text.encode("utf-16-le")) // 2


def _closing(stack: list[str]) -> str:
    return "".join(f"</{_TAG.match(tag)[2]}>" for tag in reversed(stack))


def _after(stack: list[str], atom: str) -> list[str]:
    """Return the tags open after `atom`: an opening tag is pushed, its closing tag pops it."""
    match = _TAG.match(atom) if atom.startswith("<") else None
    if match is None:
        return stack
    if not match[1]:
        return [*stack, atom]
    names = [_TAG.match(tag)[2].lower() for tag in stack]
    if match[2].lower() in names:
        cut = len(names) - 1 - names[::-1].index(match[2].lower())
        return stack[:cut]
    return stack


def _open_at_end(text: str) -> list[str]:
    """Return the tags left open at the end of `text` (none in a well-formed one)."""
    stack: list[str] = []
    for tag in _TAG_ATOM.findall(text):  # a tag atom never starts inside another atom
        stack = _after(stack, tag)
    return stack


def _visible(piece: str) -> bool:
    return bool(html.unescape(re.sub(r"<[^<>]*>", "", piece)).strip())


def split_html(text: str, limit: int, *, in_bytes: bool = False) -> list[str]:
    """Cut an HTML text into messages of at most `limit` characters (UTF-8 bytes if
    `in_bytes`), losing nothing.

    A cut falls between lines where it can, else between words, else anywhere (Chinese has no
    spaces) but never inside a tag or an entity; a tag open at a cut is closed and reopened.
    """
    measure = _bytes if in_bytes else _units
    if measure(text) <= limit and not text.endswith("\n") and not _open_at_end(text):
        return [text]  # fits whole, every tag closed: most texts, without the walk below
    atoms = _ATOM.findall(text)
    pieces: list[str] = []
    opened: list[str] = []  # tags open where the piece starts
    start = 0
    while start < len(atoms):
        prefix = "".join(opened)
        stack, size, end = opened, measure(prefix), start
        at_line = at_space = None  # (where to cut, tags open there)
        while end < len(atoms):
            atom = atoms[end]
            after = _after(stack, atom)
            if end > start and size + measure(atom) + measure(_closing(after)) > limit:
                break
            stack, size, end = after, size + measure(atom), end + 1
            if atom == "\n":
                at_line = (end, stack)
            elif atom.isspace() and size > limit // 2:  # not a word cut that leaves a stub
                at_space = (end, stack)
        if end < len(atoms):
            end, stack = at_line or at_space or (end, stack)
        piece = prefix + "".join(atoms[start:end]).rstrip("\n") + _closing(stack)
        if _visible(piece):
            pieces.append(piece)
        opened, start = stack, end
    return pieces or [text]
