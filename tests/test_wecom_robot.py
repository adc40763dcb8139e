"""WeCom's smart robot, the third front end: the repair loop of the shared scenario over its
long connection to the offline gateway, pushes by proactive send (and who cannot get them),
cards pressed once, members' media decrypted, and the gateway's refusals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlmodel import select

from bot.platforms import adapter
from bot.wecom_robot.console import console
from bot.wecom_robot.delivery import MEMBER_WINDOWS
from bot.wecom_robot.offline import OfflineGateway
from bot.wecom_robot.protocol import RESPOND, GatewayError, decrypt, encrypt
from bot.wecom_robot.serve import Robot, build_robot
from bot.wecom_robot.stand_in import offline_settings
from handlers.i18n import t
from jobs import rhythm
from models import clock, people, pushes
from models.db import Database
from models.settings import Settings
from models.tables import AppUser, Event, Item, ItemState, Photo, PushKind, PushLog, PushStatus
from tests.conftest import ADMIN, CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, PNG, World
from tests.test_wecom_chat import CAST, LOOP, Seen, _loop_closed, run_scenario, waiting_skips_ahead

ROBOT = "wecom_robot"
# The world's people as members of the corp (their userid), beside their Telegram ids.
ROBOT_IDS = {CONTRACTOR_A.id: "WangWei", INSPECTOR.id: "LiNa"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Desk:
    """The robot connected to the offline gateway, and a way to act as its members."""

    gateway: OfflineGateway
    robot: Robot

    async def settled(self, before: int, *, timeout: float = 10.0) -> None:
        """Wait until the chat handled one more callback than `before`, and nothing runs."""

        async def done() -> None:
            while self.robot.chat.handled <= before:
                await asyncio.sleep(0.01)
            await self.robot.chat.idle()

        await asyncio.wait_for(done(), timeout)

    async def do(self, action: object) -> None:
        """Run a member's action on the gateway and wait for the robot to have done with it."""
        before = self.robot.chat.handled
        await action  # type: ignore[misc]
        await self.settled(before)

    async def act(self, who: str, action: str, arg: str) -> Seen:
        """Write, send a photo or press a card's button as `who` (the scenario's driver)."""
        gw, user = self.gateway, ROBOT_IDS[CAST[who].id]
        marks = {name: len(gw.messages_to(ROBOT_IDS[u.id])) for name, u in CAST.items()}
        if action == "send":
            await self.do(gw.text(user, arg))
        elif action == "photo":
            await self.do(gw.image(user, PNG(len(arg) % 200 + 1)))
            if arg:  # an image message has no caption: the note follows as a text
                await self.do(gw.text(user, arg))
        else:
            await self.do(gw.press(user, arg))
        got = {name: gw.messages_to(ROBOT_IDS[u.id])[marks[name] :] for name, u in CAST.items()}
        mine = got.pop(who)
        return Seen(
            "\n".join(m.visible for m in mine),
            sum(m.msgtype == "image" for m in mine),
            {name: "\n".join(m.visible for m in sent) for name, sent in got.items()},
        )


def link(db: Database, ids: dict[int, str]) -> None:
    """Let the world's people (by Telegram id) be reached on the robot as these userids."""
    with db.session() as s:
        for telegram_id, account in ids.items():
            person = people.find_person(s, platform="telegram", account=str(telegram_id))
            people.link_identity(s, user_id=person.id, platform=ROBOT, account=account)


def speak_english(db: Database) -> None:
    """Store English for the cast (the robot says no language)."""
    with db.session() as s:
        for user in CAST.values():
            person = people.find_person(s, platform="telegram", account=str(user.id))
            people.set_language(s, user_id=person.id, language="en")


@contextlib.asynccontextmanager
async def serving(gateway: OfflineGateway) -> AsyncIterator[str]:
    """Serve the offline gateway; yield the address the robot connects to."""
    server = TestServer(gateway.app)
    await server.start_server()
    gateway.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield gateway.ws_url
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def offline_robot(settings: Settings, db: Database) -> AsyncIterator[Desk]:
    """Connect the robot to the offline gateway; the cast joined by their corp userids."""
    link(db, ROBOT_IDS)
    with waiting_skips_ahead(MEMBER_WINDOWS) as members:
        gateway = OfflineGateway(clock=members.clock)
        async with adapter("wecom_robot").offline(
            settings, db, gateway=gateway, members=members, beat=False
        ) as running:
            yield Desk(gateway, running.robot)
    # Nothing was refused: within 30 a minute per member, cards and texts within limits.
    gateway.assert_clean()


