"""The one sender through the real Application and the offline Telegram: once to everyone."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlmodel import select
from telegram.error import RetryAfter

from bot.telegram.app import SENDS_PER_SECOND, rate_limiter
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.offline import FloodLimits, OfflineTelegram
from bot.telegram.stand_in import build_offline
from handlers.i18n import t
from jobs.notices import Attachment, Choice, Notice
from jobs.sender import Backoff, ChatPacer, push
from models import clock, people, pushes
from models.db import Database
from models.settings import Settings
from models.tables import Identity, PushKind, PushLog, PushStatus, Role, Undelivered
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    PNG,
    SERVICE,
    World,
    tg_blocked,
    user_id,
)

# Tests shrink Telegram's second to a tenth: the same rules, ten times faster.
TICK = 0.1
FAST = Backoff(first=0.01, most=0.05)  # the pauses after a 5xx, shrunk as the second is
PDF = b"%PDF-1.4\n%fake list\n"
EVERYONE = (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, ADMIN, SERVICE, MANAGER)


def notice(db: Database, telegram_id: int, text: str, *files: Attachment) -> Notice:
    return Notice(user_id(db, telegram_id), text, attachments=files)


def morning_notice(db: Database, telegram_id: int) -> Notice:
    """A morning list as the job sends it: text with a button, the PDF, a chart."""
    return Notice(
        user_id(db, telegram_id),
        f"<b>今日待修</b> {telegram_id}",
        choices=((Choice("打印", f"pdf:{telegram_id}"),),),
        attachments=(
            Attachment("list.pdf", PDF, caption="待修清单"),
            Attachment("chart.png", PNG(7), kind="photo"),
        ),
    )


def log_rows(db: Database, day: date) -> dict[int, PushLog]:
    """Return the day's push log by Telegram id."""
    with db.session() as s:
        ids = {i.user_id: int(i.account) for i in s.exec(select(Identity))}
        rows = s.exec(select(PushLog).where(PushLog.day == day)).all()
        return {ids[r.user_id]: r for r in rows}


def kinds(transport: OfflineTelegram, chat: int) -> list[str]:
    return [m.kind for m in transport.outbox_for(chat)]


def sends_to(transport: OfflineTelegram, chat: int) -> list[float]:
    """When each accepted send to a chat arrived (the transport's monotonic clock)."""
    return [c.at for c in transport.sends() if int(c.params["chat_id"]) == chat]


async def test_429s_are_waited_out_and_each_part_goes_once(bot, world: World, db, today) -> None:
    bot.transport.limits = FloodLimits(window=TICK, whole_seconds=False)
    # The text to A goes, then its PDF is refused twice; B's very first send is refused.
    bot.transport.throttle(CONTRACTOR_A.id, times=2, retry_after=0.05, after=1)
    bot.transport.throttle(CONTRACTOR_B.id, times=1, retry_after=0.05)
    notices = [morning_notice(db, t.id) for t in (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR)]

    result = await push(
        db=db,
        delivery=TelegramDelivery(bot.app.bot, db, ChatPacer(TICK)),
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=notices,
    )

    assert result.sent == [n.user_id for n in notices]
    for person in (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR):
        assert kinds(bot.transport, person.id) == ["text", "document", "photo"]
    refused = [(c.method, int(c.params["chat_id"])) for c in bot.transport.throttled]
    assert sorted(refused) == sorted(
        [("sendDocument", CONTRACTOR_A.id)] * 2 + [("sendMessage", CONTRACTOR_B.id)]
    )  # only the injected ones: the sender kept the limits itself
    rows = log_rows(db, today)
    assert {t: (r.status, r.attempts) for t, r in rows.items()} == {
        CONTRACTOR_A.id: (PushStatus.sent, 5),
        CONTRACTOR_B.id: (PushStatus.sent, 4),
        INSPECTOR.id: (PushStatus.sent, 3),
    }


async def test_a_whole_second_429_as_the_bot_api_sends_it(bot, world: World, db, today) -> None:
    bot.transport.throttle(MANAGER.id, times=1, retry_after=1)
    result = await push(
        db=db,
        delivery=TelegramDelivery(bot.app.bot, db, ChatPacer(TICK)),
        kind=PushKind.report,
        project_id=world.project_id,
        day=today,
        notices=[notice(db, MANAGER.id, "今日数据")],
    )
    assert result.sent and kinds(bot.transport, MANAGER.id) == ["text"]
    first, second = bot.transport.calls_of("sendMessage")
    assert first.error == "Too Many Requests: retry after 1"
    assert second.error is None and second.at - first.at >= 1.0


