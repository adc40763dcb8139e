"""The daily beat: who gets which push, at their project's time, once, through the real bot."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pdfplumber
import pypdf
import pytest
from PIL import Image
from sqlmodel import select

from bot.platforms import adapter
from bot.telegram.common import BEAT_TASK
from bot.telegram.offline import OfflineTelegram
from bot.telegram.stand_in import build_offline
from bot.wecom.offline import OfflineWeCom
from handlers.i18n import t
from jobs import rhythm
from jobs.sender import Backoff
from models import clock, people, pushes
from models import project as setup
from models.audiences import choices_of
from models.charts import HEIGHT_PX, WIDTH_PX
from models.intake import raise_item
from models.repair import PhotoIn
from models.tables import (
    Action,
    AppUser,
    Identity,
    Platform,
    PushKind,
    PushLog,
    PushRun,
    PushStatus,
    Role,
    Subscription,
    Undelivered,
)
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    SERVICE,
    assert_no_telegram_errors,
    move,
    texts,
    tg,
    tg_blocked,
    tg_user,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 12, 16)  # the small project's local day under the pinned clock


def local(hour: int, minute: int = 0, *, zone: ZoneInfo = SHANGHAI, day: date = DAY) -> datetime:
    """Return a wall-clock time on a project's site as an aware instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


async def tick_at(app, at: datetime) -> list[rhythm.Ran]:  # noqa: ANN001
    """Run the application's minute tick once with the clock pinned at `at`."""
    await rhythm.stop(app.bot_data.pop(BEAT_TASK, None))  # the test ticks by itself
    settings = app.bot_data["settings"]
    with clock.pinned(at):
        return await rhythm.tick(
            db=app.bot_data["db"],
            delivery=app.bot_data["delivery"],
            day_beats=pushes.beats(
                morning_at=settings.morning_push, report_at=settings.daily_report_at
            ),
            default_language=settings.default_language,
        )


def report_leak(db, world) -> None:  # noqa: ANN001
    """Have contractor A report the leak repaired: it goes on the to-check list."""
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, photos=(PhotoIn("x"),))


def push_rows(db, kind: PushKind = PushKind.morning) -> dict[str, PushStatus]:  # noqa: ANN001
    """Return each person's push of a kind, by name."""
    with db.session() as s:
        rows = s.exec(
            select(AppUser.name, PushLog.status)
            .join(PushLog, PushLog.user_id == AppUser.id)
            .where(PushLog.kind == kind)
        ).all()
    return dict(rows)


async def test_the_tick_is_one_named_task_while_the_application_runs(bot):
    beating = [t for t in asyncio.all_tasks() if t.get_name() == rhythm.JOB_NAME]
    assert beating == [bot.app.bot_data[BEAT_TASK]] and not beating[0].done()
    await bot.app.stop()
    assert beating[0].cancelled()
    await bot.app.start()  # as the fixture left it


async def test_morning_lists_reach_contractors_and_inspectors_in_order(bot, world, db):
    report_leak(db, world)
    mark = bot.transport.mark()
    ran = await tick_at(bot.app, local(7, 30))
    sent = bot.transport.events_since(mark)
    # Each person: the list with its buttons, then its printable PDF; in the order they joined.
    first_of = list(dict.fromkeys(m.chat_id for m in sent))
    assert first_of == [CONTRACTOR_A.id, CONTRACTOR_B.id, INSPECTOR.id]
    for chat in first_of:
        assert [m.kind for m in bot.transport.events_since(mark, chat)] == ["text", "document"]
    mine, pdf = bot.transport.events_since(mark, CONTRACTOR_A.id)
    assert f"#{world.items['wall']}" in mine.text and f"#{world.items['leak']}" not in mine.text
    assert "华建装饰" in mine.text and "客厅墙面空鼓" in mine.text  # Chinese: A chose no language
    assert mine.buttons() == [[(f"#{world.items['wall']} 3-1-502", f"it:{world.items['wall']}")]]
    assert pdf.filename.endswith(".pdf") and "华建装饰" in pdf.text
    pages = pdf_pages(pdf.file_bytes)
    assert str(world.items["wall"]) in pages[0] and "客厅墙面空鼓" in pages[0]
    assert "卫生间吊顶渗水" not in "".join(pages)  # reported repaired: not the contractor's now
    theirs, _ = bot.transport.events_since(mark, CONTRACTOR_B.id)
    assert f"#{world.items['socket']}" in theirs.text and "明达水电" in theirs.text
    check, walk = bot.transport.events_since(mark, INSPECTOR.id)
    assert f"#{world.items['leak']}" in check.text
    assert check.buttons() == [[(f"#{world.items['leak']} 3-1-1202", f"ck:{world.items['leak']}")]]
    assert "卫生间吊顶渗水" in pdf_pages(walk.file_bytes)[0]
    # Admins, managers and customer service get no morning list.
    assert {ADMIN.id, MANAGER.id, SERVICE.id}.isdisjoint(first_of)
    assert push_rows(db) == {
        "Wang": PushStatus.sent,
        "Zhao": PushStatus.sent,
        "Li": PushStatus.sent,
    }
    assert [(r.kind, r.day) for r in ran] == [(PushKind.morning, DAY), (PushKind.overdue, DAY)]


