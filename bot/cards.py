"""Choices as the buttons of cards, for platforms whose buttons hold a few characters (WeCom's
template cards: the self-built app's and the smart robot's alike).

How a label is fitted, decided here once:
- a label longer than a button shows its short form from the catalogs ("◀ Back to list" is
  "◀ Back"), else its head ("#107 5-2-…": an item's number stays first);
- only cut labels that would look alike show their place in the screen instead ("7. 5-2-8…"),
  running on across a screen's cards, with the full label listed on the card (`full_labels`), so
  nothing a person chooses by is lost and a card never numbers what it need not;
- two choices with the same data: the first is kept (a card refuses repeated keys).
Each platform's own card (its title, its fields, its limits) is drawn in its package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from handlers.choices import Choice
from handlers.i18n import short_label

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """Return `text` on one line, cut to `limit` characters with an ellipsis if longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + ELLIPSIS


def choices_of(rows: Iterable[Iterable[Choice]], *, key_max: int) -> list[Choice]:
    """Return the choices of rows in reading order, each data once (at most `key_max` bytes)."""
    seen: set[str] = set()
    flat: list[Choice] = []
    for row in rows:
        for choice in row:
            if choice.data in seen:
                continue
            if len(choice.data.encode()) > key_max:
                raise ValueError(f"choice data over {key_max} bytes: {choice.data[:40]!r}…")
            seen.add(choice.data)
            flat.append(choice)
    return flat


def labels(lang: str, choices: Sequence[Choice], limit: int) -> list[tuple[str, str | None]]:
    """Return each choice's button text within `limit` characters, and the line listing its
    full label where it is numbered (its place among `choices`, from 1)."""
    fitted = [fitting(lang, choice.label, limit) for choice in choices]
    shown = [clip(label, limit) for label in fitted]
    alike = Counter(shown)
    out: list[tuple[str, str | None]] = []
    for number, (label, cut) in enumerate(zip(fitted, shown, strict=True), 1):
        if cut != label and alike[cut] > 1:
            prefix = f"{number}. "
            out.append((prefix + clip(label, limit - len(prefix)), prefix + label))
        else:
            out.append((cut, None))
    return out


def fitting(lang: str, label: str, limit: int) -> str:
    """Return a label on one line, in its short form when the whole one is over `limit`."""
    label = " ".join(label.split())
    if len(label) > limit:
        short = short_label(lang, label)
        if short and len(short) <= limit:
            return short
    return label


def full_labels(lines: Sequence[str], limit: int) -> str:
    """Return the numbered full labels of a card's cut buttons within `limit` characters."""
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > limit:
            room = limit - len("\n".join(kept)) - (1 if kept else 0)
            number = line.split(" ", 1)[0]
            if room > len(number) + 2:
                kept.append(clip(line, room))
            break
        kept.append(line)
    return "\n".join(kept)
