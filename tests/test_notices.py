"""What a flow tells other people, on Telegram and on WeCom: the actor's own reply always, then
each notice on its own, delivered or logged as missed (and shown in /pushes in the reader's
language), with people who cannot be reached, or must be waited for, among those told."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.telegram.offline import OfflineUser
from handlers.i18n import t
from jobs.sender import Backoff, ChatPacer
from models import people
from models.db import Database
from models.settings import Settings
from models.tables import AppUser, NoticeLog, Platform, PushStatus, Role, Undelivered
from tests.conftest import ADMIN, CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, World, texts, tg
from tests.test_rhythm import report_leak
from tests.wecom_member import visible, wecom_desk

QIAN = OfflineUser(id=2003, first_name="Qian", language_code="zh")
WU = OfflineUser(id=2004, first_name="Wu", language_code="zh")
FAST = Backoff(first=0.01, most=0.05)


def notice_log(db: Database) -> dict[str, tuple[PushStatus, Undelivered | None]]:
    """Return how each notice ended, by the person's name."""
    with db.session() as s:
        rows = s.exec(select(AppUser.name, NoticeLog).join(NoticeLog)).all()
        return {name: (row.status, row.why) for name, row in rows}


def add_people(world: World, db: Database, firm: int, *people_: tuple[str, str, str]) -> None:
    """Add a contractor's people, each (name, platform, account)."""
    with db.session() as s:
        for name, platform, account in people_:
            people.add_member(
                s,
                project_id=world.project_id,
                platform=platform,
                account=account,
                name=name,
                roles=[Role.contractor],
                contractor_id=firm,
            )


def speak_chinese(db: Database, telegram_id: int) -> None:
    with db.session() as s:
        people.set_language(s, user_id=tg(s, telegram_id), language="zh")


def assert_shown_in_chinese(shown: str, missed: dict[str, Undelivered], sent: int) -> None:
    """The admin's /pushes names who missed what and why, in Chinese, and counts the rest."""
    assert t("zh", "pushes.notices", n=sent) in shown
    for name, why in missed.items():
        assert f"{name}：{t('zh', f'pushes.why.{why.value}')}" in shown
    # What the platform said (English) stays in the log and the database.
    assert not re.search(r"(?i)forbidden|account|errcode|blocked|invalid", shown)


@pytest.mark.telegram_errors
async def test_on_telegram_one_unreachable_person_never_silences_the_others(
    bot, world: World, db: Database
) -> None:
    # Mingda's people besides Zhao: Qian blocked the bot, Feng is on WeCom only, and Telegram
    # asks the bot to wait before the message to Wu.
    add_people(
        world,
        db,
        world.mingda,
        ("Qian", Platform.telegram, str(QIAN.id)),
        ("Feng", Platform.wecom, "FengYi"),
        ("Wu", Platform.telegram, str(WU.id)),
    )
    bot.transport.block(QIAN.id)
    bot.transport.throttle(WU.id, retry_after=0.05)
    bot.transport.fail(CONTRACTOR_B.id, status=502)  # and Zhao's is answered 502 once
    delivery = bot.app.bot_data["delivery"]
    delivery.backoff, delivery.pacer = FAST, ChatPacer(0.1)  # the waits shrunk
    speak_chinese(db, ADMIN.id)
    admin = bot.chat(ADMIN)
    leak = world.items["leak"]

    shown = texts(await admin.send(f"/reassign {leak} 明达水电"))

    assert t("zh", "reassign.done", id=leak, contractor="明达水电") in shown
    assert t("zh", "error.internal") not in texts(bot.transport.outbox_for(ADMIN.id))
    told = t("zh", "notify.reassigned", id=leak)
    for person in (CONTRACTOR_B, WU):
        got = bot.transport.outbox_for(person.id)
        assert len(got) == 1 and told in got[0].text, person
    assert bot.transport.outbox_for(QIAN.id) == []
    assert notice_log(db) == {
        "Wang": (PushStatus.sent, None),  # of Huajian, which the item was taken from
        "Zhao": (PushStatus.sent, None),
        "Wu": (PushStatus.sent, None),
        "Qian": (PushStatus.blocked, Undelivered.blocked),
        "Feng": (PushStatus.blocked, Undelivered.no_account),
    }
    missed = {"Qian": Undelivered.blocked, "Feng": Undelivered.no_account}
    assert_shown_in_chinese(texts(await admin.send("/pushes")), missed, sent=3)


# -- WeCom ----------------------------------------------------------------------------------

WANG, LI, CHEN, SUN, WU_WECOM = "WangWei", "LiNa", "ChenJie", "SunLi", "WuFan"


async def test_on_wecom_one_unreachable_person_never_silences_the_others(
    settings: Settings, world: World, db: Database
) -> None:
    # Huajian's people besides Wang: Sun (not in the app's visible range: WeCom answers 81013),
    # Wu, and Qian (on Telegram only).
    add_people(
        world,
        db,
        world.huajian,
        ("Sun", Platform.wecom, SUN),
        ("Wu", Platform.wecom, WU_WECOM),
        ("Qian", Platform.telegram, str(QIAN.id)),
    )
    report_leak(db, world)
    leak = world.items["leak"]
    accounts = {CONTRACTOR_A.id: WANG, INSPECTOR.id: LI, ADMIN.id: CHEN}
    async with wecom_desk(settings, db, accounts) as desk:
        offline = desk.driver.wecom
        offline.add_member(WU_WECOM)
        desk.driver.server.delivery.backoff = FAST
        # Wu's member limit is reached: WeCom answers their first message 45009.
        offline.fail("message/send", 45009, user=WU_WECOM)
        offline.fail_http("message/send", 502, user=WANG)  # and Wang's is answered 502 once
        inspector = desk.member(LI)
        await inspector.send("/tocheck")
        await inspector.press(f"ck:{leak}")
        await inspector.press(f"fl:{leak}")
        await inspector.send("还在滴水")

        shown = await inspector.press(f"done:{leak}")

        assert "验收不合格" in shown and t("zh", "error.internal") not in shown
        told = t("zh", "notify.rework", id=leak, reason="还在滴水")
        for member in (WANG, WU_WECOM):
            got = [m for m in offline.messages_to(member) if told in visible(m)]
            assert len(got) == 1, member
        assert offline.messages_to(SUN) == []
        assert notice_log(db) == {
            "Wang": (PushStatus.sent, None),
            "Wu": (PushStatus.sent, None),
            "Sun": (PushStatus.blocked, Undelivered.blocked),
            "Qian": (PushStatus.blocked, Undelivered.no_account),
        }
        missed = {"Sun": Undelivered.blocked, "Qian": Undelivered.no_account}
        assert_shown_in_chinese(await desk.member(CHEN).send("/pushes"), missed, sent=2)