def pdf_pages(data: bytes) -> list[str]:
    """Return each page's text as pypdf and pdfplumber both read it (spaces aside), no U+0000."""
    assert data.startswith(b"%PDF-")
    by_pypdf = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        by_plumber = [p.extract_text() for p in pdf.pages]
    out = []
    for a, b in zip(by_pypdf, by_plumber, strict=True):
        assert "\x00" not in a + b
        a, b = "".join(a.split()), "".join(b.split())
        assert a == b
        out.append(a)
    return out


def text_messages(messages: list) -> list:
    """Return the text messages among sent messages and documents."""
    return [m for m in messages if m.kind == "text"]


async def test_the_english_reader_gets_english(bot, world, db):
    with db.session() as s:
        people.set_language(s, user_id=tg(s, CONTRACTOR_B.id), language="en")
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))
    message, pdf = bot.transport.events_since(mark, CONTRACTOR_B.id)
    assert "明达水电" in message.text and "客厅" not in message.text
    assert pdf.kind == "document"
    zh = bot.transport.events_since(mark, CONTRACTOR_A.id)[0].text
    assert message.text.split("\n")[0] != zh.split("\n")[0]  # two languages, two headers


async def test_nobody_with_nothing_to_do_is_messaged(bot, world, db):
    # Nothing was reported repaired: the inspector has nothing to check today.
    move(db, world.items["socket"], ADMIN.id, Action.cancel, note="重复登记")
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))
    assert {m.chat_id for m in bot.transport.events_since(mark)} == {CONTRACTOR_A.id}
    assert set(push_rows(db)) == {"Wang"}


async def test_nothing_before_the_time_nor_after_the_morning(bot, world, db):
    mark = bot.transport.mark()
    assert await tick_at(bot.app, local(7, 29)) == []
    assert await tick_at(bot.app, local(12, 1)) == []  # the bot was down all morning
    assert bot.transport.events_since(mark) == []
    with db.session() as s:
        assert s.exec(select(PushRun)).all() == []


async def test_a_late_start_sends_once(settings, db, world):
    # The bot was down at 07:30 and comes back at 09:10: the first tick catches up, once.
    report_leak(db, world)
    transport = OfflineTelegram(bot_username="handover_test_bot")
    with clock.pinned(local(9, 10), ticking=True):
        app = build_offline(settings, db, transport)
        async with app:
            await app.start()
            assert not app.bot_data[BEAT_TASK].done()  # its first tick comes soon after start
            for _ in range(2):
                await rhythm.beat(db=db, delivery=app.bot_data["delivery"], settings=settings)
            await app.stop()
    assert sorted(m.chat_id for m in text_messages(transport.outbox)) == sorted(
        [CONTRACTOR_A.id, CONTRACTOR_B.id, INSPECTOR.id]
    )
    assert len(transport.outbox) == 6  # each list once, each with its PDF once
    assert_no_telegram_errors(transport)
    # Restarted again at 09:40, and ticking on all morning: nothing more.
    mark = transport.mark()
    second = build_offline(settings, db, transport)
    async with second:
        for minute in (40, 41):
            assert await tick_at(second, local(9, minute)) == []
    assert transport.events_since(mark) == []


