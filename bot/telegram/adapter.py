"""Telegram behind the one contract (bot.adapter): its limits and the adapter object."""

from __future__ import annotations

from bot.adapter import Limits, PlatformPackage
from models.tables import Platform

LIMITS = Limits(
    text=4096,
    chunk=4000,  # a little under 4,096: the tags split_html closes and reopens fit
    caption=1024,
    file=20 * 1024 * 1024,  # the Bot API's getFile serves files up to 20 MB
    button_data=64,
    chat_interval=1.0,  # one message a second to one chat
    album=10,  # a media group holds 2 to 10 photos
    alert=200,  # answerCallbackQuery's text
    sends_per_second=30,
)


# The Telegram Bot API through python-telegram-bot: polling, HTML and inline keyboards.
ADAPTER = PlatformPackage(Platform.telegram, LIMITS, __package__)
