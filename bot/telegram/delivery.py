"""Telegram's side of the sender: a neutral notice as messages, buttons and files."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.common import item_start_link
from jobs.notices import Notice
from jobs.sender import (
    CHAT_INTERVAL,
    Backoff,
    Blocked,
    ChatPacer,
    DeliveryFailed,
    RetryLater,
    Unavailable,
)
from models.db import Database
from models.people import accounts
from models.tables import Platform, Undelivered


def markup(notice: Notice) -> InlineKeyboardMarkup | None:
    """Return the notice's choices as an inline keyboard."""
    if not notice.choices:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.label, callback_data=c.data) for c in row]
            for row in notice.choices
        ]
    )


class TelegramDelivery:
    """Send notices through one PTB bot (its rate limiter keeps the overall limits)."""

    platform = Platform.telegram.value

    def __init__(self, bot: Bot, db: Database, pacer: ChatPacer | None = None) -> None:
        self.bot = bot
        self.db = db
        # Telegram: one message a second to a chat, whichever push sends it.
        self.pacer = pacer or ChatPacer(CHAT_INTERVAL)
        self.backoff = Backoff()
        # People's chats (their Telegram accounts), found once a run or at a notice's first part.
        self._chats: dict[int, int] = {}

    def item_link(self, item_id: int) -> str | None:
        """Return the t.me link that opens this item's card in the chat (a printed QR code)."""
        return item_start_link(self.bot.username, item_id)

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find these people's Telegram chats in one query, before a run sends to them."""
        found = await asyncio.to_thread(
            self.db.run, accounts, user_ids=list(user_ids), platform=self.platform
        )
        for user_id in user_ids:
            self._chats.pop(user_id, None)
        self._chats.update((user_id, int(account)) for user_id, account in found.items())

    async def _chat(self, notice: Notice) -> int:
        """Return the person's Telegram chat; asked of the database if no run found it."""
        if notice.user_id not in self._chats:
            await self.reach([notice.user_id])
        if notice.user_id not in self._chats:
            raise Blocked(f"user {notice.user_id} has no Telegram account", Undelivered.no_account)
        return self._chats[notice.user_id]

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send one part: 0 the text with its buttons, then each attachment in turn."""
        chat = await self._chat(notice)
        try:
            if part == 0:
                await self.bot.send_message(chat, notice.text, reply_markup=markup(notice))
                return
            file = notice.attachments[part - 1]
            send = self.bot.send_photo if file.kind == "photo" else self.bot.send_document
            await send(chat, InputFile(file.content, filename=file.filename), caption=file.caption)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc)) from exc
        except Forbidden as exc:
            raise Blocked(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Blocked(str(exc)) from exc
            raise DeliveryFailed(str(exc)) from exc
        except NetworkError as exc:
            # A 5xx, a time-out, no route (BadRequest, a NetworkError too, is taken above). Sent
            # again: it may have reached the chat all the same (an answer lost on the way back),
            # but a message twice is better than a rework notice or a morning list lost.
            raise Unavailable(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(str(exc)) from exc


def _seconds(exc: RetryAfter) -> float:
    """Return how long Telegram asked to wait, in seconds."""
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; both are read here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    total = getattr(value, "total_seconds", None)
    return float(total() if total else value)
