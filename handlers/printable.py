"""Printable lists in chat: the PDF of my list or of the to-check list, sent as a document."""

from __future__ import annotations

from handlers.buttons import Printable
from handlers.core import Ask, Router
from handlers.printable_text import caption
from handlers.screens import Attachment
from models.printable import my_list_pdfs, to_check_pdfs


async def send_printable(ask: Ask) -> None:
    """Send the person's own list (pdf:ml) or to-check list (pdf:tc) as a printable PDF.

    Printed for the platform the person is on: where it has a link into the chat, each row
    carries a QR code of it.
    """
    pressed: Printable = ask.pressed
    kind, building = pressed.kind, pressed.building  # the building the list pressed showed
    mine = {"user_id": ask.user_id, "tr": ask.t, "building": building}
    link = ask.platform.item_link
    if kind == "ml":  # as narrowed on screen (rework, overdue)
        made = await ask.call(my_list_pdfs, **mine, only=pressed.only, link=link)
    else:
        made = await ask.call(to_check_pdfs, **mine, link=link)
    ask.reply.busy = "upload_document"  # "sending a file", not after a refusal
    files = tuple(
        Attachment(name, data, kind="document", caption=caption(ask.t, plist))
        for plist, (name, data) in made
    )
    ask.show(files=files)


def routes(router: Router) -> None:
    """Route the printable list choices."""
    router.press(Printable, send_printable)
