"""The terminal console over the offline gateway: chat with the bot as a member of the robot.

A line is a text message; `:photo PATH` an image, `:file PATH` a file, `:press N` a press of
button N of the latest cards (numbered on across a screen's cards), `:quit` (or end of input)
leaves. Images and files the robot sends are saved in the files folder. The persona (a
person's Telegram id in this database) chats as `console-<id>` on the robot, linked for them
here if they have no robot account; without one, as a newcomer who can `/start CODE`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.console import log_to_file
from bot.wecom_robot.inbound import PLATFORM
from bot.wecom_robot.offline import OfflineGateway, Sent
from bot.wecom_robot.stand_in import OfflineRobot, offline
from models.db import Database
from models.people import accounts, find_person, link_identity
from models.settings import Settings


def account_for(db: Database, persona: int | None) -> str:
    """Return the persona's userid on the robot, linking `console-<id>` when they have none."""
    if persona is None:
        return "console-newcomer"

    def find(session: object) -> str:
        person = find_person(session, platform="telegram", account=str(persona))  # type: ignore[arg-type]
        if person is None:
            return f"console-{persona}"
        found = accounts(session, user_ids=[person.id], platform=PLATFORM)  # type: ignore[arg-type]
        if person.id in found:
            return found[person.id]
        link_identity(session, user_id=person.id, platform=PLATFORM, account=f"console-{persona}")  # type: ignore[arg-type]
        return f"console-{persona}"

    return db.run(find)


class RobotConsole:
    """One terminal session over the offline gateway."""

    def __init__(
        self, running: OfflineRobot, user: str, stdin: TextIO, stdout: TextIO, files: Path
    ) -> None:
        self.running = running
        self.gateway: OfflineGateway = running.gateway
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.files = files
        self.buttons: list[str] = []
        self.seen = 0

    async def run(self) -> int:
        """Read lines until :quit or the end of input; show what the robot sends back."""
        self.say(f"You are {self.user} on the offline WeCom robot. :photo, :file, :press N, :quit")
        while True:
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip() == ":quit":
                return 0
            await self.step(line.strip())

    async def step(self, line: str) -> None:
        """Do one line as the member, then show what came back."""
        assert self.running.robot is not None
        before = self.running.robot.chat.handled
        word, _, arg = line.partition(" ")
        if word in (":photo", ":file"):
            path = Path(arg).expanduser()
            if not path.is_file():
                self.say(f"no such file: {path}")
                return
            data = await asyncio.to_thread(path.read_bytes)
            if word == ":photo":
                await self.gateway.image(self.user, data)
            else:
                await self.gateway.file(self.user, data, path.name)
        elif word == ":press":
            if not arg.isdigit() or not 1 <= int(arg) <= len(self.buttons):
                self.say(f"press 1 to {len(self.buttons)}")
                return
            await self.gateway.press(self.user, self.buttons[int(arg) - 1])
        elif line:
            await self.gateway.text(self.user, line)
        else:
            return
        while self.running.robot.chat.handled <= before:
            await asyncio.sleep(0.01)
        await self.running.robot.chat.idle()
        self.show(self.gateway.messages_to(self.user)[self.seen :])

    def show(self, sent: list[Sent]) -> None:
        """Print new messages; number the buttons of new cards from 1."""
        self.seen += len(sent)
        if any(m.card is not None for m in sent):
            self.buttons = []
        for message in sent:
            if message.card is not None:
                self.say(message.card.get("main_title", {}).get("title", ""))
                for key in message.keys:
                    self.buttons.append(key)
                    label = next(b["text"] for b in message.card["button_list"] if b["key"] == key)
                    self.say(f"  [{len(self.buttons)}] {label}")
            elif message.content is not None:
                self.files.mkdir(parents=True, exist_ok=True)
                path = self.files / (message.filename or f"{message.msgtype}-{self.seen}")
                path.write_bytes(message.content)
                self.say(f"({message.msgtype} saved: {path})")
            else:
                self.say(message.visible)

    def say(self, text: str) -> None:
        """Print a line to the terminal."""
        self.stdout.write(text + "\n")
        self.stdout.flush()


async def console(
    settings: Settings,
    db: Database,
    *,
    persona: int | None = None,
    files_dir: Path | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Chat with the bot in this terminal over the offline gateway."""
    log_to_file(settings)
    user = await asyncio.to_thread(account_for, db, persona)
    # No daily beat in the console (as on the other platforms).
    async with offline(settings, db, beat=False) as running:
        files = files_dir or settings.media_dir.parent / "console-files"
        return await RobotConsole(running, user, stdin, stdout, files).run()
