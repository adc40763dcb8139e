"""WeCom's API client, cards, pacing and delivery against the offline WeCom (no network)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from bot.wecom import cards
from bot.wecom.api import SlowDown, WeComAPI, WeComError, mask
from bot.wecom.delivery import MEMBER_WINDOWS, MemberPacer, WeComDelivery
from bot.wecom.offline import OfflineWeCom
from bot.wecom.render import plain, split_text
from jobs.notices import Attachment, Choice, Notice
from jobs.sender import Backoff, ChatPacer, push
from models import clock, people
from models.db import Database
from models.tables import Identity, PushKind, PushLog, PushStatus, Undelivered
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, PNG, World, tg

SECRET = "s3cret-of-the-app-NEVER-LOGGED"
WANG, ZHAO, LI = "wangwei", "zhaolei", "lina"
PDF = b"%PDF-1.4\n%list\n"
FAST = Backoff(first=0.01, most=0.05)  # the pauses after a 5xx, shrunk


@pytest.fixture
def wecom() -> OfflineWeCom:
    """The offline WeCom with three members in the app's visible range."""
    return OfflineWeCom(secret=SECRET, members={WANG, ZHAO, LI})


@pytest.fixture
async def api(wecom: OfflineWeCom):
    """A client of the offline WeCom; fails the test if WeCom would have dropped or cut."""
    async with wecom.client() as client:
        yield WeComAPI(
            "https://qyapi.example",
            wecom.corp_id,
            SECRET,
            wecom.agent_id,
            client=client,
            slow_down=0.01,
        )
    wecom.assert_clean()


@contextlib.contextmanager
def later(by: timedelta) -> Iterator[None]:
    """Move the product clock on by `by` while the block runs."""
    source = clock.set_source(clock.now)  # the pinned source, to read through
    clock.set_source(lambda: source() + by)
    try:
        yield
    finally:
        clock.set_source(source)