async def test_two_bots_on_one_database_send_once(settings, db, world):
    report_leak(db, world)
    first, second = OfflineTelegram(), OfflineTelegram()
    one, two = build_offline(settings, db, first), build_offline(settings, db, second)
    async with one, two:
        await asyncio.gather(tick_at(one, local(7, 30)), tick_at(two, local(7, 30)))
        await asyncio.gather(tick_at(one, local(7, 31)), tick_at(two, local(7, 31)))
    chats = [m.chat_id for m in text_messages(first.outbox + second.outbox)]
    assert sorted(chats) == sorted([CONTRACTOR_A.id, CONTRACTOR_B.id, INSPECTOR.id])
    assert len(first.outbox + second.outbox) == 6  # and each PDF once
    with db.session() as s:
        (run,) = s.exec(select(PushRun).where(PushRun.kind == PushKind.morning)).all()
        assert run.finished_at is not None and run.day == DAY


async def test_a_project_in_another_zone_gets_its_list_at_its_own_morning(bot, world, db):
    with db.session() as s:
        far = setup.create_project(s, name="Hudson Yards", timezone="America/New_York")
        crew = setup.add_contractor(s, project_id=far.id, name="Hudson Crew", trades="leak")
        setup.add_unit(s, project_id=far.id, code="1-1-101")
        setup.set_rule(s, project_id=far.id, category_code="leak", contractor_id=crew.id)
        people.add_member(
            s,
            project_id=far.id,
            platform="telegram",
            account=str(3001),
            name="Hank",
            roles=[Role.contractor],
            contractor_id=crew.id,
            language="en",
        )
        far_item = raise_item(
            s,
            project_id=far.id,
            unit_code="1-1-101",
            location="bath",
            category_code="leak",
            description="ceiling leak",
            raised_on=date(2026, 12, 14),
        ).id
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))  # Shanghai's morning: 18:30 of the 15th in New York
    assert 3001 not in {m.chat_id for m in bot.transport.events_since(mark)}
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30, zone=NEW_YORK))  # 20:30 in Shanghai
    (message,) = text_messages(bot.transport.events_since(mark, 3001))
    assert f"#{far_item}" in message.text
    # Shanghai's morning lists went out once, at its morning (its report is due now, though).
    others = {m.chat_id for m in bot.transport.events_since(mark)} - {3001}
    assert others == {MANAGER.id}
    assert f"#{world.items['wall']}" not in message.text
    with db.session() as s:
        days = {(r.project_id, r.day) for r in s.exec(select(PushRun)).all()}
    assert (far.id, DAY) in days and (world.project_id, DAY) in days


async def test_mute_and_unmute_the_morning_list(bot, world, db):
    chat = bot.chat(CONTRACTOR_A)
    assert "/unmute" in texts(await chat.send("/mute"))
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))
    assert {m.chat_id for m in bot.transport.events_since(mark)} == {CONTRACTOR_B.id}
    assert "07:30" in texts(await chat.send("/unmute"))
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30, day=DAY + timedelta(days=1)))
    assert {m.chat_id for m in bot.transport.events_since(mark)} == {
        CONTRACTOR_A.id,
        CONTRACTOR_B.id,
    }


async def test_who_may_not_receive_the_morning_list_cannot_mute_it(bot, world, db):
    assert texts(await bot.chat(MANAGER).send("/mute")) == t("zh", "error.not_allowed")
    with db.session() as s:
        assert s.exec(select(Subscription)).all() == []


async def test_a_manager_chooses_the_reports(bot, world, db):
    chat = bot.chat(MANAGER)
    await chat.send("/reports")
    shown = bot.transport.last_message(MANAGER.id, with_keyboard=True)
    assert shown.buttons() == [[("✅ 日报", "sub:report:0")], [("✅ 逾期汇总", "sub:overdue:0")]]
    await chat.press("sub:report:0")
    assert bot.transport.last_message(MANAGER.id).buttons()[0] == [("⬜ 日报", "sub:report:1")]
    with db.session() as s:
        wanted = pushes.recipients(
            s, project_id=world.project_id, kind=PushKind.report, platform="telegram"
        )
        assert tg(s, MANAGER.id) not in {r.user_id for r in wanted}
        admin = tg_user(s, ADMIN.id)
        assert choices_of(s, user_id=admin.id) == {
            PushKind.report: False,  # admins ask for the report themselves
            PushKind.overdue: True,
        }


async def test_a_forged_report_button_changes_nothing(bot, world, db):
    refused = t("en", "error.not_allowed")
    await bot.chat(CONTRACTOR_A).send("/mylist")  # a message with buttons to forge a press on
    assert await bot.chat(CONTRACTOR_A).press_alert("sub:report:1") == refused
    assert texts(await bot.chat(CONTRACTOR_A).send("/reports")) == refused
    with db.session() as s:
        assert s.exec(select(Subscription)).all() == []
        wanted = pushes.recipients(
            s, project_id=world.project_id, kind=PushKind.report, platform="telegram"
        )
        assert [r.user_id for r in wanted] == [tg(s, MANAGER.id)]