@pytest.fixture
async def desk(settings: Settings, db: Database, world: World) -> AsyncIterator[Desk]:
    """The robot on the offline gateway, the cast on it (see offline_robot)."""
    async with offline_robot(settings, db) as connected:
        yield connected


async def test_repair_loop_on_the_robot(desk: Desk, world: World, db: Database) -> None:
    speak_english(db)
    await run_scenario(desk, LOOP, world)
    _loop_closed(db, world.items["leak"])
    wang = ROBOT_IDS[CONTRACTOR_A.id]
    # Every card pressed along the way was updated (only its pressed button left, marked).
    pressed = [c for c in desk.gateway.cards_to(wang) if c.pressed is not None]
    assert pressed and all(not c.live for c in pressed)
    assert all(c.card["button_list"][0]["text"].startswith("✓") for c in pressed)
    # The photos the members sent were downloaded, decrypted and stored as sent.
    with db.session() as s:
        stored = s.exec(select(Photo).where(Photo.item_id == world.items["leak"])).all()
    assert len(stored) == 3
    for photo in stored:
        data = (desk.robot.settings.media_dir / photo.path).read_bytes()
        assert data[:4] == b"\x89PNG" and photo.platform == ROBOT
    # The first message of each reply answered the member's message, its text and card in one;
    # nothing went to a stranger.
    replies = [f["body"]["msgtype"] for f in desk.gateway.frames if f.get("cmd") == RESPOND]
    assert "stream_with_template_card" in replies
    assert {m.to for m in desk.gateway.sent} <= set(ROBOT_IDS.values())


async def test_a_card_pressed_twice_counts_once(desk: Desk, world: World, db: Database) -> None:
    speak_english(db)
    gw, wang = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id]
    await desk.do(gw.text(wang, "/mylist"))
    leak = world.items["leak"]
    task = next(
        t for t, c in gw.cards.items() if f"it:{leak}" in [b["key"] for b in c.card["button_list"]]
    )
    await desk.do(gw.press_card(wang, task, f"it:{leak}"))
    after_first = len(gw.messages_to(wang))
    await desk.do(gw.press_card(wang, task, f"it:{leak}"))  # the member's app still shows it
    assert len(gw.messages_to(wang)) == after_first


async def test_the_inspector_told_of_a_fail_who_has_no_robot_account(
    desk: Desk, world: World, db: Database
) -> None:
    """The contractor of a failed item is not on the robot: recorded as not reached, and why."""
    from models.repair import PhotoIn
    from models.tables import Action, NoticeLog, Undelivered
    from tests.conftest import move

    speak_english(db)
    socket = world.items["socket"]  # 明达水电's item: Zhao never joined on the robot
    move(db, socket, CONTRACTOR_B.id, Action.report_repaired, photos=(PhotoIn("x"),))
    gw, li = desk.gateway, ROBOT_IDS[INSPECTOR.id]
    await desk.do(gw.text(li, "/tocheck"))
    await desk.do(gw.press(li, f"ck:{socket}"))
    await desk.do(gw.press(li, f"fl:{socket}"))
    await desk.do(gw.text(li, "no power still"))
    await desk.do(gw.image(li, PNG(9)))
    await desk.do(gw.press(li, f"done:{socket}"))
    with db.session() as s:
        assert s.get(Item, socket).state is ItemState.rework
        (told,) = s.exec(select(NoticeLog)).all()
        zhao = s.exec(select(AppUser).where(AppUser.name == "Zhao")).one()
    assert told.user_id == zhao.id and told.platform == ROBOT
    assert told.status is PushStatus.blocked and told.why is Undelivered.no_account


