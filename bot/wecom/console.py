"""The terminal console over the offline WeCom: the same personas and commands as on Telegram.

A line is a member's text message, `:photo` an image message, `:press N` a click on button N
of the member's latest live card, `:file` a file through a one-time upload page (what a WeCom
member does for a workbook). Each persona chats by their WeCom identity: one is linked
(`console-<user id>`) for a person who has none yet, in this local database only.
"""

from __future__ import annotations

import itertools
import mimetypes
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.console import Persona, _Console, _one_line
from bot.wecom.crypto import parse_fields
from bot.wecom.offline import OfflineWeCom, Sent
from bot.wecom.sender_side import image_message, template_card_event, text_message
from bot.wecom.serve import WeComServer
from models.db import Database
from models.people import accounts, find_person, link_identity

PLATFORM = "wecom"


class WeComConsole(_Console):
    """One terminal session over the offline WeCom."""

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
        self._accounts: dict[int, str] = {}
        self._newcomers = itertools.count(1)
        super().__init__(_Settings(server), None, db, stdin, stdout, files_dir)  # type: ignore[arg-type]

    def account(self, persona: Persona) -> str:
        """Return the persona's WeCom userid, linking one for a person who has none."""
        found = self._accounts.get(persona.telegram_id)
        if found is not None:
            return found
        if not persona.roles:
            account = f"console-new-{next(self._newcomers)}"
        else:
            account = self.db.run(_wecom_account, telegram_id=persona.telegram_id)
        self.wecom.add_member(account)
        self.wecom.set_name(account, persona.name)  # the directory's name, read when they join
        self._accounts[persona.telegram_id] = account
        return account

    async def post(self, xml: str) -> None:
        """Hand a member's message to the chat as the receiver does, and wait for the reply."""
        await self.server.chat.on_message(parse_fields(xml))

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
                token = uploads.link(user, self.lang).rsplit("/", 1)[-1]
                mime = mimetypes.guess_type(path.name)[0]
                await self.server.chat.on_upload(user, uploads.keep(token, path.name, data, mime))

            await self.act(send)
        return True

    async def cmd_press(self, arg: str) -> bool:
        """Press button N of this member's latest card that can still be pressed."""
        if not arg or not arg.isdigit():
            self.say("usage", usage=":press N")
            return True
        user = self.account(self.persona)  # type: ignore[arg-type]
        live = [c for c in self.wecom.cards_to(user) if c.live]
        if not live:
            self.say("no_keyboard")
            return True
        card = live[-1]
        keys = card.keys
        if not 1 <= int(arg) <= len(keys):
            self.say("no_button", arg=arg, n=len(keys))
            return True
        self.say("pressed", label=card.content["button_list"][int(arg) - 1]["text"])
        click = self.wecom.press(user, keys[int(arg) - 1], card=card)

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
        return True

    async def cmd_say(self, arg: str) -> bool:
        """Send the rest of the line as a text message."""
        if not arg:
            self.say("usage", usage=":say TEXT")
        else:
            await self.say_text(arg)
        return True

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        if line[0] in ":：" or line.isdigit():
            return await super().handle(line)
        await self.say_text(line)
        return True

    async def say_text(self, text: str) -> None:
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
            self.say("failed", error=_one_line(error))
            return
        if self.persona is not None and not self.persona.roles:
            self.refresh()
        shown = False
        for who, sent in list(self.wecom.sent.items()):
            for message in sent[marks.get(who, 0) :]:
                shown = True
                lines = self.render_sent(message)
                if who == user:
                    self.write("\n".join(lines))
                else:
                    head = self.ui("to", name=who)
                    self.write("\n".join([head + lines[0], *("    " + x for x in lines[1:])]))
        if not shown:
            self.say("no_reply")

    def render_sent(self, message: Sent) -> list[str]:
        """Lines of one WeCom message: a text, an image or file, or a card with its buttons."""
        if message.msgtype == "text":
            return (message.text or "").split("\n")
        if message.msgtype in ("image", "file"):
            media = self.wecom.media.get(message.content.get("media_id", ""))
            name = media.filename if media else ""
            line = "[photo]" if message.msgtype == "image" else f"[document {name}]"
            if message.msgtype == "file" and media is not None and self.files_dir is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / Path(name or "document").name
                path.write_bytes(media.content)
                return [line, self.ui("saved", path=path)]
            return [line]
        card = message.content
        lines = [card.get("main_title", {}).get("title", "")]
        if card.get("sub_title_text"):
            lines += card["sub_title_text"].split("\n")
        buttons = [
            f"[{n}] {b.get('text', '')}" for n, b in enumerate(card.get("button_list", []), 1)
        ]
        lines.append("  " + "   ".join(buttons))
        return lines


class _Settings:
    """What the console's base reads of a Telegram application: the settings."""

    def __init__(self, server: WeComServer) -> None:
        self.bot_data = {"settings": server.chat.core.settings}


def _wecom_account(session: object, *, telegram_id: int) -> str:
    """Return a person's WeCom userid; link `console-<user id>` when they have none."""
    person = find_person(session, platform="telegram", account=str(telegram_id))
    if person is None:
        return f"console-tg-{telegram_id}"
    found = accounts(session, user_ids=[person.id], platform=PLATFORM).get(person.id)
    if found:
        return found
    account = f"console-{person.id}"
    link_identity(session, user_id=person.id, platform=PLATFORM, account=account)
    return account


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