async def test_the_report_goes_at_its_hour_to_those_who_want_it(bot, world, db):
    await bot.chat(ADMIN).send("/reports")
    await bot.chat(ADMIN).press("sub:report:1")  # an admin asks for it; the manager has it
    mark = bot.transport.mark()
    assert [r.kind for r in await tick_at(bot.app, local(17, 59))] == []
    ran = await tick_at(bot.app, local(18, 0))
    assert [r.kind for r in ran] == [PushKind.report]
    sent = bot.transport.events_since(mark)
    assert {m.chat_id for m in sent} == {ADMIN.id, MANAGER.id}
    heading, photo = bot.transport.events_since(mark, MANAGER.id)
    assert (heading.kind, photo.kind) == ("text", "photo")
    assert "Riverside 1" in heading.text and "日报" in heading.text
    assert "Riverside 1" in photo.text and len(photo.text) <= 1024
    image = Image.open(io.BytesIO(photo.file_bytes))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    assert np.asarray(image.convert("RGB")).std() > 20  # something is drawn
    assert push_rows(db, PushKind.report) == {"Chen": PushStatus.sent, "Zhou": PushStatus.sent}
    mark = bot.transport.mark()
    assert await tick_at(bot.app, local(23, 30)) == []  # once a day
    assert bot.transport.events_since(mark) == []


async def test_a_morning_push_failing_is_tried_again_until_its_window_closes(bot, world, db):
    report_leak(db, world)
    bot.transport.fail(CONTRACTOR_A.id, status=500, times=10_000)  # Telegram fails Wang's chat
    bot.app.bot_data["delivery"].backoff = Backoff(first=0.05, most=0.1)
    # Half a second before noon, when the morning's catch-up ends: tried for that long.
    await tick_at(bot.app, local(11, 59) + timedelta(seconds=59.5))
    assert len(bot.transport.unavailable) >= 2
    assert push_rows(db) == {
        "Wang": PushStatus.failed,
        "Zhao": PushStatus.sent,
        "Li": PushStatus.sent,
    }
    with db.session() as s:
        (why,) = s.exec(select(PushLog.why).where(PushLog.status == PushStatus.failed)).all()
    assert why is Undelivered.unavailable


@pytest.mark.telegram_errors
async def test_a_blocked_person_is_recorded_skipped_and_shown_to_the_admin(bot, world, db):
    report_leak(db, world)
    bot.transport.block(INSPECTOR.id)
    await tick_at(bot.app, local(7, 30))
    assert push_rows(db)["Li"] is PushStatus.blocked
    with db.session() as s:
        assert tg_blocked(s, INSPECTOR.id) is not None
    # The next morning the blocked person is not even tried.
    calls = len(bot.transport.calls_of("sendMessage"))
    await tick_at(bot.app, local(7, 30, day=DAY + timedelta(days=1)))
    tried = [c.params["chat_id"] for c in bot.transport.calls_of("sendMessage")[calls:]]
    assert INSPECTOR.id not in {int(chat) for chat in tried}
    # The admin sees today's pushes (their day is the 17th now): delivered, and who is skipped.
    with clock.pinned(local(9, 0, day=DAY + timedelta(days=1))):
        shown = texts(await bot.chat(ADMIN).send("/pushes"))
    assert "Delivered: 2" in shown and "no longer pushed to: Li" in shown


async def test_the_admin_sees_failures_and_unconfirmed_pushes_by_name(bot, world, db):
    with clock.pinned(local(7, 30)), db.session() as s:
        for name, status in (("Wang", PushStatus.failed), ("Zhao", None)):
            user = s.exec(select(AppUser).where(AppUser.name == name)).one()
            row = pushes.claim(
                s, kind=PushKind.morning, project_id=world.project_id, day=DAY, user_id=user.id,
                by="test", platform="telegram",
            )  # fmt: skip
            if status:
                pushes.record(
                    s, push_id=row.id, status=status, attempts=1, platform="telegram",
                    why=Undelivered.refused, reason="part 2 of 2: Bad Request: <gone>",
                    parts_sent=1,
                )  # fmt: skip
    with clock.pinned(local(8, 0)):
        shown = texts(await bot.chat(ADMIN).send("/pushes"))
    # Why, in the reader's words; what Telegram said (English, any markup) stays in the log.
    said = "Wang: the platform refused the message (1 of its messages arrived)"
    assert "Failed: 1" in shown and said in shown and "gone" not in shown
    assert "Not confirmed" in shown and "Zhao" in shown
    assert "[daily report] due at 18:00, not started yet" in shown