async def test_morning_lists_go_by_proactive_send(desk: Desk, world: World, db: Database) -> None:
    """Wang and Li wrote to the robot once and get their lists unasked; Zhao, linked by an
    admin but never having written, is refused by the gateway: recorded in /pushes, and why."""
    from models.repair import PhotoIn
    from models.tables import Action
    from tests.conftest import move

    gw, wang, li = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id], ROBOT_IDS[INSPECTOR.id]
    link(db, {CONTRACTOR_B.id: "ZhaoQiang"})
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired, photos=(PhotoIn("x"),))
    await desk.do(gw.text(wang, "/help"))
    await desk.do(gw.text(li, "/help"))
    morning = datetime(2026, 12, 16, 7, 30, tzinfo=SHANGHAI)
    settings = desk.robot.settings
    with clock.pinned(morning):
        await rhythm.tick(
            db=db,
            delivery=desk.robot.delivery,
            day_beats=pushes.beats(
                morning_at=settings.morning_push, report_at=settings.daily_report_at
            ),
            default_language=settings.default_language,
        )
    with db.session() as s:
        rows = s.exec(
            select(AppUser.name, PushLog.status, PushLog.reason)
            .join(PushLog, PushLog.user_id == AppUser.id)
            .where(PushLog.kind == PushKind.morning)
        ).all()
    got = {name: (status, reason) for name, status, reason in rows}
    assert got["Wang"][0] is PushStatus.sent and got["Li"][0] is PushStatus.sent
    assert got["Zhao"][0] is PushStatus.failed and "never wrote" in (got["Zhao"][1] or "")
    pushed = [m for m in gw.messages_to(wang) if m.via == "aibot_send_msg"]
    assert any(f"#{world.items['leak']}" in m.visible for m in pushed)
    assert any(f"#{world.items['wall']}" in m.visible for m in gw.messages_to(li))
    assert gw.errors == ["aibot_send_msg: ZhaoQiang never wrote to the robot"]
    gw.errors.clear()  # Zhao's refusal was the point


async def test_a_wrong_secret_is_refused(settings: Settings, db: Database) -> None:
    gateway = OfflineGateway()
    async with serving(gateway):
        wrong = offline_settings(settings, gateway).model_copy(
            update={"wecom_robot_secret": SecretStr("not-it")}
        )
        robot = build_robot(wrong, db)
        with pytest.raises(GatewayError):
            await robot.connect()
        await robot.close()


async def test_a_newer_connection_takes_over(
    settings: Settings, db: Database, world: World
) -> None:
    link(db, ROBOT_IDS)
    gateway = OfflineGateway()
    async with serving(gateway):
        first = build_robot(offline_settings(settings, gateway), db)
        second = build_robot(offline_settings(settings, gateway), db)
        old = await first.connect()
        await second.connect()
        await asyncio.wait_for(old.closed.wait(), 5)
        desk = Desk(gateway, second)
        await desk.do(gateway.text(ROBOT_IDS[CONTRACTOR_A.id], "/mylist"))
        assert gateway.messages_to(ROBOT_IDS[CONTRACTOR_A.id])
        await first.close()
        await second.close()


def test_media_decrypts_as_the_gateway_encrypts() -> None:
    import base64
    import os

    key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    for size in (0, 1, 31, 32, 33, 1000):
        data = os.urandom(size)
        sealed = encrypt(data, key)
        assert len(sealed) % 32 == 0 and decrypt(sealed, key) == data
    other = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(ValueError):
        decrypt(encrypt(b"photo", key), other)


async def test_the_console_chats_as_a_person(
    settings: Settings, db: Database, world: World, tmp_path
) -> None:
    import io

    lines = io.StringIO("/mylist\n:press 1\n:quit\n")
    out = io.StringIO()
    code = await console(settings, db, persona=CONTRACTOR_A.id, stdin=lines, stdout=out)
    shown = out.getvalue()
    assert code == 0
    assert f"#{world.items['leak']}" in shown and "卫生间吊顶渗水" in shown
    assert "[1]" in shown