async def test_one_chat_gets_a_message_a_pause_apart_across_pushes(
    bot, world: World, db, today
) -> None:
    bot.transport.limits = FloodLimits(window=TICK, whole_seconds=False)
    delivery = TelegramDelivery(bot.app.bot, db, ChatPacer(TICK))  # one bot: one pacer
    people_ = (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR)

    async def run(kind: PushKind) -> None:
        await push(
            db=db,
            delivery=delivery,
            kind=kind,
            project_id=world.project_id,
            day=today,
            notices=[morning_notice(db, t.id) for t in people_],
        )

    # Two kinds of push at once to the same people: six messages each, never two too close.
    await asyncio.gather(run(PushKind.morning), run(PushKind.overdue))

    assert bot.transport.throttled == []
    for person in people_:
        times = sends_to(bot.transport, person.id)
        assert len(times) == 6
        assert all(b - a >= TICK for a, b in zip(times, times[1:], strict=False))
    # Recipients go side by side, not one after the other: B's text came before A's last file.
    assert sends_to(bot.transport, CONTRACTOR_B.id)[0] < sends_to(bot.transport, CONTRACTOR_A.id)[1]


@pytest.mark.telegram_errors
async def test_a_blocked_person_is_recorded_skipped_and_taken_back(
    bot, world: World, db, today
) -> None:
    bot.transport.block(INSPECTOR.id)
    bot.transport.gone.add(SERVICE.id)  # deleted their account: "chat not found"
    delivery = TelegramDelivery(bot.app.bot, db, ChatPacer(TICK))
    everyone = [notice(db, t.id, "早上好") for t in (CONTRACTOR_A, INSPECTOR, SERVICE)]

    async def run(day: date) -> list[int]:
        result = await push(
            db=db,
            delivery=delivery,
            kind=PushKind.morning,
            project_id=world.project_id,
            day=day,
            notices=everyone,
        )
        return result.blocked

    assert await run(today) == [everyone[1].user_id, everyone[2].user_id]
    assert log_rows(db, today)[SERVICE.id].reason == "Chat not found"
    row = log_rows(db, today)[INSPECTOR.id]
    assert (row.status, row.reason) == (
        PushStatus.blocked,
        "Forbidden: bot was blocked by the user",
    )
    assert db.run(lambda session: tg_blocked(session, INSPECTOR.id)) is not None

    # The next day they are skipped without a try, and the log says why.
    tried = len(bot.transport.calls_of("sendMessage"))
    assert await run(today + timedelta(days=1)) == [everyone[1].user_id, everyone[2].user_id]
    assert len(bot.transport.calls_of("sendMessage")) == tried + 1  # only the contractor's
    row = log_rows(db, today + timedelta(days=1))[INSPECTOR.id]
    assert row.status is PushStatus.blocked and row.reason.startswith("skipped: blocked the bot")
    assert row.attempts == 0

    # They unblock the bot and write: the next push reaches them.
    bot.transport.blocked.discard(INSPECTOR.id)
    await bot.chat(INSPECTOR).send("/help")
    assert db.run(lambda session: tg_blocked(session, INSPECTOR.id)) is None
    assert await run(today + timedelta(days=2)) == [everyone[2].user_id]  # the other, not back
    assert log_rows(db, today + timedelta(days=2))[INSPECTOR.id].status is PushStatus.sent
    assert sorted(c.error for c in bot.transport.errors) == [
        "Bad Request: chat not found",
        "Forbidden: bot was blocked by the user",
    ]


