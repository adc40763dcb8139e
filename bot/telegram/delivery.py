"""Telegram's side of the sender: a neutral notice as messages, buttons and files."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.telegram.adapter import LIMITS
from bot.telegram.common import item_start_link, retry_seconds
from bot.telegram.render import send_file, send_text
from jobs.notices import Notice
from jobs.pacing import SharedLimits
from jobs.sender import (
    Accounts,
    Backoff,
    Blocked,
    ChatPacer,
    ChatsOfPeople,
    DeliveryFailed,
    RetryLater,
    Unavailable,
)
from models.db import Database
from models.tables import Platform


class TelegramDelivery:
    """Send notices through one PTB bot (its rate limiter keeps the overall limits)."""

    platform = Platform.telegram.value
    limits = LIMITS  # where a push's text must fit

    def __init__(self, bot: Bot, db: Database, pacer: ChatPacer | None = None) -> None:
        self.bot = bot
        self.db = db
        # People's chats (their Telegram accounts), found once a run or at a notice's first part.
        self.accounts = Accounts(db, self.platform)
        # Telegram: one message a second to a chat, whichever push, reply (a real run's, see
        # bot.telegram.app) or process sends it: one count by chat, kept in the database.
        self.chats = ChatPacer(
            LIMITS.chat_interval, shared=SharedLimits(db, Platform.telegram.value)
        )
        self.pacer: ChatPacer | ChatsOfPeople = pacer or ChatsOfPeople(self.chats, self.accounts)
        self.backoff = Backoff()

    def item_link(self, item_id: int) -> str | None:
        """Return the t.me link that opens this item's card in the chat (a printed QR code)."""
        return item_start_link(self.bot.username, item_id)

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find these people's Telegram chats in one query, before a run sends to them."""
        await self.accounts.reach(user_ids)

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send one part: 0 the text with its buttons, then each attachment in turn."""
        chat = int(await self.accounts.of(notice.user_id))
        screen = notice.screen  # drawn by the one renderer, as a reply's screen is
        try:
            if part == 0:
                await send_text(self.bot, chat, screen.text, screen.choices)
                return
            await send_file(self.bot, chat, screen.files[part - 1])
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from exc
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
