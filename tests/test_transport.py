"""Tests for the in-process Telegram transport, driving a real PTB Application."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser, html_to_text

ALICE = OfflineUser(id=1001, first_name="Alice", username="alice")
BOB = OfflineUser(id=1002, first_name="Bob")
PHOTO = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes 是", callback_data="pick:yes")],
        [InlineKeyboardButton("No", callback_data="pick:no")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"start args={context.args}")


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text("Choose", reply_markup=MENU)


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"You chose {query.data.split(':')[1]}")


async def notify(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(BOB.id, "ping from Alice")
    await update.message.reply_text("sent")


async def echo_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.message.photo[-1].get_file()
    data = bytes(await file.download_as_bytearray())
    await update.message.reply_photo(data, caption=f"{len(data)} bytes")
    await update.message.reply_photo(update.message.photo[-1].file_id)


async def echo_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.message.document
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    await update.message.reply_document(
        InputFile(data[::-1], filename="report.xlsx"), caption=doc.file_name
    )


async def album(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_media_group(
        [InputMediaPhoto(b"one", caption="first"), InputMediaPhoto(b"two")]
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    raise ValueError("handler failed")


@pytest.fixture
def transport() -> OfflineTelegram:
    return OfflineTelegram(bot_username="handover_bot")


@pytest.fixture
async def app(transport: OfflineTelegram) -> AsyncIterator[Application]:
    application = transport.build_application("4242:SECRET")
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CommandHandler("notify", notify))
    application.add_handler(CommandHandler("album", album))
    application.add_handler(CommandHandler("boom", boom))
    application.add_handler(CallbackQueryHandler(picked, pattern=r"^pick:"))
    application.add_handler(MessageHandler(filters.PHOTO, echo_photo))
    application.add_handler(MessageHandler(filters.Document.ALL, echo_document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        yield application


@pytest.fixture
def alice(app: Application, transport: OfflineTelegram) -> OfflineChat:
    return OfflineChat(app, transport, ALICE)


async def test_get_me_uses_token_id_and_username(app: Application) -> None:
    assert app.bot.id == 4242
    assert app.bot.username == "handover_bot"
    assert app.bot.bot.is_bot


async def test_echo_text_records_call_and_message(
    alice: OfflineChat, transport: OfflineTelegram
) -> None:
    events = await alice.send("你好")
    assert [(m.chat_id, m.message_id, m.kind, m.text) for m in events] == [
        (ALICE.id, 2, "text", "echo: 你好")
    ]
    call = transport.calls_of("sendMessage")[-1]
    assert call.params["chat_id"] == ALICE.id
    assert call.params["text"] == "echo: 你好"
    assert call.result["from"]["username"] == "handover_bot"
    assert alice.last_text() == "echo: 你好"
    await alice.send("again")
    assert [m.message_id for m in transport.chat_messages(ALICE.id)] == [2, 4]


async def test_command_and_deep_link_args(alice: OfflineChat) -> None:
    assert [m.text for m in await alice.send("/start")] == ["start args=[]"]
    assert [m.text for m in await alice.send("/start INVITE42")] == ["start args=['INVITE42']"]


async def test_keyboard_press_edits_message_and_answers(
    alice: OfflineChat, transport: OfflineTelegram
) -> None:
    [sent] = await alice.send("/menu")
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "Yes 是", "callback_data": "pick:yes"}],
            [{"text": "No", "callback_data": "pick:no"}],
        ]
    }
    assert alice.buttons() == [[("Yes 是", "pick:yes")], [("No", "pick:no")]]

    events = await alice.press_label("Yes")
    assert len(events) == 1
    edit = events[0]
    assert (edit.message_id, edit.text, edit.edited, edit.reply_markup) == (
        sent.message_id,
        "You chose yes",
        True,
        None,
    )
    assert sent.text == "Choose" and not sent.edited
    assert transport.messages[(ALICE.id, sent.message_id)].text == "You chose yes"
    answer = alice.last_callback_answer()
    assert (answer.text, answer.show_alert) == ("got pick:yes", False)
    assert transport.unanswered_callbacks == []
    assert alice.buttons() == []


async def test_press_label_without_match_lists_buttons(alice: OfflineChat) -> None:
    await alice.send("/menu")
    with pytest.raises(AssertionError, match=r"'Maybe'.*pick:no"):
        await alice.press_label("Maybe")


async def test_forged_callback_data_reaches_no_handler(
    alice: OfflineChat, transport: OfflineTelegram
) -> None:
    await alice.send("/menu")
    assert await alice.press("forged:999") == []
    assert len(transport.unanswered_callbacks) == 1


async def test_photo_download_and_resend(alice: OfflineChat, transport: OfflineTelegram) -> None:
    events = await alice.send_photo(PHOTO, caption="crack in wall")
    assert [(m.kind, m.text) for m in events] == [
        ("photo", f"{len(PHOTO)} bytes"),
        ("photo", None),
    ]
    uploaded, reused = events
    assert uploaded.file_bytes == PHOTO
    assert reused.file_id != uploaded.file_id
    assert reused.file_bytes == PHOTO
    get_file = transport.calls_of("getFile")[0]
    assert get_file.result["file_path"] == transport.files[reused.file_id].file_path
    assert get_file.result["file_path"].startswith("photos/")
    assert transport.calls_of("sendPhoto")[0].files["photo"][1] == PHOTO


async def test_bot_uploaded_photo_downloads_through_transport(
    app: Application, transport: OfflineTelegram
) -> None:
    message = await app.bot.send_photo(ALICE.id, b"bot-photo")
    file = await app.bot.get_file(message.photo[-1].file_id)
    assert file.file_path == f"{app.bot.base_file_url}/{transport.files[file.file_id].file_path}"
    assert bytes(await file.download_as_bytearray()) == b"bot-photo"


async def test_document_roundtrip(alice: OfflineChat) -> None:
    [reply] = await alice.send_document(b"sheet-bytes", "房号.xlsx", caption="import")
    assert reply.kind == "document"
    assert reply.file_bytes == b"setyb-teehs"
    assert reply.filename == "report.xlsx"
    assert reply.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert reply.text == "房号.xlsx"


async def test_media_group_of_two_photos(alice: OfflineChat) -> None:
    events = await alice.send("/album")
    assert [(m.kind, m.text, m.file_bytes) for m in events] == [
        ("media_group_item", "first", b"one"),
        ("media_group_item", None, b"two"),
    ]
    assert events[0].media_group_id == events[1].media_group_id is not None


async def test_notification_to_other_chat_is_recorded(
    alice: OfflineChat, transport: OfflineTelegram
) -> None:
    mark = transport.mark()
    assert [m.text for m in await alice.send("/notify")] == ["sent"]
    assert [m.text for m in transport.outbox_for(BOB.id, since=mark)] == ["ping from Alice"]
    assert {m.chat_id for m in alice.last_step_events} == {ALICE.id, BOB.id}


async def test_per_chat_commands(app: Application, transport: OfflineTelegram) -> None:
    scope = BotCommandScopeChat(ALICE.id)
    await app.bot.set_my_commands([BotCommand("list", "我的待修")], scope=scope)
    key = ('{"chat_id":1001,"type":"chat"}', "")
    assert transport.commands == {key: [{"command": "list", "description": "我的待修"}]}
    assert [c.command for c in await app.bot.get_my_commands(scope=scope)] == ["list"]
    assert await app.bot.get_my_commands() == ()
    await app.bot.delete_my_commands(scope=scope)
    assert transport.commands_for(scope) is None
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await app.bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_unknown_method_raises_bad_request(app: Application) -> None:
    with pytest.raises(BadRequest, match="(?i)method sendDice is not supported offline"):
        await app.bot.send_dice(ALICE.id)


async def test_telegram_like_rejections(app: Application, transport: OfflineTelegram) -> None:
    message = await app.bot.send_message(ALICE.id, "same")
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await app.bot.edit_message_text("same", ALICE.id, message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await app.bot.edit_message_text("x", ALICE.id, 999)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await app.bot.send_message(ALICE.id, "kb", reply_markup=too_long)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await app.bot.send_message(ALICE.id, "<b>unclosed", parse_mode="HTML")
    transport.block(BOB.id)
    with pytest.raises(Forbidden, match="(?i)blocked"):
        await app.bot.send_message(BOB.id, "hi")
    assert await app.bot.delete_message(ALICE.id, message.message_id) is True
    assert (ALICE.id, message.message_id) not in transport.messages


async def test_refuses_what_telegram_refuses_and_records_each_refusal(
    app: Application, transport: OfflineTelegram
) -> None:
    assert transport.errors == []
    await app.bot.send_message(ALICE.id, "x" * 4096)  # the limits themselves are fine
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await app.bot.send_message(ALICE.id, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await app.bot.send_photo(ALICE.id, PHOTO, caption="x" * 1025)
    # 64 bytes, not characters: 22 Chinese characters are 66 bytes.
    wide = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="修" * 22)]])
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await app.bot.send_message(ALICE.id, "kb", reply_markup=wide)
    await app.bot.send_message(ALICE.id, "Choose", reply_markup=MENU)
    query = transport.callback_update(ALICE, "pick:yes").callback_query
    with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
        await app.bot.answer_callback_query(query.id, "x" * 201, show_alert=True)
    assert await app.bot.answer_callback_query(query.id, "x" * 200, show_alert=True)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await app.bot.answer_callback_query(query.id)
    assert [call.method for call in transport.errors] == [
        "sendMessage",
        "sendPhoto",
        "sendMessage",
        "answerCallbackQuery",
        "answerCallbackQuery",
    ]
    assert all(call.error.startswith("Bad Request") for call in transport.errors)


async def test_html_is_rendered_to_visible_text(app: Application, transport: OfflineTelegram):
    await app.bot.send_message(ALICE.id, "<b>3</b> items &lt;open&gt;", parse_mode="HTML")
    [sent] = transport.outbox_for(ALICE.id)
    assert (sent.text, sent.raw_text) == ("3 items <open>", "<b>3</b> items &lt;open&gt;")
    assert html_to_text('<a href="https://x.y">link</a> &amp; more') == "link & more"


async def test_handler_exception_is_raised_by_driver(
    app: Application, transport: OfflineTelegram
) -> None:
    with pytest.raises(ValueError, match="handler failed"):
        await OfflineChat(app, transport, ALICE).send("/boom")
    assert await OfflineChat(app, transport, ALICE, raise_errors=False).send("/boom") == []


async def test_get_updates_honours_offset(app: Application, transport: OfflineTelegram) -> None:
    first = transport.text_update(ALICE, "one")
    second = transport.text_update(ALICE, "two")
    transport.put_update(first)
    transport.put_update(second)
    updates = await app.bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["one", "two"]
    updates = await app.bot.get_updates(offset=second.update_id, timeout=0)
    assert [u.update_id for u in updates] == [second.update_id]
    assert await app.bot.get_updates(offset=second.update_id + 1, timeout=0) == ()


async def test_polling_delivers_put_update(app: Application, transport: OfflineTelegram) -> None:
    seen: asyncio.Queue[str] = asyncio.Queue()

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await seen.put(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, record), group=1)
    await app.start()
    await app.updater.start_polling(timeout=5)
    try:
        await asyncio.sleep(0.05)  # let the first long poll start waiting
        transport.put_update(transport.text_update(ALICE, "polled"))
        assert await asyncio.wait_for(seen.get(), timeout=1) == "polled"
    finally:
        await app.updater.stop()
        await app.stop()
    assert transport.outbox_for(ALICE.id)[-1].text == "echo: polled"
    assert transport.calls_of("deleteWebhook")