class FakeTime:
    """A clock and a sleep that only move when slept on; the product clock moves with them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.start = clock.now()
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def product(self) -> datetime:
        return self.start + timedelta(seconds=self.now)


async def test_concurrent_sends_share_one_token(api: WeComAPI, wecom: OfflineWeCom) -> None:
    await asyncio.gather(*(api.send_text(WANG, f"第{n}条") for n in range(20)))
    assert wecom.gettoken_calls == 1
    assert len(wecom.texts_to(WANG)) == 20


@pytest.mark.parametrize("spoil", ["expire_tokens", "invalidate_tokens"])
async def test_a_refused_token_is_fetched_again_once(
    api: WeComAPI, wecom: OfflineWeCom, spoil: str
) -> None:
    await api.send_text(WANG, "一")
    getattr(wecom, spoil)()  # 42001 expired, 40014 invalid
    await api.send_text(WANG, "二")
    assert wecom.gettoken_calls == 2
    assert wecom.texts_to(WANG) == ["一", "二"]
    assert [e[1] for e in wecom.errors] == [42001 if spoil == "expire_tokens" else 40014]


async def test_a_token_is_refetched_before_its_expiry(wecom: OfflineWeCom) -> None:
    fake = FakeTime()
    async with wecom.client() as client:
        api = WeComAPI(
            "http://x", wecom.corp_id, SECRET, wecom.agent_id, client=client, clock=fake.clock
        )
        await api.send_text(WANG, "早")
        fake.now += 7200 - 301
        await api.send_text(WANG, "中")
        assert wecom.gettoken_calls == 1
        fake.now += 2
        await api.send_text(WANG, "晚")
        assert wecom.gettoken_calls == 2  # within the last 5 minutes: a new one, unasked


async def test_a_token_refused_twice_is_an_error(api: WeComAPI, wecom: OfflineWeCom) -> None:
    wecom.fail("message/send", 40014, times=2)
    with pytest.raises(WeComError) as caught:
        await api.send_text(WANG, "x")
    assert caught.value.errcode == 40014 and wecom.gettoken_calls == 2


async def test_wrong_secret_is_refused(wecom: OfflineWeCom) -> None:
    async with wecom.client() as client:
        api = WeComAPI("http://x", wecom.corp_id, "wrong", wecom.agent_id, client=client)
        with pytest.raises(WeComError) as caught:
            await api.send_text(WANG, "x")
    assert caught.value.errcode == 40001


async def test_45009_is_a_slow_down_with_a_wait(api: WeComAPI, wecom: OfflineWeCom) -> None:
    wecom.fail("message/send", 45009)
    with pytest.raises(SlowDown) as caught:
        await api.send_text(WANG, "x")
    assert caught.value.errcode == 45009 and caught.value.seconds == 0.01
    assert wecom.texts_to(WANG) == []


async def test_secret_and_token_never_logged(
    wecom: OfflineWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    async with wecom.client() as client:
        api = WeComAPI("http://x", wecom.corp_id, SECRET, wecom.agent_id, client=client)
        await api.send_text(WANG, "你好")
        token = await api.token()
        wecom.fail("message/send", 60111)
        wecom.fail_http("media/upload", 502)
        for call in (api.send_text(WANG, "y"), api.upload_media("file", "a.pdf", PDF)):
            with pytest.raises(WeComError) as caught:
                await call
            errors.append(f"{caught.value!s} {caught.value!r}")

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError(f"cannot reach {request.url}")

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as broken:
            api = WeComAPI("http://x", wecom.corp_id, SECRET, wecom.agent_id, client=broken)
            with pytest.raises(WeComError) as caught:
                await api.send_text(WANG, "z")
            errors.append(f"{caught.value!s} {caught.value!r}")
    assert "access_token=***" in caplog.text  # httpx logged the URLs, masked
    for said in (caplog.text, *errors):
        assert SECRET not in said and token not in said
    assert "corpsecret=***" in errors[-1] or "***" in errors[-1]
    assert mask(f"?corpid=a&corpsecret={SECRET}&x=1") == "?corpid=a&corpsecret=***&x=1"


async def test_a_sign_in_code_names_its_member_once(
    api: WeComAPI, wecom: OfflineWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    back = "https://bot.example.cn/wecom/upload/T"
    address = (
        f"https://open.weixin.qq.com/connect/oauth2/authorize?appid={wecom.corp_id}"
        f"&redirect_uri={back}&response_type=code&scope=snsapi_base&state=s1"
        f"&agentid={wecom.agent_id}#wechat_redirect"
    )

    def code_of(returned: str) -> str:
        return returned.split("code=", 1)[1].split("&", 1)[0]

    returned = wecom.authorize(address, WANG)
    assert returned.startswith(back + "?code=") and returned.endswith("&state=s1")
    code = code_of(returned)
    with caplog.at_level(logging.DEBUG):
        assert await api.member_of_code(code) == WANG
    assert code not in caplog.text  # a one-time secret: masked in httpx's request log
    with pytest.raises(WeComError) as used:
        await api.member_of_code(code)  # once only
    assert used.value.errcode == 40029
    outsider = wecom.authorize(address, "someone-on-wechat")  # no member: an openid only
    assert await api.member_of_code(code_of(outsider)) is None
    late = code_of(wecom.authorize(address, WANG))
    with later(timedelta(minutes=6)), pytest.raises(WeComError):  # 5 minutes at most
        await api.member_of_code(late)
    assert mask("errcode=40029&code=abc") == "errcode=40029&code=***"


async def test_a_card_is_updated_once_and_then_cannot_be_pressed(
    api: WeComAPI, wecom: OfflineWeCom
) -> None:
    (card,) = cards.draw(
        "卫生间吊顶渗水", (((Choice("已修复", "rp:7"), Choice("非我方", "np:7")),)), lang="zh"
    ).cards
    answer = await api.send_card(WANG, card)
    assert answer["response_code"]
    click = wecom.press(WANG, "np:7")
    assert (click.task_id, click.key) == (card["task_id"], "np:7")
    await api.update_card(WANG, click.response_code, cards.pressed("已处理"))
    assert wecom.last_card(WANG).pressed == "已处理"
    with pytest.raises(WeComError) as caught:
        await api.update_card(WANG, click.response_code, cards.pressed("已处理"))
    assert caught.value.errcode == 42022
    with pytest.raises(LookupError):
        wecom.press(WANG, "rp:7")  # greyed out: the old card's buttons are gone


async def test_a_response_code_lasts_72_hours(api: WeComAPI, wecom: OfflineWeCom) -> None:
    (card,) = cards.draw("t", (((Choice("好", "ok:1"),),)), lang="zh").cards
    await api.send_card(WANG, card)
    click = wecom.press(WANG, "ok:1")
    with later(timedelta(hours=72, minutes=1)), pytest.raises(WeComError) as caught:
        await api.update_card(WANG, click.response_code, cards.pressed("好"))
    assert caught.value.errcode == 40058


async def test_media_round_trip(api: WeComAPI, wecom: OfflineWeCom) -> None:
    media_id = await api.upload_media("file", "3号楼待修清单.pdf", PDF)
    assert await api.get_media(media_id) == (PDF, "3号楼待修清单.pdf", "application/pdf")
    photo = wecom.add_member_media(PNG(3), "IMG_0001.png")  # a member sends the app a photo
    assert await api.get_media(photo) == (PNG(3), "IMG_0001.png", "image/png")
    with pytest.raises(WeComError) as caught:
        await api.get_media("nonsense")
    assert caught.value.errcode == 40007  # an errcode body, not taken as the file's bytes
    with later(timedelta(days=3, seconds=1)), pytest.raises(WeComError):
        await api.get_media(media_id)  # temporary media live 3 days


async def test_an_image_must_be_a_picture(api: WeComAPI) -> None:
    with pytest.raises(WeComError) as caught:
        await api.upload_media("image", "chart.png", PDF)
    assert caught.value.errcode == 40009


async def test_the_stand_in_also_serves_real_http(wecom: OfflineWeCom) -> None:
    async with wecom.served() as base_url, httpx.AsyncClient() as client:
        api = WeComAPI(base_url, wecom.corp_id, SECRET, wecom.agent_id, client=client)
        await api.send_text(LI, "经HTTP")
        media_id = await api.upload_media("image", "chart.png", PNG(9))
        await api.send_image(LI, media_id)
        assert await api.get_media(media_id) == (PNG(9), "chart.png", "image/png")
    assert wecom.texts_to(LI) == ["经HTTP"]
    assert [m.filename for m in wecom.files_to(LI)] == ["chart.png"]


async def test_the_pacer_holds_a_member_to_30_a_minute(wecom: OfflineWeCom) -> None:
    fake = FakeTime()
    before = clock.set_source(fake.product)
    try:
        pacer = MemberPacer(MEMBER_WINDOWS, clock=fake.clock, sleep=fake.sleep)
        async with wecom.client() as client:
            api = WeComAPI("http://x", wecom.corp_id, SECRET, wecom.agent_id, client=client)
            for n in range(95):
                async with pacer.turn(WANG):
                    await api.send_text(WANG, str(n))
                assert pacer.sent_within(WANG, 60) <= 30
    finally:
        clock.set_source(before)
    wecom.assert_clean()  # nothing dropped: the stand-in counts by the same (moved) clock
    assert len(wecom.texts_to(WANG)) == 95
    assert fake.now >= 180  # 95 messages: three full minutes of waiting, none of it real
    at = [m.at for m in wecom.messages_to(WANG)]
    assert all(at[i + 30] - at[i] >= timedelta(seconds=60) for i in range(len(at) - 30))


async def test_the_pacer_keeps_the_hour_too() -> None:
    fake = FakeTime()
    pacer = MemberPacer(((60.0, 30), (3600.0, 40)), clock=fake.clock, sleep=fake.sleep)
    for _ in range(41):
        async with pacer.turn("m"):
            pass
    assert fake.now >= 3600  # the 41st waited for the first to leave the hour
    assert pacer.wait("other") == 0


def test_flow_html_becomes_plain_text() -> None:
    source = '<b>今日待修</b> 3 项 &lt;渗水&gt; &amp; <code>#12</code>\n<a href="https://x.cn/a">清单</a>'
    assert plain(source) == "今日待修 3 项 <渗水> & #12\n清单 (https://x.cn/a)"


def test_long_text_splits_within_2048_bytes() -> None:
    lines = [f"#{n} 3-1-{n:04d} 卫生间吊顶渗水，墙面空鼓，需要返修" for n in range(200)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1 and all(len(c.encode()) <= 2048 for c in chunks)
    assert "\n".join(chunks) == text
    one_line = "渗" * 3000  # no line break at all: cut between characters, never inside one
    assert "".join(split_text(one_line)) == one_line


def test_cards_keep_the_limits() -> None:
    rows = tuple(
        (Choice(f"#{n} 3-1-{1200 + n}", f"it:{n}"), Choice(f"#{n + 1}", f"it:{n + 1}"))
        for n in range(0, 8, 2)
    ) + ((Choice("下一页", "ml:1"), Choice("打印", "pdf:ml"), Choice("又一次", "it:0")),)
    drawn = cards.draw("今日待修清单：华建装饰，共 10 项，最早的已 12 天" * 2, rows, lang="zh")
    built = drawn.cards
    assert len(built) == 2  # 10 distinct choices: two cards of up to 6 buttons
    keys = [b["key"] for c in built for b in c["button_list"]]
    assert keys == [f"it:{n}" for n in range(8)] + ["ml:1", "pdf:ml"]
    assert len({c["task_id"] for c in built}) == 2
    for card in built:
        assert card["card_type"] == "button_interaction"
        assert len(card["main_title"]["title"]) <= cards.TITLE_MAX
        assert len(card["button_list"]) <= cards.BUTTONS_MAX
        assert all(len(b["text"]) <= cards.BUTTON_TEXT_MAX for b in card["button_list"])
        assert cards.TASK_ID_RE.match(card["task_id"])
    first = built[0]
    # A title line too long for the title: the prompt goes below "请选择", with the full labels.
    assert first["main_title"]["title"] == "请选择 (1/2)"
    assert first["sub_title_text"].startswith("今日待修清单")
    # Labels too long for a button keep their head (the item's number); none look alike here.
    assert [b["text"] for b in first["button_list"][:3]] == ["#0 3-1-12…", "#1", "#2 3-1-12…"]
    assert cards.pressed("已处理完毕，谢谢你的反馈") == {
        "button": {"replace_name": "已处理完毕，谢谢你…"}
    }


# -- delivery through the one sender ---------------------------------------------------------


def user_ids(db: Database) -> dict[str, int]:
    """Link each test person to their WeCom account; return their AppUser.id by account."""
    with db.session() as s:
        ids = {
            WANG: tg(s, CONTRACTOR_A.id),
            ZHAO: tg(s, CONTRACTOR_B.id),
            LI: tg(s, INSPECTOR.id),
        }
        for account, user_id in ids.items():
            people.link_identity(s, user_id=user_id, platform="wecom", account=account)
        return ids


async def test_a_notice_with_text_choices_and_two_files(
    api: WeComAPI, wecom: OfflineWeCom, world: World, db: Database, today: date
) -> None:
    ids = user_ids(db)
    choices = tuple((Choice(f"#{n} 3-1-1202", f"it:{n}"),) for n in range(7))
    notice = Notice(
        ids[WANG],
        "<b>今日待修</b> 7 项 &amp; 返修 1 项",
        choices=choices,
        attachments=(
            Attachment("待修清单.pdf", PDF, caption="<b>待修清单</b>"),
            Attachment("chart.png", PNG(5), kind="photo"),
        ),
    )
    delivery = WeComDelivery(api, db)
    result = await push(
        db=db,
        delivery=delivery,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=[notice],
    )
    assert result.sent == [ids[WANG]]
    got = wecom.messages_to(WANG)
    # The short text is on the first card (one message per prompt), not sent before it.
    assert [m.msgtype for m in got] == ["template_card", "template_card", "file", "text", "image"]
    assert got[0].content["main_title"]["title"] == "今日待修 7 项 & 返修 1 项 (1/2)"
    assert [len(c.keys) for c in wecom.cards_to(WANG)] == [6, 1]
    assert got[3].text == "待修清单"
    assert [(f.filename, f.content) for f in wecom.files_to(WANG)] == [
        ("待修清单.pdf", PDF),
        ("chart.png", PNG(5)),
    ]


async def test_slow_down_and_server_errors_are_waited_out_and_nothing_goes_twice(
    api: WeComAPI, wecom: OfflineWeCom, world: World, db: Database, today: date
) -> None:
    ids = user_ids(db)
    notice = Notice(
        ids[ZHAO],
        "早上好",
        choices=((Choice("查看", "ml:0"),),),
        attachments=(Attachment("list.pdf", PDF),),
    )
    wecom.fail("message/send", 45009, times=1)
    wecom.fail_http("media/upload", 502, times=1)
    delivery = WeComDelivery(api, db, pacer=ChatPacer(0.0), backoff=FAST)
    result = await push(
        db=db,
        delivery=delivery,
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=[notice],
    )
    assert result.sent == [ids[ZHAO]]
    assert [m.msgtype for m in wecom.messages_to(ZHAO)] == ["template_card", "file"]
    with db.session() as s:
        (row,) = s.exec(select(PushLog).where(PushLog.day == today)).all()
    assert (row.status, row.attempts) == (PushStatus.sent, 4)


async def test_a_5xx_for_one_member_is_sent_again_once_and_the_others_go_on(
    api: WeComAPI, wecom: OfflineWeCom, world: World, db: Database, today: date
) -> None:
    ids = user_ids(db)
    wecom.fail_http("message/send", 500, times=2, user=ZHAO)
    notices = [Notice(ids[who], f"早上好 {who}") for who in (WANG, ZHAO, LI)]
    result = await push(
        db=db,
        delivery=WeComDelivery(api, db, backoff=FAST),
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=notices,
    )
    assert result.sent == [n.user_id for n in notices]
    for who in (WANG, ZHAO, LI):
        assert wecom.texts_to(who) == [f"早上好 {who}"]  # once each


async def test_a_part_failing_until_the_window_closes_is_failed_as_unavailable(
    api: WeComAPI, wecom: OfflineWeCom, world: World, db: Database, today: date
) -> None:
    ids = user_ids(db)
    wecom.fail_http("media/upload", 503, times=1000)
    notice = Notice(ids[ZHAO], "早上好", attachments=(Attachment("list.pdf", PDF),))
    result = await push(
        db=db,
        delivery=WeComDelivery(api, db, backoff=FAST),
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=[notice],
        until=clock.now() + timedelta(seconds=0.2),
    )
    assert result.failed == [ids[ZHAO]] and wecom.texts_to(ZHAO) == ["早上好"]
    with db.session() as s:
        (row,) = s.exec(select(PushLog).where(PushLog.day == today)).all()
    assert (row.status, row.why, row.parts_sent) == (PushStatus.failed, Undelivered.unavailable, 1)
    assert row.reason == "part 2 of 2: media/upload: errcode -1: HTTP 503"


async def test_a_member_out_of_reach_is_blocked(
    api: WeComAPI, wecom: OfflineWeCom, world: World, db: Database, today: date
) -> None:
    ids = user_ids(db)
    wecom.members.discard(LI)  # left the company, or out of the app's visible range: 81013
    with db.session() as s:  # WANG: no WeCom account linked
        wang = s.exec(select(Identity).where(Identity.account == WANG)).one()
        s.delete(wang)
        s.commit()
    notices = [
        Notice(ids[LI], "待验收 2 项"),
        Notice(ids[WANG], "待修 1 项"),
    ]
    result = await push(
        db=db,
        delivery=WeComDelivery(api, db),
        kind=PushKind.morning,
        project_id=world.project_id,
        day=today,
        notices=notices,
    )
    assert result.blocked == [ids[LI], ids[WANG]]  # WANG: no WeCom account linked
    assert [e[1] for e in wecom.errors] == [81013]


async def test_the_stand_in_drops_the_31st_message_in_a_minute_and_says_so(
    wecom: OfflineWeCom,
) -> None:
    async with wecom.client() as client:
        api = WeComAPI("http://x", wecom.corp_id, SECRET, wecom.agent_id, client=client)
        for n in range(31):
            await api.send_text(ZHAO, str(n))  # no pacer: WeCom answers ok to all 31
    assert len(wecom.texts_to(ZHAO)) == 30
    assert [m.text for m in wecom.drops] == ["30"]
    with pytest.raises(AssertionError, match="dropped 1"):
        wecom.assert_clean()


async def test_a_member_listed_as_invalid_is_an_error(api: WeComAPI, wecom: OfflineWeCom) -> None:
    wecom.members.discard(ZHAO)
    answer = await api.send_text(f"{WANG}|{ZHAO}", "两人")  # one of two: WeCom sends to the other
    assert answer["invaliduser"] == ZHAO
    with pytest.raises(WeComError) as caught:
        await api.send_text(ZHAO, "x")
    assert caught.value.unreachable


def test_the_wecom_adapter_loads_no_telegram() -> None:
    modules = "bot.wecom.api, bot.wecom.cards, bot.wecom.delivery, bot.wecom.offline"
    code = (
        f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('telegram')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
