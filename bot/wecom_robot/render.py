"""A screen or a push as the robot's messages: markdown, button cards, images and files.

Decided here, within the robot's limits (sources in the package docstring):
- text is markdown (the flows' <b> <i> <code> <pre> <a> become ** * ` ``` [](...)), split at
  line ends into messages of at most TEXT_MAX bytes;
- choices are `button_interaction` template cards of at most BUTTONS_MAX buttons, titled
  "Choose" ("请选择", "(1/2)" when several); labels fitted as on the self-built app
  (bot.cards: a short form, else cut; cut labels that look alike numbered and listed in full
  on the card), so nothing a person chooses by is lost;
- photos: the latest PHOTOS_SHOWN that have a stored copy, then "n photos; the latest k shown";
  attachments as image messages (a JPG or PNG within 10 MB) or files, a caption after them.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.cards import choices_of, clip, full_labels, labels
from bot.wecom_robot.adapter import LIMITS
from handlers.choices import Choice
from handlers.i18n import t
from handlers.screens import Attachment

TEXT_MAX = LIMITS.chunk  # bytes of one markdown message
BUTTONS_MAX = LIMITS.buttons or 6
BUTTON_TEXT_MAX = LIMITS.button_text or 10
TITLE_MAX = 26
SUB_TITLE_MAX = 160
KEY_MAX = LIMITS.button_data  # bytes of a button's key
PHOTOS_SHOWN = LIMITS.album
IMAGE_MAX = LIMITS.photo or LIMITS.file
CARD_TYPE = "button_interaction"
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass(frozen=True)
class Out:
    """One message to a member: markdown, a card, or an image or file to upload first."""

    kind: Literal["markdown", "card", "image", "file"]
    content: str = ""  # the markdown
    card: dict[str, Any] | None = None  # a card's, or the card a reply's text carries
    filename: str = ""
    data: bytes | None = None  # an image's or file's bytes, or None: read from `path`
    path: Path | None = None


def new_task_id() -> str:
    """Return a card's task id no other card has: 'r' and 32 hex digits."""
    return f"r{uuid.uuid4().hex}"


# -- text -------------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}


def markdown(text: str) -> str:
    """Return the flows' HTML subset as the robot's markdown (entities unescaped)."""
    out: list[str] = []
    links: list[tuple[int, str]] = []
    pos = 0
    for match in _TAG.finditer(text):
        out.append(html.unescape(text[pos : match.start()]))
        pos = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name in _MARKS:
            out.append(_MARKS[name])
        elif name == "pre":
            out.append("\n```\n")
        elif name == "br":
            out.append("\n")
        elif name == "a" and not closing:
            found = _HREF.search(match.group(3) or "")
            links.append(
                (len(out), html.unescape((found.group(1) or found.group(2)) if found else ""))
            )
        elif name == "a" and links:
            start, href = links.pop()
            label = "".join(out[start:])
            if href:
                out[start:] = [f"[{label}]({href})"]
    out.append(html.unescape(text[pos:]))
    return "".join(out).strip()