@pytest.mark.telegram_errors
async def test_one_failing_recipient_never_stops_the_others(bot, world: World, db, today) -> None:
    # Markup Telegram refuses (a tag left open is closed by the one renderer, as in replies).
    broken_html = notice(db, CONTRACTOR_A.id, "<blink>未闭合</blink>")
    # A job's bug for one person: a row of buttons given as a bare Choice (not a tuple of them).
    bad_row = Choice("看", "x:1")
    buggy = Notice(user_id(db, CONTRACTOR_B.id), "清单", choices=(bad_row,))
    long_caption = notice(
        db,
        ADMIN.id,
        "清单",
        Attachment("a.pdf", PDF, caption="长" * 1025),
        Attachment("b.pdf", PDF),
    )
    fine = [notice(db, t.id, "早上好") for t in (INSPECTOR, MANAGER, SERVICE)]

    result = await push(
        db=db,
        delivery=TelegramDelivery(bot.app.bot, db, ChatPacer(TICK)),
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=[broken_html, buggy, long_caption, *fine],
    )

    assert result.failed == [broken_html.user_id, buggy.user_id, long_caption.user_id]
    assert result.sent == [n.user_id for n in fine]
    rows = log_rows(db, today)
    assert len(rows) == 6 and all(r.status is not PushStatus.sending for r in rows.values())
    assert rows[CONTRACTOR_A.id].reason.startswith("Can't parse entities")
    assert rows[CONTRACTOR_B.id].reason.startswith("TypeError")
    assert rows[ADMIN.id].reason == "part 2 of 3: Message caption is too long"
    assert kinds(bot.transport, ADMIN.id) == ["text"]  # the text went; nothing after the refusal
    first_of = list(dict.fromkeys(m.chat_id for m in bot.transport.outbox))
    assert first_of == [ADMIN.id, INSPECTOR.id, MANAGER.id, SERVICE.id]  # in the notices' order


async def test_a_5xx_or_a_time_out_is_tried_again_and_only_the_unsent_parts_go(
    bot, world: World, db, today
) -> None:
    bot.transport.fail(CONTRACTOR_A.id, status=500, after=1)  # its PDF is answered 500 once
    bot.transport.time_out(CONTRACTOR_B.id, times=2)  # its text times out twice
    bot.transport.fail(INSPECTOR.id, status=502, times=2, after=2)  # its chart: 502, twice
    delivery = TelegramDelivery(bot.app.bot, db, ChatPacer(TICK))
    delivery.backoff = FAST
    notices = [morning_notice(db, t.id) for t in (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR)]

    result = await push(
        db=db,
        delivery=delivery,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=notices,
    )

    assert result.sent == [n.user_id for n in notices]
    for person in (CONTRACTOR_A, CONTRACTOR_B, INSPECTOR):
        assert kinds(bot.transport, person.id) == ["text", "document", "photo"]  # each once
    assert sorted((int(c.params["chat_id"]), c.error) for c in bot.transport.unavailable) == [
        (INSPECTOR.id, "Bad Gateway"),
        (INSPECTOR.id, "Bad Gateway"),
        (CONTRACTOR_A.id, "Internal Server Error"),
        (CONTRACTOR_B.id, "Timed out"),
        (CONTRACTOR_B.id, "Timed out"),
    ]
    rows = log_rows(db, today)
    assert {t: (r.status, r.attempts, r.parts_sent) for t, r in rows.items()} == {
        CONTRACTOR_A.id: (PushStatus.sent, 4, 3),
        CONTRACTOR_B.id: (PushStatus.sent, 5, 3),
        INSPECTOR.id: (PushStatus.sent, 5, 3),
    }


async def test_a_part_failing_until_the_window_closes_is_failed_in_the_readers_words(
    bot, world: World, db, today
) -> None:
    bot.transport.fail(CONTRACTOR_A.id, status=500, times=1000, after=1)  # down for its PDF
    delivery = TelegramDelivery(bot.app.bot, db, ChatPacer(TICK))
    delivery.backoff = FAST
    notices = [morning_notice(db, t.id) for t in (CONTRACTOR_A, CONTRACTOR_B)]

    result = await push(
        db=db,
        delivery=delivery,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=notices,
        until=clock.now() + timedelta(seconds=0.3),
    )

    assert (result.failed, result.sent) == ([notices[0].user_id], [notices[1].user_id])
    assert kinds(bot.transport, CONTRACTOR_A.id) == ["text"]
    assert len(bot.transport.unavailable) >= 2  # tried again, not once
    row = log_rows(db, today)[CONTRACTOR_A.id]
    assert (row.status, row.why, row.parts_sent) == (PushStatus.failed, Undelivered.unavailable, 1)
    assert row.reason == "part 2 of 3: Internal Server Error"  # what Telegram said, for the log
    with db.session() as s:
        people.set_language(s, user_id=user_id(db, ADMIN.id), language="zh")
    shown = "\n".join(m.text for m in await bot.chat(ADMIN).send("/pushes"))
    why = t("zh", "pushes.why.unavailable")
    assert t("zh", "pushes.failed_line", name="Wang", reason=f"{why}（前 1 条已送达）") in shown
    assert "Internal" not in shown and "Error" not in shown


