"""PTB persistence in our own database: half-finished conversations survive a restart."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from models.chatstate import load_states, save_state
from models.db import Database

USER = "user"
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = Any  # callback data cache: not kept


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Keep user_data and conversation states in the database (written after each update)."""

    def __init__(self, db: Database, update_interval: float = 5) -> None:
        # Only what a half-finished conversation needs; the record itself is in the tables.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db

    async def _load(self, kind: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.db.run, load_states, kind=kind)

    async def _save(self, kind: str, key: str, value: Any) -> None:
        await asyncio.to_thread(self.db.run, save_state, kind=kind, key=key, value=value)

    async def get_user_data(self) -> dict[int, dict]:
        """Return every person's stored chat data."""
        return {int(k): v for k, v in (await self._load(USER)).items()}

    async def update_user_data(self, user_id: int, data: dict) -> None:
        """Store one person's chat data."""
        await self._save(USER, str(user_id), data)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one person's chat data."""
        await self._save(USER, str(user_id), None)

    async def get_conversations(self, name: str) -> ConversationDict:
        """Return where each chat is in the named conversation."""
        stored = await self._load(f"conversation:{name}")
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or, when it ended, forget) where a chat is in a conversation."""
        await self._save(f"conversation:{name}", json.dumps(list(key)), new_state)

    # Not kept: chat_data, bot_data and callback data are off in store_data.
    async def get_chat_data(self) -> dict[int, dict]:
        """Return no chat data (not kept)."""
        return {}

    async def get_bot_data(self) -> dict:
        """Return no bot data (not kept)."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Return no callback data (not kept)."""
        return None

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        """Keep nothing."""

    async def update_bot_data(self, data: dict) -> None:
        """Keep nothing."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Keep nothing."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Keep nothing."""

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to refresh: the database is written through."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Nothing to refresh."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """Nothing to refresh."""

    async def flush(self) -> None:
        """Nothing to flush: every change was written when it was made."""
