"""Chat with the bot in a terminal over the offline Telegram (the shell is bot.console)."""

from __future__ import annotations

import mimetypes
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from telegram.ext import Application

from bot.console import Console, Keyboard, one_line
from bot.telegram.offline import (
    CallbackAnswer,
    OfflineChat,
    OfflineTelegram,
    OfflineUser,
    OutMessage,
)
from models.db import Database
from models.errors import DomainError


async def run_console(
    app: Application,
    transport: OfflineTelegram,
    db: Database,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    persona: int | None = None,
    files_dir: Path | None = None,
) -> int:
    """Chat with the running `app` as people (or a newcomer) until :quit or end of input.

    Documents the bot sends are saved in `files_dir` (when given) and their paths printed.
    """
    return await TelegramConsole(app, transport, db, stdin, stdout, files_dir).run(persona)


class TelegramConsole(Console):
    """One terminal session over the offline Telegram: a persona chats by their Telegram id."""

    def __init__(
        self,
        app: Application,
        transport: OfflineTelegram,
        db: Database,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path | None = None,
    ) -> None:
        settings = app.bot_data.get("settings")
        super().__init__(db, stdin, stdout, files_dir, getattr(settings, "default_language", "zh"))
        self.app = app
        self.transport = transport
        self.chats: dict[int, OfflineChat] = {}

    async def send_text(self, text: str) -> None:
        """Send a text message in the current person's chat."""
        await self.step(lambda chat: chat.send(text))

    async def cmd_photo(self, arg: str) -> bool:
        """Send an image file as a photo, with an optional caption."""
        loaded = self.load(arg, "photo")
        if loaded is not None:
            data, _, caption = loaded
            await self.step(lambda chat: chat.send_photo(data, caption=caption))
        return True

    async def cmd_file(self, arg: str) -> bool:
        """Send a file as a document, with an optional caption."""
        loaded = self.load(arg, "file")
        if loaded is not None:
            data, path, caption = loaded
            mime = mimetypes.guess_type(path.name)[0]
            await self.step(lambda chat: chat.send_document(data, path.name, mime, caption))
        return True

    def own_chat(self) -> int | str:
        """Return the current person's chat, as keyboards name it."""
        return self.chat.chat_id

    def chat_name(self, chat: int | str) -> str:
        """Return who a chat belongs to."""
        return self.name_of(int(chat))

    def newest_keyboard(self) -> Keyboard | None:
        """Return the latest message with buttons in the current person's chat."""
        message = self.transport.last_message(self.chat.chat_id, with_keyboard=True)
        if message is None:
            return None
        buttons = _flat(message)
        for keyboard in reversed(self.keyboards):
            shown = (keyboard.chat, keyboard.where, keyboard.buttons)
            if shown == (message.chat_id, message.message_id, buttons):
                return keyboard
        return self.keep_keyboard(message.chat_id, buttons, message.message_id)

    def on_screen(self, keyboard: Keyboard, index: int) -> bool:
        """Tell whether the keyboard's message still shows these buttons (not edited away)."""
        current = self.transport.messages.get((int(keyboard.chat), keyboard.where))
        return current is not None and _flat(current) == keyboard.buttons

    async def press_button(self, keyboard: Keyboard, index: int) -> None:
        """Press the keyboard's button (its message's, in this chat) and show what follows."""
        data = keyboard.buttons[index][1]
        await self.step(lambda chat: chat.press(data, keyboard.where))

    @property
    def chat(self) -> OfflineChat:
        """The chat driver of the current persona (one per person, kept)."""
        persona = self.persona
        assert persona is not None
        chat = self.chats.get(persona.telegram_id)
        if chat is None:
            # No Telegram language: the bot then uses the stored choice or its default.
            user = OfflineUser(id=persona.telegram_id, first_name=persona.name, language_code=None)
            chat = OfflineChat(self.app, self.transport, user, expected_errors=(DomainError,))
            self.chats[persona.telegram_id] = chat
        return chat

    def name_of(self, chat_id: int) -> str:
        """Who a chat belongs to, for notifications."""
        person = self.find(chat_id)
        if person is None:
            self.refresh()
            person = self.find(chat_id)
        if person is not None:
            return person.name
        user = self.transport.users.get(chat_id)
        return user.first_name if user else str(chat_id)

    async def step(self, action: Callable[[OfflineChat], Awaitable[object]]) -> None:
        """Do one user action and print everything the bot sent because of it."""
        chat = self.chat
        mark, answered = self.transport.mark(), len(self.transport.callback_answers)
        failure: Exception | None = None
        try:
            await action(chat)
        except Exception as error:  # a broken handler must not end the session
            failure = error
        events = self.transport.events_since(mark)
        answers = [a for a in self.transport.callback_answers[answered:] if a.text]
        if self.persona is not None and not self.persona.roles:
            self.refresh()  # a newcomer who just joined gets their roles in the prompt
        self.show(chat.chat_id, events, answers)
        if failure is not None:
            self.say("failed", error=one_line(failure))
        elif not events and not answers:
            self.say("no_reply")

    def show(self, chat_id: int, events: list[OutMessage], answers: list[CallbackAnswer]) -> None:
        """Print pop-up answers, then messages: ours plainly, others' after an arrow."""
        for answer in answers:
            self.write(f"[{'!' if answer.show_alert else 'i'}] {answer.text}")
        for message in events:
            buttons = _flat(message)
            keyboard = self.keep_keyboard(message.chat_id, buttons, message.message_id)
            lines = self.render(message, keyboard if buttons else None)
            if (saved := self.save(message)) is not None:
                lines.append(self.ui("saved", path=saved))
            if message.chat_id == chat_id:
                self.write("\n".join(lines))
            else:
                head = self.ui("to", name=self.name_of(message.chat_id))
                self.write("\n".join([head + lines[0], *("    " + x for x in lines[1:])]))

    def save(self, message: OutMessage) -> Path | None:
        """Save a document or photo the bot sent into the files folder; return its path."""
        stored = self.transport.files.get(message.file_id or "")
        kind = message.kind
        if kind == "media_group_item" or (stored is not None and stored.kind == "document"):
            kind = stored.kind if stored is not None else "photo"
        if self.files_dir is None or message.edited or kind not in ("document", "photo"):
            return None
        data = message.file_bytes if message.file_bytes is not None else stored and stored.data
        if data is None:
            return None
        name = Path(message.filename or "").name
        if not name:
            is_photo = kind == "photo"
            name = f"photo-{message.message_id}{_suffix(data)}" if is_photo else "document"
        return self.keep_file(name, data)

    def render(self, message: OutMessage, keyboard: Keyboard | None = None) -> list[str]:
        """Lines of one message: markers, visible text, then numbered buttons per row (⌨K)."""
        markers = ["(edited)"] if message.edited else []
        kind = message.kind
        if kind == "media_group_item":
            stored = self.transport.files.get(message.file_id or "")
            kind = stored.kind if stored else "photo"
        if kind == "photo":
            markers.append("[photo]")
        elif kind == "document":
            markers.append(f"[document {message.filename}]" if message.filename else "[document]")
        text_lines = (message.text or "").split("\n")
        first = " ".join([*markers, text_lines[0]]).strip()
        lines = [first, *text_lines[1:]]
        number = 0
        for row in message.buttons():
            cells = []
            for label, _ in row:
                number += 1
                cells.append(f"[{number}] {label}")
            lines.append("  " + "   ".join(cells))
        if keyboard is not None:
            lines[-1] += f"   ⌨{keyboard.number}"
        return lines


def _flat(message: OutMessage) -> list[tuple[str, str | None]]:
    """Return a message's buttons in reading order (the console numbers them so)."""
    return [button for row in message.buttons() for button in row]


def _suffix(data: bytes) -> str:
    """Return the file suffix of an image by its first bytes."""
    return ".png" if data.startswith(b"\x89PNG") else ".jpg"
