"""The terminal console over the offline WeCom: the same personas and commands as on Telegram.

A line is a member's text message, `:photo` an image message, `:press N` a click on button N
of the latest cards (the cards of one screen are numbered on, as their buttons are), `:press
K.N` on button N of the cards marked ⌨K while still live, `:file` a file through a one-time
upload page (what a WeCom member does for a workbook). Images and files the app sends are
saved in the files folder. Each persona chats by their WeCom identity: one is linked
(`console-<user id>`) for a person who has none yet, in this local database only.
"""

from __future__ import annotations

import mimetypes
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.card_console import CardConsole, card_lines
from bot.console import Keyboard, Persona, one_line
from bot.wecom.crypto import parse_fields
from bot.wecom.offline import OfflineWeCom, Sent
from bot.wecom.sender_side import image_message, template_card_event, text_message
from bot.wecom.serve import WeComServer
from models.db import Database
from models.tables import Platform

PLATFORM = Platform.wecom


class WeComConsole(CardConsole):
    """One terminal session over the offline WeCom."""

    platform = PLATFORM

    def __init__(
        self,
        server: WeComServer,
        wecom: OfflineWeCom,
        db: Database,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path | None = None,
    ) -> None:
        self.server = server
        self.wecom = wecom
        lang = server.chat.core.settings.default_language
        super().__init__(db, stdin, stdout, files_dir, lang)

    def joined(self, account: str, persona: Persona) -> None:
        """Add the member to the offline corp, under the directory's name read when they join."""
        self.wecom.add_member(account)
        self.wecom.set_name(account, persona.name)

    async def post(self, xml: str) -> None:
        """Hand a member's message to the chat as the receiver does; wait for the reply and for
        what it tells others."""
        await self.server.chat.on_message(parse_fields(xml))
        await self.server.chat.idle()

    async def cmd_photo(self, arg: str) -> bool:
        """Send an image file as an image message (a caption follows as a text)."""
        loaded = self.load(arg, "photo")
        if loaded is not None:
            data, path, caption = loaded

            async def send(user: str) -> None:
                media = self.wecom.add_member_media(data, path.name)
                await self.post(
                    image_message(corp_id=self.wecom.corp_id, user=user, media_id=media)
                )
                if caption:
                    await self.post(
                        text_message(corp_id=self.wecom.corp_id, user=user, content=caption)
                    )

            await self.act(send)
        return True

    async def cmd_file(self, arg: str) -> bool:
        """Send a file as through a one-time upload page (WeCom members cannot send files)."""
        loaded = self.load(arg, "file")
        if loaded is not None:
            data, path, _caption = loaded
            uploads = self.server.chat.uploads

            async def send(user: str) -> None:
                token = (await uploads.link(user, self.lang)).rsplit("/", 1)[-1]
                mime = mimetypes.guess_type(path.name)[0]
                file = await uploads.keep(token, path.name, data, mime)
                await self.server.chat.on_upload(user, file)

            await self.act(send)
        return True

    async def press_button(self, keyboard: Keyboard, index: int) -> None:
        """Click the button on its card, as WeCom's template_card_event callback says."""
        card, key = keyboard.where[index], keyboard.buttons[index][1]
        click = self.wecom.press(str(keyboard.chat), key or "", card=card)

        async def press(user: str) -> None:
            event = template_card_event(
                corp_id=self.wecom.corp_id,
                user=user,
                event_key=click.key,
                task_id=click.task_id,
                response_code=click.response_code,
            )
            await self.post(event)

        await self.act(press)

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        if line[0] in ":：" or line.isdigit():
            return await super().handle(line)
        await self.send_text(line)
        return True

    async def send_text(self, text: str) -> None:
        """Send a text message as the current member."""

        async def send(user: str) -> None:
            await self.post(text_message(corp_id=self.wecom.corp_id, user=user, content=text))

        await self.act(send)

    async def act(self, action: Callable[[str], Awaitable[None]]) -> None:
        """Do one member action and print everything the app sent because of it."""
        user = self.account(self.persona)  # type: ignore[arg-type]
        marks = {who: len(sent) for who, sent in self.wecom.sent.items()}
        try:
            await action(user)
        except Exception as error:  # a broken handler must not end the session
            self.say("failed", error=one_line(error))
            return
        if self.persona is not None and not self.persona.roles:
            self.refresh()
        shown = False
        for who, sent in list(self.wecom.sent.items()):
            new = sent[marks.get(who, 0) :]
            keyboards = self._keyboards(who, new)
            for message in new:
                shown = True
                self.write_sent(user, who, self.render_sent(message, keyboards.get(id(message))))
        if not shown:
            self.say("no_reply")

    def _keyboards(self, user: str, sent: list[Sent]) -> dict[int, tuple[Keyboard, int]]:
        """Number the cards just sent (one screen's cards are one keyboard); per card, its
        keyboard and the number of its first button in it."""
        cards = [m for m in sent if m.msgtype == "template_card"]
        shown = [(c.content.get("main_title", {}).get("title", ""), _pairs(c), c) for c in cards]
        kept = self.keep_cards(user, shown)
        return {id(card): kept[place] for place, card in enumerate(cards) if place in kept}

    def render_sent(self, message: Sent, keyboard: tuple[Keyboard, int] | None = None) -> list[str]:
        """Lines of one WeCom message: a text, an image or file (saved), or a card and buttons."""
        if message.msgtype == "text":
            return (message.text or "").split("\n")
        if message.msgtype in ("image", "file"):
            media = self.wecom.media.get(message.content.get("media_id", ""))
            name = media.filename if media else ""
            line = "[photo]" if message.msgtype == "image" else f"[document {name}]"
            if media is not None and self.files_dir is not None:
                saved = self.keep_file(Path(name or message.msgtype).name, media.content)
                if saved is not None:
                    return [line, self.ui("saved", path=saved)]
            return [line]
        card = message.content
        head = card.get("main_title", {})
        lines = [head.get("title", "")]
        lines += [head["desc"]] if head.get("desc") else []
        if card.get("sub_title_text"):
            lines += card["sub_title_text"].split("\n")
        labels = [b.get("text", "") for b in _buttons(message)]
        last = keyboard is not None and keyboard[0].where[-1] is message
        return card_lines(lines, labels, keyboard, last=last)


def _buttons(card: Sent) -> list[dict]:
    return list(card.content.get("button_list", []))


def _pairs(card: Sent) -> list[tuple[str, str | None]]:
    return [(b.get("text", ""), b.get("key")) for b in _buttons(card)]


async def run_wecom_console(
    server: WeComServer,
    wecom: OfflineWeCom,
    db: Database,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    persona: int | None = None,
    files_dir: Path | None = None,
) -> int:
    """Chat over the offline WeCom as people (or a newcomer) until :quit or end of input."""
    return await WeComConsole(server, wecom, db, stdin, stdout, files_dir).run(persona)
