"""WeCom's smart robot behind the one contract (bot.adapter): its limits and its adapter."""

from __future__ import annotations

from bot.adapter import Limits, PlatformPackage
from models.tables import Platform

LIMITS = Limits(
    text=4096,  # bytes of one markdown message (a reply's stream takes up to 20,480)
    chunk=4096,
    text_in_bytes=True,
    file=100 * 1024 * 1024,  # a member's file
    photo=10 * 1024 * 1024,  # an image
    button_data=1024,  # a template card's button key, in bytes
    chat_interval=0.0,  # paced by the member windows instead
    buttons=6,  # button_list of a card (the self-built app's limit; the robot's is not stated)
    button_text=10,
    album=3,  # no albums sent: the latest photos, one message each
    # Proactive sends reach anyone who has written to the robot once: joining (/start CODE) is
    # writing, so every person on it; someone linked by hand who never wrote is refused.
    reaches_anyone=True,
    member_windows=((60.0, 30), (3600.0, 1000)),  # replies and sends to one member together
)


# The smart robot: a long connection out to WeCom's gateway, markdown and button cards. Its
# console is a module of its own, and a callback may hold several inputs (an album).
ADAPTER = PlatformPackage(
    Platform.wecom_robot,
    LIMITS,
    __package__,
    parts={"incoming": "inbound:incoming", "console": "console:console"},
)