async def test_the_push_log_of_a_crowd_fits_in_messages(bot, world, db):
    with db.session() as s:
        for n in range(300):
            user = people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(50_000 + n),
                name=f"{'很长的名字' * 19}{n}",
                roles=[Role.inspector],
            )
            pushes.mark_blocked(s, user_id=user.id, platform="telegram")
    mark = bot.transport.mark()
    with clock.pinned(local(8, 0)):
        await bot.chat(ADMIN).send("/pushes")
    sent = bot.transport.events_since(mark, ADMIN.id)
    assert len(sent) > 1 and all(len(m.text) <= 4096 for m in sent)
    assert "很长的名字" * 19 + "299" in texts(sent)


def test_beats_and_their_windows():
    morning, overdue, report = pushes.beats(morning_at="07:30", report_at="18:00")
    assert (morning.kind, overdue.kind, report.kind) == (
        PushKind.morning,
        PushKind.overdue,
        PushKind.report,
    )
    assert not morning.due(local(7, 29)) and morning.due(local(7, 30)) and morning.due(local(12))
    assert not morning.due(local(12, 1))
    assert report.due(local(23, 59)) and not report.due(local(17, 59))
    late = pushes.beats(morning_at="13:00", report_at="18:00")[0]
    assert late.due(local(20)) and not late.due(local(12, 59))  # a late morning: until night


def test_a_run_left_by_a_dead_process_is_taken_over(db, world):
    key = {"kind": PushKind.morning, "project_id": world.project_id, "day": DAY}
    key["platform"] = Platform.telegram
    with clock.pinned(local(7, 30)):
        assert db.run(pushes.take_run, **key, by="dead")
    with clock.pinned(local(7, 35)):
        assert not db.run(pushes.take_run, **key, by="other")  # still fresh: someone is at it
    with clock.pinned(local(7, 45)):
        assert db.run(pushes.take_run, **key, by="other")
        assert not db.run(pushes.take_run, **key, by="third")
        db.run(pushes.finish_run, **key)
    with clock.pinned(local(8, 30)):
        assert not db.run(pushes.take_run, **key, by="third")
        assert db.run(pushes.run_finished, **key)
        # Each platform's process runs its own people: WeCom's run is still to be taken.
        assert db.run(pushes.take_run, **key | {"platform": Platform.wecom}, by="wecom")


def on_telegram_and_wecom(db) -> OfflineWeCom:  # noqa: ANN001
    """Put Wang on both platforms, Zhao on WeCom only, Li on Telegram and on a WeCom account
    the app cannot reach; return the offline WeCom, with Wang and Zhao in its range."""
    with db.session() as s:
        accounts = {CONTRACTOR_A.id: "WangWei", CONTRACTOR_B.id: "ZhaoQiang", INSPECTOR.id: "LiNa"}
        for telegram_id, userid in accounts.items():
            people.link_identity(s, user_id=tg(s, telegram_id), platform="wecom", account=userid)
        zhao = s.exec(select(Identity).where(Identity.account == str(CONTRACTOR_B.id))).one()
        s.delete(zhao)
        s.commit()
    wecom = OfflineWeCom()
    wecom.add_member("WangWei", "ZhaoQiang")
    return wecom