async def test_the_console_is_the_shell_of_the_others(
    settings: Settings, db: Database, world: World, tmp_path
) -> None:
    """Personas listed, a button pressed by its number alone, a person switched, a workbook
    the robot sends saved (the robot's own console had none of it)."""
    import io

    from openpyxl import load_workbook

    lines = io.StringIO(f"/mylist\n1\n:who\n:as {ADMIN.id}\n/template\n:quit\n")
    out = io.StringIO()
    files = tmp_path / "files"
    code = await console(
        settings, db, persona=CONTRACTOR_A.id, files_dir=files, stdin=lines, stdout=out
    )
    shown = out.getvalue()
    assert code == 0, shown
    assert shown.count(f"[id {CONTRACTOR_A.id}]") == 2, shown  # listed at the start and by :who
    assert "» " in shown and "卫生间吊顶渗水" in shown, shown  # "1" pressed the item's button
    saved = sorted(files.glob("*.xlsx"))
    assert saved and str(saved[0]) in shown, shown
    assert load_workbook(saved[0]).sheetnames


async def test_the_robot_and_the_app_on_one_database_push_once(
    desk: Desk, world: World, db: Database, settings: Settings
) -> None:
    """The robot for conversation, the self-built app beside it on one database: the robot's
    people and the app's people each get their morning list, each once (Wang, on both, from
    the robot, which ticked first; Zhao, on the app only, from the app)."""
    from bot.wecom.offline import OfflineWeCom
    from models.repair import PhotoIn
    from models.tables import Action
    from tests.conftest import move

    gw, wang, li = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id], ROBOT_IDS[INSPECTOR.id]
    with db.session() as s:  # Zhao only on the app; Wang on both, by the same corp userid
        for telegram_id, userid in ((CONTRACTOR_B.id, "ZhaoQiang"), (CONTRACTOR_A.id, wang)):
            person = people.find_person(s, platform="telegram", account=str(telegram_id))
            people.link_identity(s, user_id=person.id, platform="wecom", account=userid)
    wecom = OfflineWeCom()
    wecom.add_member("ZhaoQiang", wang)
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired, photos=(PhotoIn("x"),))
    await desk.do(gw.text(wang, "/help"))
    await desk.do(gw.text(li, "/help"))
    settings = desk.robot.settings
    beats = pushes.beats(morning_at=settings.morning_push, report_at=settings.daily_report_at)
    with clock.pinned(datetime(2026, 12, 16, 7, 30, tzinfo=SHANGHAI)):
        await rhythm.tick(
            db=db, delivery=desk.robot.delivery, day_beats=beats, default_language="zh"
        )
        to_wang = gw.messages_to(wang)
        async with adapter("wecom").offline(settings, db, wecom=wecom, beat=False) as app:
            for _ in range(2):  # a later tick sends nothing more
                await rhythm.tick(
                    db=db, delivery=app.server.delivery, day_beats=beats, default_language="zh"
                )
        await rhythm.tick(
            db=db, delivery=desk.robot.delivery, day_beats=beats, default_language="zh"
        )
    with db.session() as s:
        rows = s.exec(
            select(AppUser.name, PushLog.status)
            .join(PushLog, PushLog.user_id == AppUser.id)
            .where(PushLog.kind == PushKind.morning)
        ).all()
    assert dict(rows) == {"Wang": PushStatus.sent, "Li": PushStatus.sent, "Zhao": PushStatus.sent}
    assert any(f"#{world.items['leak']}" in m.visible for m in to_wang)
    assert gw.messages_to(wang) == to_wang  # once, by the robot
    assert wecom.messages_to(wang) == []
    zhao = wecom.messages_to("ZhaoQiang")
    assert f"#{world.items['socket']}" in str(zhao)
    assert len([m for m in zhao if f"#{world.items['socket']}" in str(m)]) == 1


async def test_text_with_two_images_is_one_report(desk: Desk, world: World, db: Database) -> None:
    """A member's message of text and images (mixed): both photos and the note, one report."""
    speak_english(db)
    gw, wang, wall = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id], world.items["wall"]
    await desk.do(gw.text(wang, "/mylist"))
    await desk.do(gw.press(wang, f"it:{wall}"))
    await desk.do(gw.press(wang, f"rp:{wall}"))
    await desk.do(gw.mixed(wang, "patched and painted", [PNG(4), PNG(5)]))
    await desk.do(gw.press(wang, f"done:{wall}"))
    with db.session() as s:
        assert s.get(Item, wall).state is ItemState.repaired
        stored = s.exec(select(Photo).where(Photo.item_id == wall)).all()
        report = s.exec(select(Event).where(Event.item_id == wall).order_by(Event.id)).all()[-1]
    assert len(stored) == 2 and report.note == "patched and painted"


