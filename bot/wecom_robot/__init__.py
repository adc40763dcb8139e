"""WeCom's smart robot (企业微信 智能机器人) as a third front end, over its long connection.

The robot connects OUT to WeCom's gateway over one WebSocket and keeps it up: no public
address, no callback URL, no trusted IP (the self-built app's hurdles). What we learned of its
protocol, and where from:
- [S1] WeCom developer document 101463 "智能机器人长连接"
  (https://developer.work.weixin.qq.com/document/path/101463): its contents (subscribe,
  message and event callbacks, media decryption, replies and streams, card updates, proactive
  sends of markdown, template cards, files and images, heartbeat, chunked media upload) and
  its comparison: the long connection needs no fixed public IP and no payload encryption.
- [S2] Tencent's Python SDK, wecom-aibot-python-sdk 1.0.2 (PyPI, MIT, "Development Status ::
  4 - Beta"), read from its wheel: aibot/ws.py, client.py, message_handler.py, crypto_utils.py.
- [S3] Developers' notes summarising 100719/101463/101027/101031-101033 (found with the code
  search, not Tencent's text): limits and field names not in S2.
- [S4] LangBot's wiki, "WeCom Intelligent Bot" (github.com/langbot-app/LangBot/wiki): where
  the admin console creates a robot in API mode with the long connection (the README's steps).
Facts (source):
- URL wss://openws.work.weixin.qq.com (S1, S2). Every frame `{"cmd", "headers": {"req_id"},
  "body"}`; acks `{"headers": {"req_id"}, "errcode", "errmsg"}` without a cmd (S2).
- Subscribe: cmd aibot_subscribe, body {bot_id, secret}, acked errcode 0 (S1, S2). One
  connection per bot: a newer one kicks the older with event `disconnected_event` (S3).
- Heartbeat: cmd ping every 30 s; two unanswered in a row and the connection is dead (S2).
- Inbound: cmd aibot_msg_callback, body {msgid, aibotid, chatid (groups), chattype
  single|group, from.userid, msgtype text|image|mixed|voice|file, text.content,
  image/file {url, aeskey}, mixed.msg_item[], voice.content (its transcript)}; cmd
  aibot_event_callback, body.event.eventtype enter_chat (the day's first visit: a welcome
  within 5 s), template_card_event {card_type, event_key, task_id}, feedback_event (S2, S3).
  The userid is the corp userid, the same as the self-built app's (S3: from.userid).
- Media: download the url, AES-256-CBC with key = base64(aeskey), IV = its first 16 bytes,
  PKCS#7 to 32 bytes; each message has its own aeskey (S2). Groups get no images or files;
  image ≤ 10 MB, file ≤ 100 MB (S3).
- Replies: aibot_respond_msg on the callback's req_id, one at a time, each after its ack (S2);
  msgtype stream {id, finish, content (markdown, ≤ 20,480 bytes)}, template_card (one per
  message), stream_with_template_card (S2, S3). A press is answered by updating its card,
  aibot_respond_update_msg on the press's req_id within 5 s (S2).
- Cards: template cards with buttons (button_interaction: button_list {text ≤ 10 characters,
  style, key ≤ 1024 bytes}, task_id; main_title ≤ 26 characters) (S2 types, S3 limits).
- Proactive send: aibot_send_msg {chatid (a userid in a one-to-one chat), chat_type, msgtype
  markdown|template_card, image/file/voice/video after a chunked upload} (S1, S2); only to a
  chat the member has written in (S3). Upload: aibot_upload_media_init/chunk/finish, chunks
  ≤ 512 KB base64, ≤ 100 chunks (S1 contents, S3).
- Limits: 30 messages a minute and 1,000 an hour per member, replies and sends together (S3).
Not found: the errcodes of a send to a member who never wrote, of a rate limit (45009 is
WeCom's general "frequency out of limit"), of a stale req_id; the offline gateway uses its own.

Why not the SDK: it pulls in websockets and pyee beside the aiohttp we have, schedules
replies with asyncio.ensure_future and get_event_loop, dispatches events fire-and-forget
through an emitter, and is a 1.0 beta; the protocol is small. So `protocol.py` speaks it over
aiohttp's WebSocket client, learned from S1-S3, written here.

The package: protocol (frames, subscribe, heartbeat, acks, upload, media decryption), inbound
(a callback -> Incoming), render (a screen -> markdown, button cards, images, files), delivery
(member pacing, replies and proactive sends, the pushes' Delivery), chat (the core fed,
replies drawn), serve (assembly, reconnecting, the daily beat), offline (the gateway's
stand-in).
"""

from bot.wecom_robot.adapter import ADAPTER

__all__ = ["ADAPTER"]
