"""WeCom as a second front end of the one core: the repair loop from one scenario on both
platforms, and WeCom's callbacks refused when forged, stale or replayed, and old cards dead."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlmodel import select

from bot.wecom.delivery import MEMBER_WINDOWS
from bot.wecom.offline import OfflineWeCom, Sent
from bot.wecom.sender_side import callback, image_message, template_card_event, text_message
from bot.wecom.serve import WeComServer, build_wecom
from jobs.pacing import MemberPacer
from models import clock, people
from models.db import Database
from models.settings import Settings
from models.tables import Action, Event, Item, ItemState, Photo
from tests.conftest import CONTRACTOR_A, INSPECTOR, PNG, World

# Tencent's sample EncodingAESKey (WXBizMsgCrypt), and a token of our own.
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "QDG6eK"
# The world's people as WeCom members (their WeCom userid), beside their Telegram ids.
WECOM_IDS = {CONTRACTOR_A.id: "WangWei", INSPECTOR.id: "LiNa"}
CAST = {"contractor": CONTRACTOR_A, "inspector": INSPECTOR}


@dataclass(frozen=True)
class Step:
    """One thing a person does, and what must show after it (`{leak}`: the item's id).

    A press is of a button the person was shown (WeCom cannot press data no card offers).
    """

    who: str  # a CAST name
    action: str  # send (a text or /command), photo (its caption in arg), press (a choice's data)
    arg: str = ""
    see: tuple[str, ...] = ()  # in what `who` sees after the step
    photos: int = 0  # at least this many photos shown to `who`
    tell: tuple[str, tuple[str, ...]] | None = None  # a CAST name and what they are told


# The article's loop: list, report with photo, to-check, fail, rework notice, repair, pass.
LOOP = (
    Step("contractor", "send", "/mylist", see=("#{leak}", "3-1-1202", "2 to repair")),
    Step("contractor", "press", "it:{leak}", see=("卫生间吊顶渗水", "to repair")),
    Step("contractor", "press", "rp:{leak}"),
    Step("contractor", "photo", "resealed the pipe"),
    Step("contractor", "press", "done:{leak}", see=("#{leak}", "reported done", "1 left")),
    Step("inspector", "send", "/tocheck", see=("#{leak}", "Building 3")),
    Step("inspector", "press", "ck:{leak}", see=("resealed the pipe",), photos=1),
    Step("inspector", "press", "fl:{leak}"),
    Step("inspector", "send", "still drips after rain"),
    Step("inspector", "photo", ""),
    Step(
        "inspector",
        "press",
        "done:{leak}",
        tell=("contractor", ("still drips after rain", "3-1-1202", "卫生间吊顶渗水")),
    ),
    Step("contractor", "send", "/mylist", see=("#{leak}", "rework×1")),
    Step("contractor", "press", "it:{leak}", see=("still drips after rain",)),
    Step("contractor", "press", "rp:{leak}"),
    Step("contractor", "photo", ""),
    Step("contractor", "send", "replaced the seal"),
    Step("contractor", "press", "done:{leak}", see=("1 left",)),
    Step("inspector", "send", "/tocheck", see=("#{leak}",)),
    Step("inspector", "press", "ck:{leak}"),
    Step("inspector", "press", "ps:{leak}", see=("passed and closed",)),
)


@dataclass
class Seen:
    """What a person saw after a step, and what others were told in it, as plain text."""

    text: str
    photos: int
    told: dict[str, str] = field(default_factory=dict)  # CAST name -> what they got


class Driver(Protocol):
    """A chat platform's way of acting as a person of the cast."""

    async def act(self, who: str, action: str, arg: str) -> Seen:
        """Do the step as `who`; return what they saw and what the others got."""


class TelegramDriver:
    """The scenario over the offline Telegram (tests/conftest.py `bot`)."""

    def __init__(self, bot: object) -> None:
        self.bot = bot
        self.chats = {name: bot.chat(user) for name, user in CAST.items()}  # type: ignore[attr-defined]

    async def act(self, who: str, action: str, arg: str) -> Seen:
        """Send, send a photo or press as `who` in their Telegram chat."""
        chat = self.chats[who]
        if action == "send":
            shown = await chat.send(arg)
        elif action == "photo":
            shown = await chat.send_photo(PNG(len(arg) % 200 + 1), caption=arg or None)
        else:
            shown = await chat.press(arg)
        text = "\n".join(m.text or "" for m in shown)
        answer = chat.last_callback_answer() if action == "press" else None
        if answer is not None and answer.text:
            text += "\n" + answer.text
        told = {
            name: "\n".join(m.text or "" for m in chat.last_step_events if m.chat_id == user.id)
            for name, user in CAST.items()
            if name != who
        }
        return Seen(text, sum(m.kind == "photo" for m in shown), told)


class WeComDriver:
    """The scenario over the offline WeCom: sealed callbacks posted to the real receiver app."""

    def __init__(self, wecom: OfflineWeCom, server: WeComServer, client: TestClient) -> None:
        self.wecom = wecom
        self.server = server
        self.client = client

    async def post(self, message: str) -> int:
        """Post a member's message as WeCom does; wait until the chat has done with it."""
        sealed = callback(self.server.crypto, message)
        before = self.server.chat.handled
        response = await self.client.post(
            "/wecom/callback", params=sealed.query(), data=sealed.body
        )
        if response.status == 200:
            await self.settled(before)
        return response.status

    async def settled(self, before: int, *, timeout: float = 10.0) -> None:
        """Wait until the chat handled one more input than `before`, and nothing is running."""

        async def done() -> None:
            while self.server.chat.handled <= before:
                await asyncio.sleep(0.01)
            await self.server.chat.idle()

        await asyncio.wait_for(done(), timeout)

    async def act(self, who: str, action: str, arg: str) -> Seen:
        """Write, send a photo or press a card's button as `who` in WeCom."""
        corp, user = self.wecom.corp_id, WECOM_IDS[CAST[who].id]
        marks = {name: len(self.wecom.messages_to(WECOM_IDS[u.id])) for name, u in CAST.items()}
        if action == "send":
            await self.post(text_message(corp_id=corp, user=user, content=arg))
        elif action == "photo":
            media = self.wecom.add_member_media(PNG(len(arg) % 200 + 1), "photo.png")
            await self.post(image_message(corp_id=corp, user=user, media_id=media))
            if arg:  # WeCom's image message has no caption: the note follows as a text
                await self.post(text_message(corp_id=corp, user=user, content=arg))
        else:
            click = self.wecom.press(user, arg)
            await self.post(
                template_card_event(
                    corp_id=corp,
                    user=user,
                    event_key=click.key,
                    task_id=click.task_id,
                    response_code=click.response_code,
                )
            )
        got = {
            name: self.wecom.messages_to(WECOM_IDS[u.id])[marks[name] :] for name, u in CAST.items()
        }
        mine = got.pop(who)
        return Seen(
            "\n".join(_visible(m) for m in mine),
            sum(m.msgtype == "image" for m in mine),
            {name: "\n".join(_visible(m) for m in sent) for name, sent in got.items()},
        )


def _visible(sent: Sent) -> str:
    """Return what a member reads of a message: a text, or a card's titles and buttons."""
    if sent.msgtype == "text":
        return sent.text or ""
    if sent.msgtype == "template_card":
        card = sent.content
        title = card.get("main_title", {})
        parts = [title.get("title", ""), title.get("desc", ""), card.get("sub_title_text", "")]
        parts += [b.get("text", "") for b in card.get("button_list", [])]
        return "\n".join(p for p in parts if p)
    return ""


async def run_scenario(driver: Driver, steps: tuple[Step, ...], world: World) -> None:
    """Play the steps through a driver, checking each one's expectations."""
    ids = {"leak": world.items["leak"]}
    for number, step in enumerate(steps, start=1):
        seen = await driver.act(step.who, step.action, step.arg.format(**ids))
        where = f"step {number} ({step.who} {step.action} {step.arg!r})"
        for wanted in step.see:
            assert wanted.format(**ids) in seen.text, f"{where}: {wanted!r} not in {seen.text!r}"
        assert seen.photos >= step.photos, f"{where}: {seen.photos} photos shown"
        if step.tell is not None:
            whom, words = step.tell
            for wanted in words:
                assert wanted in seen.told[whom], f"{where}: {whom} not told {wanted!r}"


def _speak_english(db: Database) -> None:
    """Store English for the cast: WeCom says no language, Telegram's app said English."""
    with db.session() as s:
        for user in CAST.values():
            person = people.find_person(s, platform="telegram", account=str(user.id))
            people.set_language(s, user_id=person.id, language="en")


def _loop_closed(db: Database, item_id: int) -> None:
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item.state is ItemState.closed and item.rework_count == 1
        events = s.exec(select(Event).where(Event.item_id == item_id).order_by(Event.id)).all()
        assert [e.action for e in events] == [
            Action.raise_,
            Action.report_repaired,
            Action.fail,
            Action.report_repaired,
            Action.pass_,
        ]


@pytest.fixture
def wecom_settings(settings: Settings) -> Settings:
    """Return the test settings with a WeCom app (the offline one's corp, agent and secret)."""
    offline = OfflineWeCom()
    return settings.model_copy(
        update={
            "wecom_corp_id": offline.corp_id,
            "wecom_agent_id": str(offline.agent_id),
            "wecom_secret": SecretStr(offline.secret),
            "wecom_token": SecretStr(TOKEN),
            "wecom_encoding_aes_key": SecretStr(AES_KEY),
        }
    )


@pytest.fixture
async def wecom(wecom_settings: Settings, db: Database, world: World) -> AsyncIterator[WeComDriver]:
    """Serve the WeCom front end over the offline WeCom; the cast joined by their WeCom ids."""
    with db.session() as s:
        for telegram_id, account in WECOM_IDS.items():
            person = people.find_person(s, platform="telegram", account=str(telegram_id))
            people.link_identity(s, user_id=person.id, platform="wecom", account=account)
    offline = OfflineWeCom()
    offline.add_member(*WECOM_IDS.values())
    with waiting_skips_ahead() as members:
        server = build_wecom(
            wecom_settings, db, client=offline.client(), rhythm_timer=False, members=members
        )
        async with TestClient(TestServer(server.app)) as client:
            yield WeComDriver(offline, server, client)
    # Nothing was dropped over WeCom's 30 a minute per member, nor cut over its limits.
    offline.assert_clean()


@contextlib.contextmanager
def waiting_skips_ahead(
    windows: Sequence[tuple[float, int]] = MEMBER_WINDOWS,
) -> Iterator[MemberPacer]:
    """Return a member pacer whose waits move the product clock on instead of sleeping."""
    ahead = timedelta()
    ticking = clock.set_source(lambda: ticking() + ahead)

    async def skip(seconds: float) -> None:
        nonlocal ahead
        ahead += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    try:
        yield MemberPacer(windows, clock=lambda: clock.now().timestamp(), sleep=skip)
    finally:
        clock.set_source(ticking)


async def test_repair_loop_on_telegram(bot: object, world: World, db: Database) -> None:
    _speak_english(db)
    await run_scenario(TelegramDriver(bot), LOOP, world)
    _loop_closed(db, world.items["leak"])


async def test_repair_loop_on_wecom(wecom: WeComDriver, world: World, db: Database) -> None:
    _speak_english(db)
    await run_scenario(wecom, LOOP, world)
    _loop_closed(db, world.items["leak"])
    wang = WECOM_IDS[CONTRACTOR_A.id]
    # Every card pressed along the way was greyed out: none can be pressed twice.
    assert all(not c.live for c in wecom.wecom.cards_to(wang) if c.pressed is not None)


def _sent_count(wecom: WeComDriver) -> int:
    return sum(len(wecom.wecom.messages_to(a)) for a in WECOM_IDS.values())


async def test_forged_callback_refused_and_logged(
    wecom: WeComDriver, caplog: pytest.LogCaptureFixture
) -> None:
    sealed = callback(
        wecom.server.crypto,
        text_message(corp_id=wecom.wecom.corp_id, user="WangWei", content="/mylist"),
    )
    query = {**sealed.query(), "msg_signature": "0" * 40}
    with caplog.at_level(logging.WARNING):
        response = await wecom.client.post("/wecom/callback", params=query, data=sealed.body)
    assert response.status == 403
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert _sent_count(wecom) == 0


async def test_stale_callback_refused(wecom: WeComDriver, caplog: pytest.LogCaptureFixture) -> None:
    old = str(int(clock.now().timestamp()) - 301)
    message = text_message(corp_id=wecom.wecom.corp_id, user="WangWei", content="/mylist")
    sealed = callback(wecom.server.crypto, message, timestamp=old)
    with caplog.at_level(logging.WARNING):
        response = await wecom.client.post(
            "/wecom/callback", params=sealed.query(), data=sealed.body
        )
    assert response.status == 403
    assert any("timestamp" in r.getMessage() for r in caplog.records)
    assert _sent_count(wecom) == 0


async def test_replayed_callback_ignored(
    wecom: WeComDriver, caplog: pytest.LogCaptureFixture
) -> None:
    message = text_message(corp_id=wecom.wecom.corp_id, user="WangWei", content="/mylist")
    sealed = callback(wecom.server.crypto, message)
    before = wecom.server.chat.handled
    first = await wecom.client.post("/wecom/callback", params=sealed.query(), data=sealed.body)
    await wecom.settled(before)
    answered = _sent_count(wecom)
    assert first.status == 200 and answered > 0
    with caplog.at_level(logging.WARNING):
        again = await wecom.client.post("/wecom/callback", params=sealed.query(), data=sealed.body)
    assert again.status == 200  # so that WeCom stops retrying
    await wecom.server.chat.idle()
    assert _sent_count(wecom) == answered
    assert any("already seen" in r.getMessage() for r in caplog.records)


async def test_old_card_pressed_again_changes_nothing(
    wecom: WeComDriver, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    leak = world.items["leak"]
    await wecom.act("contractor", "send", "/mylist")
    await wecom.act("contractor", "press", f"it:{leak}")
    card = wecom.wecom.last_card("WangWei")
    click = wecom.wecom.press("WangWei", f"rp:{leak}", card=card)
    press = {
        "corp_id": wecom.wecom.corp_id,
        "user": "WangWei",
        "event_key": click.key,
        "task_id": click.task_id,
        "response_code": click.response_code,
    }
    await wecom.post(template_card_event(**press))
    assert card.pressed is not None  # greyed out: WeCom shows it unpressable
    with db.session() as s:
        before = s.get(Item, leak).version
    sent = _sent_count(wecom)
    # The same card's button again, a second later (a stale client, or a forged replay).
    later = int(clock.now().timestamp()) + 1
    with caplog.at_level(logging.WARNING):
        await wecom.post(template_card_event(**press, created=later))
    assert _sent_count(wecom) == sent
    assert any("pressed again" in r.getMessage() for r in caplog.records)
    with db.session() as s:
        assert s.get(Item, leak).version == before


async def test_a_voice_message_is_answered(wecom: WeComDriver) -> None:
    from bot.wecom.sender_side import inner_xml

    voice = inner_xml(
        {
            "ToUserName": wecom.wecom.corp_id,
            "FromUserName": "WangWei",
            "CreateTime": int(clock.now().timestamp()),
            "MsgType": "voice",
            "MediaId": "v1",
            "MsgId": "77",
            "AgentID": wecom.wecom.agent_id,
        }
    )
    await wecom.post(voice)
    assert wecom.wecom.texts_to("WangWei")


async def test_a_photo_posted_twice_is_one_photo_on_the_report(
    wecom: WeComDriver, world: World, db: Database
) -> None:
    wall = world.items["wall"]
    await wecom.act("contractor", "send", "/mylist")
    await wecom.act("contractor", "press", f"it:{wall}")
    await wecom.act("contractor", "press", f"rp:{wall}")
    corp = wecom.wecom.corp_id
    media = wecom.wecom.add_member_media(PNG(31), "photo.png")
    photo = image_message(corp_id=corp, user="WangWei", media_id=media, msg_id="5001")
    # WeCom posts a callback again (same MsgId) when it missed our 200: answered, not redone.
    assert await wecom.post(photo) == 200
    sealed = callback(wecom.server.crypto, photo)
    again = await wecom.client.post("/wecom/callback", params=sealed.query(), data=sealed.body)
    assert again.status == 200
    # The same media sent in a new message (a member resending) is no second photo either.
    await wecom.post(image_message(corp_id=corp, user="WangWei", media_id=media, msg_id="5002"))
    other = wecom.wecom.add_member_media(PNG(32), "photo.png")
    await wecom.post(image_message(corp_id=corp, user="WangWei", media_id=other, msg_id="5003"))
    await wecom.act("contractor", "press", f"done:{wall}")
    with db.session() as s:
        stored = s.exec(select(Photo).where(Photo.item_id == wall)).all()
        assert len(stored) == 2 and len({p.sha256 for p in stored}) == 2


async def test_workbook_through_a_one_time_upload_link(wecom: WeComDriver) -> None:
    await wecom.act("contractor", "send", "/upload")
    said = wecom.wecom.texts_to("WangWei")[-1]
    link = said.rsplit("\n", 1)[-1]
    path = link.split("://", 1)[1].split("/", 1)[1]
    # WeCom's browser signs the member in (tests/test_wecom_upload.py: everything else).
    away = await wecom.client.get("/" + path, allow_redirects=False)
    back = wecom.wecom.authorize(away.headers["Location"], "WangWei")
    page = await wecom.client.get("/" + back.split("://", 1)[1].split("/", 1)[1])
    assert page.status == 200 and 'type="file"' in await page.text()
    before = wecom.server.chat.handled
    form = FormData()
    form.add_field("file", b"not,a,workbook\n", filename="items.csv", content_type="text/csv")
    answered = len(wecom.wecom.texts_to("WangWei"))
    sent = await wecom.client.post("/" + path, data=form)
    assert sent.status == 200
    await wecom.settled(before)
    # The file reached the core as the member's own: it is answered in WeCom.
    assert len(wecom.wecom.texts_to("WangWei")) > answered
    # Used up: the link opens nothing a second time.
    assert (await wecom.client.get("/" + path)).status == 404


async def test_stranger_gets_no_upload_link(wecom: WeComDriver) -> None:
    wecom.wecom.add_member("Nobody")
    corp = wecom.wecom.corp_id
    await wecom.post(text_message(corp_id=corp, user="Nobody", content="/upload"))
    assert "/wecom/upload/" not in "\n".join(wecom.wecom.texts_to("Nobody"))


async def test_console_over_the_offline_wecom(
    wecom_settings: Settings, db: Database, world: World, tmp_path: Path
) -> None:
    from bot.wecom.console import run_wecom_console

    offline = OfflineWeCom()
    server = build_wecom(wecom_settings, db, client=offline.client(), rhythm_timer=False)
    leak = world.items["leak"]
    out = io.StringIO()
    lines = io.StringIO("/mylist\n:press 1\n:press 1\n:quit\n")
    code = await run_wecom_console(
        server, offline, db, stdin=lines, stdout=out, persona=CONTRACTOR_A.id, files_dir=tmp_path
    )
    shown = out.getvalue()
    assert code == 0
    assert f"#{leak} 3-1-1202" in shown  # the list, then its card's buttons numbered
    assert "卫生间吊顶渗水" in shown  # button 1 opened the item
    assert "Repa" in shown or "维修" in shown  # its card offers the repair
    await server.api.aclose()