async def test_the_robot_reconnects_after_a_drop(
    settings: Settings, db: Database, world: World
) -> None:
    link(db, ROBOT_IDS)
    gateway = OfflineGateway()
    async with serving(gateway):
        robot = build_robot(offline_settings(settings, gateway), db)
        running = asyncio.create_task(robot.run(rhythm_timer=False))
        try:
            await until(lambda: gateway.subscriptions == 1)
            await gateway.drop()
            await until(lambda: gateway.subscriptions == 2 and robot.connection.is_open)
            await Desk(gateway, robot).do(gateway.text(ROBOT_IDS[CONTRACTOR_A.id], "/mylist"))
            assert (
                f"#{world.items['leak']}"
                in gateway.messages_to(ROBOT_IDS[CONTRACTOR_A.id])[0].visible
            )
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


async def test_a_silent_gateway_is_left_after_two_pings(settings: Settings, db: Database) -> None:
    import aiohttp

    from bot.wecom_robot.protocol import Connection

    gateway = OfflineGateway()
    async with serving(gateway), aiohttp.ClientSession() as session:

        async def nothing(_frame: dict) -> None:
            return None

        connection = Connection(
            session,
            gateway.ws_url,
            gateway.bot_id,
            gateway.secret,
            nothing,
            heartbeat=0.01,
            ack_seconds=0.05,
        )
        await connection.open()
        await until(lambda: sum(f.get("cmd") == "ping" for f in gateway.frames) >= 1)
        assert connection.is_open  # pings answered: it stays
        gateway.answer_pings = False
        await asyncio.wait_for(connection.closed.wait(), 5)
        await connection.close()


async def until(condition: object, timeout: float = 5.0) -> None:
    """Wait until `condition()` holds."""

    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_a_newcomer_joins_on_the_robot_by_code(
    desk: Desk, world: World, db: Database
) -> None:
    """A member not known yet is told to join; `/start CODE` makes their corp userid a person."""
    from models.tables import Identity, Role

    with db.session() as s:
        code = people.create_invite(s, project_id=world.project_id, roles=[Role.inspector]).code
    gw = desk.gateway
    await desk.do(gw.text("ZhouMin", "/tocheck"))
    told = "\n".join(m.visible for m in gw.messages_to("ZhouMin"))
    assert told == t("zh", "error.not_registered")
    before = len(gw.messages_to("ZhouMin"))
    await desk.do(gw.text("ZhouMin", f"/start {code}"))
    assert len(gw.messages_to("ZhouMin")) > before
    with db.session() as s:
        (identity,) = s.exec(select(Identity).where(Identity.account == "ZhouMin")).all()
    assert identity.platform == ROBOT


def test_a_real_run_names_what_it_lacks(settings: Settings) -> None:
    from bot.adapter import SetupError

    robot = adapter("wecom_robot")
    with pytest.raises(SetupError, match="WECOM_ROBOT_BOT_ID, WECOM_ROBOT_SECRET"):
        robot.check(settings)
    ready = settings.model_copy(
        update={"wecom_robot_bot_id": "aib1", "wecom_robot_secret": SecretStr("s3cret")}
    )
    robot.check(ready)
    assert robot.secrets(ready) == ("s3cret",)


async def test_a_reply_refused_goes_as_a_send(desk: Desk, world: World, db: Database) -> None:
    """A member's message the gateway no longer takes replies to: the answer still arrives."""
    gw, wang = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id]
    gw.expire_replies = True
    await desk.do(gw.text(wang, "/mylist"))
    got = gw.messages_to(wang)
    assert got and all(m.via == "aibot_send_msg" for m in got)
    assert f"#{world.items['leak']}" in got[0].visible
    assert gw.errors and all(e.startswith("aibot_respond_msg") for e in gw.errors)
    gw.errors.clear()  # the refusals were the point