async def test_a_push_taken_over_sends_only_its_unsent_parts(bot, world: World, db, today) -> None:
    lost = morning_notice(db, CONTRACTOR_A.id)
    claim = db.run(
        pushes.claim,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        user_id=lost.user_id,
        by="dead-host:1",
        platform="telegram",
    )
    db.run(pushes.progress, push_id=claim.id, parts_sent=1)  # its text went, then it died
    with clock.pinned(clock.aware(claim.claimed_at) + pushes.STALE_CLAIM + timedelta(seconds=1)):
        result = await push(
            db=db,
            delivery=TelegramDelivery(bot.app.bot, db, ChatPacer(TICK)),
            kind=PushKind.morning,
            project_id=world.project_id,
            day=today,
            notices=[lost],
            by="live-host:2",
        )
    assert result.sent == [lost.user_id]
    assert kinds(bot.transport, CONTRACTOR_A.id) == ["document", "photo"]
    assert log_rows(db, today)[CONTRACTOR_A.id].parts_sent == 3


async def test_two_processes_on_one_database_send_each_push_once(
    settings: Settings, db: Database, world: World, today: date
) -> None:
    with db.session() as s:
        for n in range(40):
            people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(50_000 + n),
                name=f"Worker {n}",
                roles=[Role.contractor],
                contractor_id=world.huajian,
            )
    chats = [t.id for t in EVERYONE] + [50_000 + n for n in range(40)]
    notices = [notice(db, chat, f"早上好 {chat}") for chat in chats]
    transports = [OfflineTelegram(), OfflineTelegram()]
    databases = [Database(db.url), Database(db.url)]  # two processes: two engines, one file
    apps = [build_offline(settings, d, t) for d, t in zip(databases, transports, strict=True)]
    try:
        async with apps[0], apps[1]:
            results = await asyncio.gather(
                *(
                    push(
                        db=d,
                        delivery=TelegramDelivery(app.bot, db, ChatPacer(TICK)),
                        kind=PushKind.morning,
                        project_id=world.project_id,
                        day=today,
                        notices=notices,
                        by=f"bot-{i}",
                    )
                    for i, (d, app) in enumerate(zip(databases, apps, strict=True))
                )
            )
    finally:
        for d in databases:
            d.dispose()

    for chat in chats:
        got = sum(len(t.outbox_for(chat)) for t in transports)
        assert got == 1, f"chat {chat} got {got} messages"
    sent = results[0].sent + results[1].sent
    assert sorted(sent) == sorted(n.user_id for n in notices)
    assert sorted(results[0].taken) == sorted(results[1].sent)
    rows = log_rows(db, today)
    assert len(rows) == len(chats) and {r.status for r in rows.values()} == {PushStatus.sent}
    assert all(t.errors == [] and t.throttled == [] for t in transports)


async def test_a_claim_left_sending_by_a_dead_process_is_taken_over(
    bot, world: World, db, today
) -> None:
    lost = notice(db, CONTRACTOR_A.id, "早上好")
    claim = db.run(
        pushes.claim,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        user_id=lost.user_id,
        by="dead-host:1",
        platform="telegram",
    )
    assert claim.status is PushStatus.sending  # and then its process died

    async def run() -> list[int]:
        result = await push(
            db=db,
            delivery=TelegramDelivery(bot.app.bot, db, ChatPacer(TICK)),
            kind=PushKind.morning,
            project_id=world.project_id,
            day=today,
            notices=[lost],
            by="live-host:2",
        )
        return result.sent

    claimed_at = clock.aware(claim.claimed_at)
    assert await run() == []  # still fresh: it may be on its way
    with clock.pinned(claimed_at + pushes.STALE_CLAIM - timedelta(seconds=1)):
        assert await run() == []
    assert bot.transport.outbox_for(CONTRACTOR_A.id) == []
    with clock.pinned(claimed_at + pushes.STALE_CLAIM + timedelta(seconds=1)):
        assert await run() == [lost.user_id]
    row = log_rows(db, today)[CONTRACTOR_A.id]
    assert (row.status, row.claimed_by) == (PushStatus.sent, "live-host:2")
    assert kinds(bot.transport, CONTRACTOR_A.id) == ["text"]


