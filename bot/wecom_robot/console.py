"""The terminal console over the offline gateway: the same personas and commands as elsewhere.

A line is a member's text message, `:photo` an image (a caption follows as a text), `:file` a
file (a robot's member sends files directly), `:press N` a press of button N of the latest
cards (the cards of one screen are numbered on, as their buttons are), `:press K.N` of button
N of the cards marked ⌨K while still live. Images and files the robot sends are saved in the
files folder. Each persona chats by their account on the robot: one is linked
(`console-<user id>`) for a person who has none yet, in this local database only.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.card_console import CardConsole, card_lines
from bot.console import Keyboard, log_to_file, one_line
from bot.wecom_robot.inbound import PLATFORM
from bot.wecom_robot.offline import OfflineGateway, Sent
from bot.wecom_robot.stand_in import OfflineRobot, offline
from models.db import Database
from models.settings import Settings


class RobotConsole(CardConsole):
    """One terminal session over the offline gateway."""

    platform = PLATFORM

    def __init__(
        self,
        running: OfflineRobot,
        db: Database,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path | None = None,
    ) -> None:
        self.running = running
        self.gateway: OfflineGateway = running.gateway
        super().__init__(db, stdin, stdout, files_dir, running.settings.default_language)

    async def send_text(self, text: str) -> None:
        """Send a text message as the current member."""
        await self.act(lambda user: self.gateway.text(user, text))

    async def cmd_photo(self, arg: str) -> bool:
        """Send an image file as an image message (a caption follows as a text)."""
        loaded = self.load(arg, "photo")
        if loaded is not None:
            data, _, caption = loaded
            await self.act(lambda user: self.gateway.image(user, data), caption)
        return True

    async def cmd_file(self, arg: str) -> bool:
        """Send a file as a file message (a caption follows as a text)."""
        loaded = self.load(arg, "file")
        if loaded is not None:
            data, path, caption = loaded
            await self.act(lambda user: self.gateway.file(user, data, path.name), caption)
        return True

    async def press_button(self, keyboard: Keyboard, index: int) -> None:
        """Press the button on its card, as the gateway's template_card_event says."""
        task, key = keyboard.where[index].card["task_id"], keyboard.buttons[index][1]
        await self.act(lambda user: self.gateway.press_card(user, task, key or ""))

    async def act(
        self, action: Callable[[str], Awaitable[object]], caption: str | None = None
    ) -> None:
        """Do one member action (then its caption as a text) and print what the robot sent."""
        user = self.own_chat()
        mark = len(self.gateway.sent)
        try:
            await self.handled(action(user))
            if caption:
                await self.handled(self.gateway.text(user, caption))
        except Exception as error:  # a broken handler must not end the session
            self.say("failed", error=one_line(error))
            return
        if self.persona is not None and not self.persona.roles:
            self.refresh()  # a newcomer who just joined gets their roles in the prompt
        self.show(user, self.gateway.sent[mark:])

    async def handled(self, callback: Awaitable[object]) -> None:
        """Push one callback to the robot and wait until it and what it tells others are done."""
        chat = self.running.robot.chat  # type: ignore[union-attr]
        before = chat.handled
        await callback
        while chat.handled <= before:
            await asyncio.sleep(0.01)
        await chat.idle()

    def show(self, user: str, sent: list[Sent]) -> None:
        """Print new messages, each member's cards numbered as one screen's keyboards."""
        if not sent:
            self.say("no_reply")
            return
        by_member: dict[str, list[Sent]] = {}
        for message in sent:
            by_member.setdefault(message.to, []).append(message)
        for who, messages in by_member.items():
            cards = [m for m in messages if m.card is not None]
            kept = self.keep_cards(who, [self._card(m) for m in cards])
            keyboards = {id(m): kept[place] for place, m in enumerate(cards) if place in kept}
            for message in messages:
                self.write_sent(user, who, self.render(message, keyboards.get(id(message))))

    def _card(self, message: Sent) -> tuple[str, list[tuple[str, str | None]], object]:
        card = message.card or {}
        buttons = [(b.get("text", ""), b.get("key")) for b in card.get("button_list", [])]
        return card.get("main_title", {}).get("title", ""), buttons, self._shown(message)

    def _shown(self, message: Sent) -> object:
        """Return the gateway's card behind a card message (live until pressed)."""
        return self.gateway.cards[(message.card or {})["task_id"]]

    def render(self, message: Sent, keyboard: tuple[Keyboard, int] | None = None) -> list[str]:
        """Lines of one message: a text, an image or file (saved), or a card and its buttons."""
        if message.card is not None:
            card = message.card
            head = card.get("main_title", {})
            lines = [head.get("title", "")]
            lines += [head["desc"]] if head.get("desc") else []
            lines += card["sub_title_text"].split("\n") if card.get("sub_title_text") else []
            labels = [b.get("text", "") for b in card.get("button_list", [])]
            last = keyboard is not None and keyboard[0].where[-1] is self._shown(message)
            return card_lines(lines, labels, keyboard, last=last)
        if message.content is not None:
            name = message.filename
            line = "[photo]" if message.msgtype == "image" else f"[document {name}]"
            if self.files_dir is not None:
                saved = self.keep_file(Path(name or message.msgtype).name, message.content)
                if saved is not None:
                    return [line, self.ui("saved", path=saved)]
            return [line]
        return message.visible.split("\n")


async def console(
    settings: Settings,
    db: Database,
    *,
    persona: int | None = None,
    files_dir: Path | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Chat with the bot in this terminal over the offline gateway, as people (or a newcomer)."""
    log_to_file(settings)
    # No daily beat in the console (as on the other platforms).
    async with offline(settings, db, beat=False) as running:
        files = files_dir or settings.media_dir.parent / "console-files"
        return await RobotConsole(running, db, stdin, stdout, files).run(persona)
