"""The Telegram adapter: chat, delivery, the application, the offline Telegram and its console."""

from bot.telegram.adapter import ADAPTER

__all__ = ["ADAPTER"]