async def test_offline_telegram_enforces_the_flood_limits(bot, world: World) -> None:
    transport, sent = bot.transport, bot.app.bot
    transport.limits = FloodLimits()  # Telegram's own: 30 a second, 1 a second to a chat
    transport.monotonic = lambda: 1000.0  # every send in the same instant, however slow the machine
    await sent.send_message(CONTRACTOR_A.id, "一")
    with pytest.raises(RetryAfter) as again:
        await sent.send_message(CONTRACTOR_A.id, "二")
    assert again.value.retry_after == 1  # whole seconds, as the Bot API answers

    for chat in range(70_000, 70_029):  # 29 more chats in the same second: 30 in all
        await sent.send_message(chat, "好")
    with pytest.raises(RetryAfter):
        await sent.send_message(70_100, "第三十一条")
    assert [c.error for c in transport.throttled] == ["Too Many Requests: retry after 1"] * 2
    assert len(transport.sends()) == 30 and transport.errors == []


async def test_offline_telegram_counts_a_sliding_second_not_a_bucket(bot, world: World) -> None:
    transport, sent = bot.transport, bot.app.bot
    transport.limits = FloodLimits()
    now = [1000.0]
    transport.monotonic = lambda: now[0]
    for chat in range(70_000, 70_030):  # Telegram's whole second, at once
        await sent.send_message(chat, "好")
    now[0] = 1000.5  # a bucket refilled by the second would take 15 more now; Telegram none
    with pytest.raises(RetryAfter):
        await sent.send_message(70_100, "太早")
    now[0] = 1001.0  # the first 30 are a second old: the next 30 fit, and no more
    for chat in range(70_100, 70_130):
        await sent.send_message(chat, "好")
    with pytest.raises(RetryAfter):
        await sent.send_message(70_200, "又满了")
    # To one chat: one in any second, however long before it the chat was quiet.
    now[0] = 1005.0
    await sent.send_message(CONTRACTOR_A.id, "一")
    now[0] = 1005.9
    with pytest.raises(RetryAfter):
        await sent.send_message(CONTRACTOR_A.id, "二")
    now[0] = 1006.0
    await sent.send_message(CONTRACTOR_A.id, "二")
    assert len(transport.throttled) == 3 and len(transport.sends()) == 62
    assert transport.errors == []


def most_in_a_second(times: list[float], window: float = 1.0) -> int:
    """Return the most sends that arrived within any sliding `window` (one ending at each)."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered if end - window < t <= end) for end in ordered), default=0)


async def test_a_real_run_holds_the_limit_in_every_sliding_second(
    settings: Settings, db: Database, world: World, today: date
) -> None:
    with db.session() as s:
        for n in range(45):
            people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(60_000 + n),
                name=f"Worker {n}",
                roles=[Role.contractor],
                contractor_id=world.huajian,
            )
    chats = [60_000 + n for n in range(45)]
    transport = OfflineTelegram(limits=FloodLimits())  # Telegram's: 30 in any second
    app = build_offline(settings, db, transport, limiter=rate_limiter())
    async with app:
        result = await push(
            db=db,
            delivery=TelegramDelivery(app.bot, db),
            kind=PushKind.morning,
            project_id=world.project_id,
            day=today,
            notices=[notice(db, chat, "早上好") for chat in chats],
        )
    assert len(result.sent) == len(chats)
    assert sorted(m.chat_id for m in transport.outbox) == chats  # each once
    assert transport.throttled == [] and transport.errors == []  # never a 429
    assert most_in_a_second([c.at for c in transport.sends()]) <= SENDS_PER_SECOND


async def test_the_rate_limiter_waits_out_a_429_as_ptb_does(
    settings: Settings, db: Database, world: World
) -> None:
    transport = OfflineTelegram(limits=FloodLimits())
    app = build_offline(settings, db, transport, limiter=rate_limiter())
    transport.throttle(CONTRACTOR_A.id, retry_after=1)
    async with app:
        await app.bot.send_message(CONTRACTOR_A.id, "早上好")  # no RetryAfter reaches the caller
    first, second = transport.calls_of("sendMessage")
    assert first.error == "Too Many Requests: retry after 1" and second.error is None
    assert second.at - first.at >= 1.1  # every request held retry_after + 0.1 s
