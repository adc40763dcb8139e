"""WeCom (企业微信, a self-built app) behind the one contract (bot.adapter): limits, adapter."""

from __future__ import annotations

from bot.adapter import Limits, PlatformPackage
from models.tables import Platform

LIMITS = Limits(
    text=2048,  # message/send text.content, in bytes
    chunk=2048,
    text_in_bytes=True,
    file=20 * 1024 * 1024,  # media/upload type=file
    photo=10 * 1024 * 1024,  # media/upload type=image: a JPG or PNG
    button_data=1024,  # a template card's button key, in bytes
    chat_interval=0.0,  # paced by the member windows instead
    buttons=6,  # button_list of a template card
    button_text=10,  # "建议不超过10个字"
    album=3,  # no albums: the latest photos, one message each
    member_windows=((60.0, 30), (3600.0, 1000)),  # an app to one member
)


# A WeCom self-built app: the callback server, its crypto, the API, template cards.
ADAPTER = PlatformPackage(Platform.wecom, LIMITS, __package__)
