"""WeCom's side of the callback: what a member's message or click looks like when WeCom posts it.

The offline WeCom and the tests act as a member with these: build the inner XML of a text,
image or file message or of a template card click, then seal it with the app's crypto
(`callback`) or sign a URL verification (`verification_query`). The fields follow WeCom's
"接收消息与事件" formats (消息格式, 事件格式: template_card_event).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from xml.etree.ElementTree import Element, SubElement, tostring

from bot.wecom.crypto import CallbackCrypto, Sealed
from models import clock

__all__ = [
    "callback",
    "file_message",
    "image_message",
    "inner_xml",
    "template_card_event",
    "text_message",
    "verification_query",
]


def _now() -> str:
    return str(int(clock.now().timestamp()))


def _nonce() -> str:
    return str(secrets.randbelow(10**10))


def _msg_id() -> str:
    return str(secrets.randbits(63))  # WeCom's MsgId is a 64-bit integer


def inner_xml(fields: Mapping[str, str | int]) -> str:
    """Return a callback's plaintext XML with these top-level fields, escaped as XML needs."""
    root = Element("xml")
    for name, value in fields.items():
        SubElement(root, name).text = str(value)
    return tostring(root, encoding="unicode")


def _message(
    msg_type: str,
    *,
    corp_id: str,
    user: str,
    agent_id: str,
    msg_id: str | None,
    created: int | None,
    **fields: str,
) -> str:
    return inner_xml(
        {
            "ToUserName": corp_id,
            "FromUserName": user,
            "CreateTime": _now() if created is None else str(created),
            "MsgType": msg_type,
            **fields,
            "MsgId": _msg_id() if msg_id is None else msg_id,
            "AgentID": agent_id,
        }
    )


def text_message(
    *,
    corp_id: str,
    user: str,
    content: str,
    agent_id: str = "1000002",
    msg_id: str | None = None,
    created: int | None = None,
) -> str:
    """Return the XML of a text a member sends the app."""
    return _message(
        "text",
        corp_id=corp_id,
        user=user,
        agent_id=agent_id,
        msg_id=msg_id,
        created=created,
        Content=content,
    )


def image_message(
    *,
    corp_id: str,
    user: str,
    media_id: str,
    pic_url: str = "",
    agent_id: str = "1000002",
    msg_id: str | None = None,
    created: int | None = None,
) -> str:
    """Return the XML of a photo a member sends the app (MediaId for media/get, PicUrl)."""
    return _message(
        "image",
        corp_id=corp_id,
        user=user,
        agent_id=agent_id,
        msg_id=msg_id,
        created=created,
        PicUrl=pic_url,
        MediaId=media_id,
    )


def file_message(
    *,
    corp_id: str,
    user: str,
    media_id: str,
    file_name: str,
    file_size: int | None = None,
    agent_id: str = "1000002",
    msg_id: str | None = None,
    created: int | None = None,
) -> str:
    """Return the XML of a file a member sends the app (MediaId, FileName, FileSize).

    WeCom's published message formats for a self-built app list text, image, voice, video,
    location and link, not file: this shape is the offline WeCom's, for workbooks.
    """
    extra = {"FileName": file_name}
    if file_size is not None:
        extra["FileSize"] = str(file_size)
    return _message(
        "file",
        corp_id=corp_id,
        user=user,
        agent_id=agent_id,
        msg_id=msg_id,
        created=created,
        MediaId=media_id,
        **extra,
    )


def template_card_event(
    *,
    corp_id: str,
    user: str,
    event_key: str,
    task_id: str,
    response_code: str,
    card_type: str = "button_interaction",
    agent_id: str = "1000002",
    created: int | None = None,
) -> str:
    """Return the XML of a press on a template card's button (EventKey = the button's key)."""
    return inner_xml(
        {
            "ToUserName": corp_id,
            "FromUserName": user,
            "CreateTime": _now() if created is None else str(created),
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": event_key,
            "TaskId": task_id,
            "CardType": card_type,
            "ResponseCode": response_code,
            "AgentID": agent_id,
        }
    )


def callback(
    crypto: CallbackCrypto,
    message: str,
    *,
    agent_id: str = "1000002",
    timestamp: str | None = None,
    nonce: str | None = None,
) -> Sealed:
    """Seal a message as WeCom posts it to the callback URL: now, with a fresh nonce."""
    return crypto.seal(
        message,
        timestamp=_now() if timestamp is None else timestamp,
        nonce=_nonce() if nonce is None else nonce,
        agent_id=agent_id,
    )


def verification_query(
    crypto: CallbackCrypto,
    echo: str,
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return the query of WeCom's URL verification GET that should be answered with `echo`."""
    stamp = _now() if timestamp is None else timestamp
    once = _nonce() if nonce is None else nonce
    echostr = crypto.encrypt(echo)
    return {
        "msg_signature": crypto.signature(stamp, once, echostr),
        "timestamp": stamp,
        "nonce": once,
        "echostr": echostr,
    }