async def test_workbooks_in_and_out_as_files(
    settings: Settings, db: Database, world: World
) -> None:
    """An admin sends the set-up workbook straight into the chat (no upload page), and /export
    comes back as a file that opens."""
    import io

    from openpyxl import load_workbook

    from models.tables import Contractor, Unit
    from tests.conftest import ADMIN
    from tests.test_sheets import setup_book

    link(db, {ADMIN.id: "ChenJie"})
    with waiting_skips_ahead(MEMBER_WINDOWS) as members:
        gateway = OfflineGateway(clock=members.clock)
        async with adapter("wecom_robot").offline(
            settings, db, gateway=gateway, members=members, beat=False
        ) as running:
            desk = Desk(gateway, running.robot)
            await desk.do(gateway.file("ChenJie", setup_book("en"), "setup.xlsx"))
            await desk.do(gateway.text("ChenJie", "/export"))
    with db.session() as s:
        assert s.exec(select(Unit.owner_name).where(Unit.code == "3-1-1202")).one() == "张伟"
        assert s.exec(select(Contractor).where(Contractor.name == "明达水电")).one()
    [export] = [m for m in gateway.messages_to("ChenJie") if m.msgtype == "file"]
    assert export.filename.endswith(".xlsx") and export.content is not None
    book = load_workbook(io.BytesIO(export.content), read_only=True)
    assert {"Items", "Events"} <= set(book.sheetnames)
    gateway.assert_clean()


async def test_a_voice_message_is_its_transcript(desk: Desk, world: World, db: Database) -> None:
    gw, wang = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id]
    await desk.do(gw.voice(wang, "/mylist"))
    assert f"#{world.items['leak']}" in gw.messages_to(wang)[0].visible


async def test_a_send_over_the_rate_waits_and_goes(desk: Desk, world: World, db: Database) -> None:
    """WeCom answers a push "frequency out of limit" (45009): it waits and sends it again."""
    from jobs.notices import Notice
    from jobs.sender import tell

    gw, wang = desk.gateway, ROBOT_IDS[CONTRACTOR_A.id]
    await desk.do(gw.text(wang, "/help"))
    gw.refuse_sends = [45009]
    with db.session() as s:
        wang_id = people.find_person(s, platform=ROBOT, account=wang).id
    before = clock.now()
    [outcome] = await tell(
        db=db, delivery=desk.robot.delivery, notices=[Notice(wang_id, "<b>Leak</b> reopened")]
    )
    assert outcome.status is PushStatus.sent and outcome.attempts == 2
    assert clock.now() - before >= timedelta(seconds=60)  # waited (on the product clock)
    assert gw.messages_to(wang)[-1].visible == "Leak reopened"
    gw.errors.clear()  # the refusal was the point


def test_cut_labels_are_numbered_only_where_they_look_alike_as_on_the_app() -> None:
    from bot.wecom import cards as app_cards
    from bot.wecom_robot import render
    from handlers.choices import Choice

    items = [Choice(f"#{n} {n}-1-1202 卫生间", f"it:{n}") for n in (4, 5)]
    flats = [Choice(f"江畔花园一期 3-1-120{n}", f"un:{n}") for n in range(8)]
    for rows, numbered in ((items, False), (flats, True)):
        on_robot = render.cards([[c] for c in rows], lang="zh")
        on_app = app_cards.draw("哪一个？", [[c] for c in rows], lang="zh").cards
        robot = [b["text"] for card in on_robot for b in card["button_list"]]
        # The same buttons on both WeCom front ends (bot.cards fits them once).
        assert robot == [b["text"] for card in on_app for b in card["button_list"]]
        assert all(len(text) <= render.BUTTON_TEXT_MAX for text in robot)
        if numbered:  # alike when cut: each its place in the screen, running on across cards
            assert [text.split(". ")[0] for text in robot] == [str(n) for n in range(1, 9)]
            assert "8. 江畔花园一期 3-1-1207" in on_robot[1]["sub_title_text"]
        else:  # an item's number stays first: never "1.#4 4-1…" beside "2.#5 5-1…"
            assert [text.split(" ")[0] for text in robot] == ["#4", "#5"]