def split(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Split a text into messages of at most `limit` UTF-8 bytes, at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:
            cut = line.encode()[:limit].decode("utf-8", errors="ignore")
            if current.strip():
                chunks.append(current.rstrip("\n"))
            chunks.append(cut)
            current, line = "", line[len(cut) :]
        if len((current + line).encode()) > limit:
            chunks.append(current.rstrip("\n"))
            current = ""
        current += line
    if current.strip():
        chunks.append(current.rstrip("\n"))
    return [c for c in chunks if c.strip()]


# -- choices ----------------------------------------------------------------------------------


def cards(
    rows: Iterable[Iterable[Choice]], *, lang: str, task_id: Callable[[], str] = new_task_id
) -> list[dict[str, Any]]:
    """Return the choices as button cards of at most BUTTONS_MAX buttons each."""
    choices = choices_of(rows, key_max=KEY_MAX)
    buttons = [
        ({"text": text, "style": 1, "key": choice.data}, listed)
        for choice, (text, listed) in zip(
            choices, labels(lang, choices, BUTTON_TEXT_MAX), strict=True
        )
    ]
    pages = [buttons[i : i + BUTTONS_MAX] for i in range(0, len(buttons), BUTTONS_MAX)]
    choose = t(lang, "wecom.choose")
    out = []
    for number, page in enumerate(pages, start=1):
        mark = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        card: dict[str, Any] = {
            "card_type": CARD_TYPE,
            "main_title": {"title": clip(choose, TITLE_MAX - len(mark)) + mark},
            "button_list": [button for button, _ in page],
            "task_id": task_id(),
        }
        listing = full_labels([line for _, line in page if line], SUB_TITLE_MAX)
        if listing:
            card["sub_title_text"] = listing
        out.append(card)
    return out


def pressed(card: dict[str, Any], key: str, label: str) -> dict[str, Any]:
    """Return a pressed card as it is updated: the same task, only the pressed button, marked."""
    chosen = next((b for b in card.get("button_list", []) if b.get("key") == key), None)
    text = clip(f"✓{chosen['text'] if chosen else label}", BUTTON_TEXT_MAX)
    return {
        "card_type": CARD_TYPE,
        "main_title": card.get("main_title", {"title": label}),
        "button_list": [{"text": text, "style": 2, "key": f"pressed:{key}"[:KEY_MAX]}],
        "task_id": card["task_id"],
    }


# -- a whole screen ---------------------------------------------------------------------------


def screen(
    text: str,
    rows: Iterable[Iterable[Choice]],
    *,
    lang: str,
    photos: Sequence[Path] = (),
    files: Sequence[Attachment] = (),
    task_id: Callable[[], str] = new_task_id,
) -> list[Out]:
    """Return one screen's messages: its photos, its text, its cards, then its files."""
    out = [Out("image", filename=p.name, path=p) for p in photos[-PHOTOS_SHOWN:]]
    body = markdown(text) if text else ""
    if len(photos) > PHOTOS_SHOWN:
        note = t(lang, "wecom.photos_some", total=len(photos), shown=PHOTOS_SHOWN)
        body = f"{body}\n{note}" if body else note
    out += [Out("markdown", content=chunk) for chunk in split(body)]
    out += [Out("card", card=card) for card in cards(rows, lang=lang, task_id=task_id)]
    for file in files:
        out.append(Out(_kind(file), filename=file.filename, data=file.content))
        if file.caption:
            out += [Out("markdown", content=c) for c in split(markdown(file.caption))]
    return out


def _kind(file: Attachment) -> Literal["image", "file"]:
    """Return how an attachment goes: an image (a JPG or PNG within 10 MB) or a file."""
    image = file.kind == "photo" and len(file.content) <= IMAGE_MAX
    return "image" if image and file.content.startswith(_IMAGE_SIGNATURES) else "file"


def body(out: Out, media_id: str | None = None) -> dict[str, Any]:
    """Return a message as the body of a proactive send (chatid added by the sender)."""
    if out.kind == "markdown":
        return {"msgtype": "markdown", "markdown": {"content": out.content}}
    if out.kind == "card":
        return {"msgtype": "template_card", "template_card": out.card}
    return {"msgtype": out.kind, out.kind: {"media_id": media_id}}


def with_card(outs: list[Out]) -> list[Out]:
    """Return the messages with the first text and the card after it as one (a reply carries
    both: `stream_with_template_card`)."""
    if len(outs) > 1 and outs[0].kind == "markdown" and outs[1].kind == "card":
        return [Out("markdown", content=outs[0].content, card=outs[1].card), *outs[2:]]
    return outs


def apart(out: Out) -> list[Out]:
    """Return a text-and-card message as the two messages a send takes."""
    if out.kind == "markdown" and out.card is not None:
        return [Out("markdown", content=out.content), Out("card", card=out.card)]
    return [out]


def reply_body(out: Out, stream_id: str) -> dict[str, Any] | None:
    """Return a message as the reply to a member's message, or None when only a send can carry
    it (images and files): markdown as a finished stream (with its card, if any), a card."""
    if out.kind == "markdown":
        stream = {"id": stream_id, "finish": True, "content": out.content}
        if out.card is not None:
            return {
                "msgtype": "stream_with_template_card",
                "stream": stream,
                "template_card": out.card,
            }
        return {"msgtype": "stream", "stream": stream}
    if out.kind == "card":
        return {"msgtype": "template_card", "template_card": out.card}
    return None
