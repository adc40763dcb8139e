"""What one process hands out, another honours: an upload link asked for on one WeCom server
opens, signs in and takes its file on another (and one upload at a time, whichever process it
reaches); an invite made on one Telegram bot, and a printed item's link, work on another.

Each "process" is a server or an application of its own, with its own engine on the same
database (the SQLite file, or PostgreSQL under TEST_DATABASE_URL); the WeCom is one for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import func, select

from bot.telegram.offline import OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from bot.wecom.delivery import MEMBER_WINDOWS
from bot.wecom.serve import build_wecom
from handlers.i18n import t
from jobs.pacing import MemberPacer
from models.db import Database
from models.links import item_start
from models.settings import Settings
from models.tables import Item
from tests import test_wecom_chat, test_wecom_upload
from tests.conftest import ADMIN, CONTRACTOR_A, Bot, World, texts, tg_person
from tests.test_onboarding import NEWCOMER
from tests.test_wecom_chat import WeComDriver
from tests.test_wecom_upload import CHEN, _csv, _form, _link, _sign_in

# The WeCom front end over the offline WeCom, with the world's cast (tests/test_wecom_chat.py).
wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom
admin_on_wecom = test_wecom_upload.admin_on_wecom


@pytest.fixture
async def second(
    wecom_settings: Settings, db: Database, wecom: WeComDriver
) -> AsyncIterator[WeComDriver]:
    """A second WeCom server: its own engine and app on the same database, the same WeCom."""
    other = Database(db.url)
    server = build_wecom(
        wecom_settings,
        other,
        client=wecom.wecom.client(),
        rhythm_timer=False,
        members=MemberPacer(MEMBER_WINDOWS),
    )
    try:
        async with TestClient(TestServer(server.app)) as client:
            yield WeComDriver(wecom.wecom, server, client)
            await server.chat.idle()
    finally:
        other.dispose()


async def test_an_upload_link_from_one_process_takes_the_file_on_another(
    wecom: WeComDriver, second: WeComDriver, admin_on_wecom: str, db: Database, world: World
) -> None:
    path = await _link(wecom, CHEN)  # asked for on the first
    status, page = await _sign_in(second, path, CHEN)  # opened on the second
    assert status == 200 and 'type="file"' in page
    before = second.server.chat.handled
    sent = await second.client.post(path, data=_form(_csv(3, "墙面开裂", "")))
    assert sent.status == 200 and t("zh", "wecom.upload_done") in await sent.text()
    await second.settled(before)
    assert "导入 3 条问题" in "\n".join(wecom.wecom.texts_to(CHEN))
    with db.session() as s:
        assert s.exec(select(func.count()).where(Item.project_id == world.project_id)).one() == 6
    # Used up in every process.
    assert (await wecom.client.get(path)).status == 404
    assert (await second.client.get(path)).status == 404


async def test_two_uploads_through_two_processes_one_is_refused(
    wecom: WeComDriver, second: WeComDriver, admin_on_wecom: str
) -> None:
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    await _sign_in(second, path, CHEN)
    boundary = "----slowupload"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="items.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = b"not,a,workbook\n"
    halfway, go_on = asyncio.Event(), asyncio.Event()

    async def slowly() -> AsyncIterator[bytes]:
        yield head + body
        halfway.set()
        await go_on.wait()
        yield tail

    before = wecom.server.chat.handled
    first = asyncio.create_task(
        wecom.client.post(
            path,
            data=slowly(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head + body + tail)),
            },
        )
    )
    await asyncio.wait_for(halfway.wait(), 5)
    token = path.rsplit("/", 1)[-1]
    while not (await second.server.chat.uploads.ticket(token)).busy:  # claimed on the first
        await asyncio.sleep(0.01)
    other = await second.client.post(path, data=_form(b"other,file\n"))
    assert other.status == 409 and t("zh", "wecom.upload_busy") in await other.text()
    go_on.set()
    assert (await first).status == 200
    await wecom.settled(before)
    assert (await second.client.get(path)).status == 404  # the one file used it up


async def test_an_invite_and_an_items_link_from_one_process_work_on_another(
    bot: Bot, settings: Settings, db: Database, world: World
) -> None:
    made = texts(await bot.chat(ADMIN).send("/invite contractor 明达水电"))  # on the first
    code = made.split("?start=")[1].split()[0]
    other = Database(db.url)
    transport = OfflineTelegram(bot_username="handover_test_bot")
    app = build_offline(settings, other, transport, beat=False)
    try:
        async with app:
            await app.start()
            second = Bot(app, transport)
            assert "Welcome" in texts(await second.chat(NEWCOMER).send(f"/start {code}"))
            leak = world.items["leak"]
            shown = texts(await second.chat(CONTRACTOR_A).send(f"/start {item_start(leak)}"))
            assert "卫生间吊顶渗水" in shown and "Welcome" not in shown
            await app.stop()
    finally:
        other.dispose()
    with db.session() as s:
        assert tg_person(s, NEWCOMER.id).contractor_ids == {world.mingda}
    # Used on the second, the invite is used on the first too.
    late = OfflineUser(id=3002, first_name="Qian", language_code="en")
    again = texts(await bot.chat(late).send(f"/start {code}"))
    assert "Welcome" not in again