@pytest.mark.parametrize("first", ["telegram", "wecom"])
async def test_telegram_and_wecom_on_one_database_each_send_their_people_the_morning_once(
    bot, world, db, settings, first
):
    """Two processes, one database, the same morning: everyone gets their list, once, on the
    platform that claims them first (or, refused there before any of it went, on the other)."""
    report_leak(db, world)
    wecom = on_telegram_and_wecom(db)
    mark = bot.transport.mark()
    async with adapter("wecom").offline(settings, db, wecom=wecom, beat=False) as app:

        async def on_wecom() -> None:
            with clock.pinned(local(7, 30)):
                beats = pushes.beats(morning_at="07:30", report_at="18:00")
                await rhythm.tick(
                    db=db, delivery=app.server.delivery, day_beats=beats, default_language="zh"
                )

        ticks = [tick_at(bot.app, local(7, 30)), on_wecom()]
        for each in ticks if first == "telegram" else reversed(ticks):
            await each
        sent = (bot.transport.events_since(mark), dict(wecom.sent))
        await on_wecom()  # later ticks: the day's runs are done on both, nothing more goes
        await tick_at(bot.app, local(7, 31))
    assert (bot.transport.events_since(mark), dict(wecom.sent)) == sent
    on_telegram = {m.chat_id for m in bot.transport.events_since(mark)}
    zhao, wang = wecom.messages_to("ZhaoQiang"), wecom.messages_to("WangWei")
    assert f"#{world.items['socket']}" in str(zhao) and "LiNa" not in wecom.sent
    if first == "telegram":
        assert on_telegram == {CONTRACTOR_A.id, INSPECTOR.id} and wang == []
    else:  # Wang's list went on WeCom; WeCom refused Li's account, so it went on Telegram
        assert on_telegram == {INSPECTOR.id} and f"#{world.items['wall']}" in str(wang)
        with db.session() as s:
            li_on_wecom = s.exec(select(Identity).where(Identity.account == "LiNa")).one()
        assert li_on_wecom.blocked_at is not None  # the next pushes on WeCom skip it
    assert push_rows(db) == {
        "Wang": PushStatus.sent,
        "Zhao": PushStatus.sent,
        "Li": PushStatus.sent,
    }
    with db.session() as s:
        runs = s.exec(select(PushRun).where(PushRun.kind == PushKind.morning)).all()
    assert sorted(r.platform for r in runs) == ["telegram", "wecom"]
    assert all(r.finished_at is not None for r in runs)


def test_recipients_leave_out_the_inactive_and_blocked(db, world):
    with db.session() as s:
        pushes.mark_blocked(s, user_id=tg(s, CONTRACTOR_B.id), platform="telegram")
    with db.session() as s:
        wanted = pushes.recipients(
            s, project_id=world.project_id, kind=PushKind.morning, platform="telegram"
        )
        expected = [tg(s, CONTRACTOR_A.id), tg(s, INSPECTOR.id)]
    assert [r.user_id for r in wanted] == expected


async def test_the_overdue_digest_goes_to_admins_and_managers_each_morning(bot, world, db):
    with db.session() as s:
        late = raise_item(
            s,
            project_id=world.project_id,
            unit_code="5-2-801",
            location="bath",
            category_code="leak",
            description="主卧窗台渗水",
            raised_on=DAY - timedelta(days=10),
        ).id
    mark = bot.transport.mark()
    await tick_at(bot.app, local(9, 0))
    digest = {m.chat_id: m.text for m in text_messages(bot.transport.events_since(mark))}
    # Admins and managers: the digest, each in their language; the contractor: a warning first.
    assert f"#{late}" in digest[MANAGER.id] and "华建装饰" in digest[MANAGER.id]
    assert "逾期" in digest[MANAGER.id] and f"#{late}" in digest[ADMIN.id]
    assert digest[CONTRACTOR_A.id].startswith(t("zh", "overdue.mine_one", id=late, days=3))
    assert "逾期" not in digest[CONTRACTOR_B.id].split("\n")[0]
    assert push_rows(db, PushKind.overdue) == {"Chen": PushStatus.sent, "Zhou": PushStatus.sent}


async def test_each_help_offers_the_push_choices_of_its_roles(bot, world):
    contractor = texts(await bot.chat(CONTRACTOR_A).send("/help"))
    assert "/mute" in contractor and "/unmute" in contractor and "/reports" not in contractor
    manager = texts(await bot.chat(MANAGER).send("/help"))
    assert "/reports" in manager and "/mute" not in manager and "/pushes" not in manager
    admin = texts(await bot.chat(ADMIN).send("/help"))
    assert "/reports" in admin and "/pushes" in admin
    assert texts(await bot.chat(MANAGER).send("/pushes")) == t("zh", "error.not_allowed")


async def test_the_buttons_of_a_morning_list_open_its_items(bot, world, db):
    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))
    (pushed,) = text_messages(bot.transport.events_since(mark, CONTRACTOR_A.id))
    shown = texts(
        await bot.chat(CONTRACTOR_A).press(f"it:{world.items['leak']}", pushed.message_id)
    )
    assert f"#{world.items['leak']}" in shown and "卫生间吊顶渗水" in shown
