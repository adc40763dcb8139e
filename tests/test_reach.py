"""An item reached the way people reach it: its number typed (/item 2423, or 2423 alone), the
QR code of a printed list (/start item_2423), the contractor told how their dispute ended, and
invites written with the roles' Chinese names. On the offline Telegram and the offline WeCom."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.telegram.offline import OfflineUser
from bot.wecom.offline import OfflineWeCom
from bot.wecom.sender_side import callback, template_card_event, text_message
from bot.wecom.serve import WeComServer, build_wecom
from handlers.i18n import t
from models import people
from models.db import Database
from models.errors import DomainError
from models.ids import MAX_ID
from models.links import item_start, parse_item_start
from models.people import create_invite, parse_invite, parse_roles
from models.repair import PhotoIn
from models.settings import Settings
from models.tables import AccessLog, Action, Invite, Item, ItemState, Role
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    PNG,
    SERVICE,
    STRANGER,
    World,
    move,
    texts,
    tg_person,
)
from tests.test_wecom_chat import _visible, waiting_skips_ahead, wecom_settings  # noqa: F401

S = ItemState
# Wang's workmate at 华建 and Zhao's at 明达, each reached on Telegram only.
WU = OfflineUser(id=2003, first_name="Wu", language_code="en")
ZHENG = OfflineUser(id=2004, first_name="Zheng", language_code="en")
# A contractor's foreman at 华建 who also checks other firms' repairs.
QIAN = OfflineUser(id=2005, first_name="Qian", language_code="en")


def keys(chat) -> set[str]:
    """Return the callback data of the latest keyboard in a chat."""
    return {data for row in chat.buttons() for _, data in row if data}


def reported(db: Database, item_id: int, bot=None, by: OfflineUser = CONTRACTOR_A) -> None:  # noqa: ANN001
    """Have the contractor report the item repaired with a photo: it awaits acceptance."""
    # On Telegram the photo is a file the offline Telegram knows; WeCom shows stored copies only.
    file_id = bot.transport.register_file(PNG(item_id), "photo").file_id if bot else None
    move(db, item_id, by.id, Action.report_repaired, "resealed", (PhotoIn(file_id=file_id),))


def join(db: Database, world: World, user: OfflineUser, roles: list[Role], firm: int | None):
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(user.id),
            name=user.first_name,
            roles=roles,
            contractor_id=firm,
        )


def state_of(db: Database, item_id: int) -> ItemState:
    with db.session() as s:
        return s.get(Item, item_id).state


# -- the number typed, on Telegram --------------------------------------------------------------


async def test_a_contractor_opens_their_item_by_number_with_repaired_and_not_ours(bot, world):
    leak, socket = world.items["leak"], world.items["socket"]
    wang = bot.chat(CONTRACTOR_A)
    for typed in (f"/item {leak}", f"{leak}", f"#{leak}", f" ＃{leak} "):
        shown = texts(await wang.send(typed))
        assert "卫生间吊顶渗水" in shown and "History" in shown, typed
        assert {f"rp:{leak}", f"dp:{leak}"} <= keys(wang), typed
    # Pressing Repaired on it starts the report, as from the list.
    asked = texts(await wang.press(f"rp:{leak}"))
    assert f"#{leak}" in asked and "photo" in asked
    await wang.send("/cancel")
    # Another contractor's item: refused, nothing of it shown, no button.
    for typed in (f"/item {socket}", f"{socket}"):
        said = await wang.send(typed)
        assert texts(said) == f"Item #{socket} is not on your list.", typed
        assert all(not m.buttons() for m in said)


async def test_an_inspector_gets_pass_and_fail_on_an_item_awaiting_acceptance(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    reported(db, leak, bot)
    li = bot.chat(INSPECTOR)
    shown = await li.send(f"{leak}")
    assert "resealed" in texts(shown) and [m.kind for m in shown].count("photo") == 1
    assert keys(li) == {f"ps:{leak}", f"fl:{leak}", "tc"}
    # An item still with its contractor: its card and history, no button to press.
    shown = await li.send(f"/item {wall}")
    assert "客厅墙面空鼓" in texts(shown) and all(not m.buttons() for m in shown)
    await li.press(f"ps:{leak}")
    assert state_of(db, leak) is S.closed


async def test_look_ups_keep_the_history_with_only_the_buttons_of_their_work(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    reported(db, leak, bot)
    for user in (SERVICE, MANAGER):
        chat = bot.chat(user)
        shown = await chat.send(f"/item {leak}")
        assert "resealed" in texts(shown) and "卫生间吊顶渗水" in texts(shown)
        assert all(not m.buttons() for m in shown), user.first_name
    chen = bot.chat(ADMIN)
    await chen.send(f"/item {leak}")
    assert {f"ps:{leak}", f"fl:{leak}"} <= keys(chen)  # the project department checks too
    # Not Repaired: the office enters repairs written on paper with /done, not from a card;
    # only Correct, an admin's (what was entered: description, location, category).
    shown = await chen.send(f"{wall}")
    assert "客厅墙面空鼓" in texts(shown) and [m.buttons() for m in shown] == [
        [[("✏ Correct", f"cr:{wall}")]]
    ]
    with db.session() as s:
        looked = s.exec(select(AccessLog).where(AccessLog.kind == "item")).all()
    assert len(looked) == 4


async def test_someone_with_several_roles_gets_the_buttons_of_each_role_it_takes(bot, world, db):
    leak, socket, wall = world.items["leak"], world.items["socket"], world.items["wall"]
    join(db, world, QIAN, [Role.contractor, Role.inspector], world.huajian)
    reported(db, socket, bot, CONTRACTOR_B)
    qian = bot.chat(QIAN)
    await qian.send(f"/item {leak}")  # 华建's own, to repair
    assert keys(qian) == {f"rp:{leak}", f"dp:{leak}", "ml"}
    await qian.send(f"/item {socket}")  # 明达's, awaiting acceptance: seen as an inspector
    assert keys(qian) == {f"ps:{socket}", f"fl:{socket}", "tc"}
    reported(db, wall, bot)  # 华建's own work awaiting acceptance: a checker's, not a repairer's
    await qian.send(f"{wall}")
    assert keys(qian) == {f"ps:{wall}", f"fl:{wall}", "tc"}


async def test_a_number_typed_in_a_dialogue_step_is_the_steps(bot, world, db):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    # A contractor's note: "3" is what they write about the repair, not item #3.
    wang = bot.chat(CONTRACTOR_A)
    await wang.send(f"{leak}")
    await wang.press(f"rp:{leak}")
    noted = texts(await wang.send(f"{wall}"))
    assert "Note saved" in noted and "客厅墙面空鼓" not in noted
    # An inspector's fail reason.
    reported(db, socket, bot, CONTRACTOR_B)
    li = bot.chat(INSPECTOR)
    await li.send(f"{socket}")
    await li.press(f"fl:{socket}")
    kept = texts(await li.send(f"{leak}"))
    assert "Reason noted" in kept and "卫生间吊顶渗水" not in kept
    # A clerk typing a flat in /new: the step's flat, not an item.
    chen = bot.chat(ADMIN)
    await chen.send("/new")
    typed = texts(await chen.send(f"{socket}"))
    assert "厨房插座无电" not in typed and "There is no item" not in typed


async def test_a_number_no_one_may_open_is_refused_in_their_language(bot, world, db):
    chinese = OfflineUser(id=CONTRACTOR_A.id, first_name="Wang", language_code="zh")
    with db.session() as s:
        people.set_language(s, user_id=tg_person(s, CONTRACTOR_A.id).id, language="zh")
    wang = bot.chat(chinese)
    socket = world.items["socket"]
    assert texts(await wang.send(f"{socket}")) == f"问题 #{socket} 不在您的清单上。"
    assert texts(await wang.send("999")) == "没有编号为 #999 的问题。"
    assert texts(await wang.send(f"{MAX_ID + 1}")) == f"没有编号为 #{MAX_ID + 1} 的问题。"
    # Service may have meant a flat's number.
    said = texts(await bot.chat(SERVICE).send("1202"))
    assert said == "There is no item #1202.\nTo look up a flat: /unit 1202"
    assert "only for the project team" in texts(await bot.chat(STRANGER).send("1"))


async def test_contractor_and_inspector_menus_offer_item(bot, world):
    for user, command in ((CONTRACTOR_A, "/mylist"), (INSPECTOR, "/tocheck")):
        shown = texts(await bot.chat(user).send("/help"))
        assert command in shown and "/item — open one item" in shown


# -- the QR code of a printed list: /start item_<ID> --------------------------------------------


def test_an_items_start_payload_is_made_and_read_in_one_place():
    assert item_start(2423) == "item_2423"
    assert parse_item_start(item_start(2423)) == 2423
    assert parse_item_start(item_start(MAX_ID)) == MAX_ID
    assert parse_item_start(secrets.token_urlsafe(9).replace("i", "j")) is None
    for broken in ("item_", "item_abc", "item_12x", f"item_{MAX_ID + 1}", "item_0", "item_²"):
        with pytest.raises(DomainError) as refused:
            parse_item_start(broken)
        assert refused.value.key == "no_such_item", broken
    for impossible in (0, -1, MAX_ID + 1):
        with pytest.raises(DomainError):
            item_start(impossible)
    # Telegram's payload: at most 64 of A-Z a-z 0-9 _ -.
    assert len(item_start(MAX_ID)) <= 64 and item_start(MAX_ID).replace("_", "").isalnum()


def test_an_invite_code_is_never_an_items_link(db, world, monkeypatch):
    made = iter(["item_1234567", "item_0000000", "Abc-def_1234"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(made))
    with db.session() as s:
        code = create_invite(s, project_id=world.project_id, roles=[Role.inspector]).code
    assert code == "Abc-def_1234"


async def test_the_printed_link_opens_the_card_for_who_has_joined(bot, world, db):
    leak, socket = world.items["leak"], world.items["socket"]
    with db.session() as s:
        invites = len(s.exec(select(Invite)).all())
    wang = bot.chat(CONTRACTOR_A)
    shown = texts(await wang.send(f"/start {item_start(leak)}"))
    assert "卫生间吊顶渗水" in shown and "Welcome" not in shown
    assert {f"rp:{leak}", f"dp:{leak}"} <= keys(wang)
    assert texts(await wang.send(f"/start {item_start(socket)}")) == (
        f"Item #{socket} is not on your list."
    )
    # A broken link is no item, never an invite code; a stranger gets the usual refusal.
    assert texts(await wang.send("/start item_abc")) == "There is no item #abc."
    stranger = bot.chat(STRANGER)
    for link in (item_start(leak), "item_abc"):
        said = texts(await stranger.send(f"/start {link}"))
        assert "only for the project team" in said and "卫生间吊顶渗水" not in said
    with db.session() as s:
        assert tg_person(s, STRANGER.id) is None
        assert len(s.exec(select(Invite)).all()) == invites
    # An inspector scanning an item awaiting acceptance gets Pass and Fail.
    reported(db, leak, bot)
    li = bot.chat(INSPECTOR)
    await li.send(f"/start {item_start(leak)}")
    assert keys(li) == {f"ps:{leak}", f"fl:{leak}", "tc"}


# -- the outcome of a dispute, on Telegram ------------------------------------------------------


@pytest.mark.telegram_errors  # the blocked chat's send is refused, as Telegram would
async def test_a_reassign_tells_the_contractor_who_disputed_even_if_one_chat_is_blocked(
    bot, world, db
):
    leak, wall = world.items["leak"], world.items["wall"]
    join(db, world, WU, [Role.contractor], world.huajian)
    join(db, world, ZHENG, [Role.contractor], world.mingda)
    bot.transport.block(ZHENG.id)  # 明达's second phone blocked the bot
    wang, chen = bot.chat(CONTRACTOR_A), bot.chat(ADMIN)
    await wang.send(f"{leak}")
    await wang.press(f"dp:{leak}")
    await wang.send("the pipe is plumbing")
    await chen.send("/disputes")
    done = texts(await chen.press_label("明达水电"))
    assert f"Item #{leak} reassigned to 明达水电" in done
    told = {m.chat_id: m.text for m in chen.last_step_events if m.chat_id != ADMIN.id}
    assert set(told) == {CONTRACTOR_A.id, WU.id, CONTRACTOR_B.id}
    for raiser in (CONTRACTOR_A.id, WU.id):
        assert "争议成立" in told[raiser] and "明达水电" in told[raiser]
        assert f"#{leak}" in told[raiser] and "卫生间吊顶渗水" in told[raiser]
    assert "派给了你们" in told[CONTRACTOR_B.id]
    # Their "my list" button works; the item is no longer on it.
    assert f"#{leak}" not in texts(await wang.press("ml"))
    # /reassign of an item nobody disputed: its contractor is told it is off their list.
    await chen.send(f"/reassign {wall} 明达")
    told = {m.chat_id: m.text for m in chen.last_step_events if m.chat_id != ADMIN.id}
    assert set(told) == {CONTRACTOR_A.id, WU.id, CONTRACTOR_B.id}
    assert "已从你们的清单移除" in told[WU.id] and "争议" not in told[WU.id]


# -- roles in Chinese ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "roles", "firm"),
    (
        ("施工单位 华建", [Role.contractor], "华建"),
        ("contractor Nobody Ltd", [Role.contractor], "Nobody Ltd"),
        ("客服,领导", [Role.service, Role.manager], None),
        ("客服，领导", [Role.service, Role.manager], None),
        ("客服、领导", [Role.service, Role.manager], None),
        ("客服 领导", [Role.service, Role.manager], None),
        ("Service, MANAGER", [Role.service, Role.manager], None),
        ("customer service,project admin", [Role.service, Role.admin], None),
        ("验收组、录入", [Role.inspector, Role.clerk], None),
        ("施工单位,验收组 明达 水电", [Role.contractor, Role.inspector], "明达 水电"),
    ),
)
def test_invite_words_read_as_people_type_them(typed, roles, firm):
    assert parse_invite(typed) == (roles, firm)


@pytest.mark.parametrize("typed", ("保安", "客服 保安", "客服 华建", "施工单位华建", ""))
def test_a_wrong_role_is_refused(typed):
    with pytest.raises(DomainError) as refused:
        parse_invite(typed)
    assert refused.value.key == "bad_role"


def test_every_role_name_the_catalogs_list_reads_back():
    for lang in ("zh", "en"):
        for role in Role:
            assert parse_roles(t(lang, f"role.{role.value}")) == [role], (lang, role)


async def test_invite_in_chinese_role_names(bot, world, db):
    chen = bot.chat(ADMIN)
    made = texts(await chen.send("/invite 施工单位 华建"))
    assert "Invite for: contractor · 华建装饰 (Riverside 1)" in made
    made = texts(await chen.send("/invite 客服,领导"))
    assert "Invite for: manager, customer service (Riverside 1)" in made
    with db.session() as s:
        before = len(s.exec(select(Invite)).all())
    refused = texts(await chen.send("/invite 保安 华建"))
    assert "Unknown role 保安" in refused and "admin, clerk, contractor" in refused
    await chen.send("/lang")
    await chen.press("lang:zh")
    refused = texts(await chen.send("/invite 客服 华建"))
    assert "未知角色：华建" in refused
    assert "项目部、录入人员、施工单位、验收组、领导、客服" in refused
    assert "邀请对象：施工单位 · 华建装饰" in texts(await chen.send("/invite 施工单位 华建装饰"))
    with db.session() as s:
        assert len(s.exec(select(Invite)).all()) == before + 1


# -- the same on the offline WeCom -------------------------------------------------------------

# The world's people as WeCom members; Wu (华建) and Zheng (明达) have no WeCom account.
WECOM = {
    CONTRACTOR_A.id: "WangWei",
    CONTRACTOR_B.id: "ZhaoMing",
    INSPECTOR.id: "LiNa",
    ADMIN.id: "ChenJie",
}


class Site:
    """Members writing to the app and pressing its cards, through the real WeCom front end."""

    def __init__(self, offline: OfflineWeCom, server: WeComServer, client: TestClient) -> None:
        self.wecom = offline
        self.server = server
        self.client = client

    async def _post(self, message: str) -> None:
        before = self.server.chat.handled
        sealed = callback(self.server.crypto, message)
        answer = await self.client.post("/wecom/callback", params=sealed.query(), data=sealed.body)
        assert answer.status == 200

        async def done() -> None:
            while self.server.chat.handled <= before:
                await asyncio.sleep(0.01)
            await self.server.chat.idle()

        await asyncio.wait_for(done(), 10)

    async def say(self, who: str, text: str) -> str:
        """Write as a member; return what they were shown."""
        mark = len(self.wecom.messages_to(who))
        await self._post(text_message(corp_id=self.wecom.corp_id, user=who, content=text))
        return self.seen(who, mark)

    async def press(self, who: str, key: str) -> str:
        """Press a button of the member's latest card that has it; return what they were shown."""
        mark = len(self.wecom.messages_to(who))
        click = self.wecom.press(who, key)
        event = template_card_event(
            corp_id=self.wecom.corp_id,
            user=who,
            event_key=click.key,
            task_id=click.task_id,
            response_code=click.response_code,
        )
        await self._post(event)
        return self.seen(who, mark)

    def seen(self, who: str, mark: int = 0) -> str:
        """Return what a member read since `mark` (texts, card titles and buttons)."""
        return "\n".join(_visible(m) for m in self.wecom.messages_to(who)[mark:])

    def keys(self, who: str) -> set[str]:
        """Return the button keys of the member's latest card."""
        return set(self.wecom.last_card(who).keys)


@pytest.fixture
async def site(wecom_settings: Settings, db: Database, world: World) -> AsyncIterator[Site]:  # noqa: F811
    """Serve WeCom over the offline WeCom with the world's people as members, in English."""
    join(db, world, WU, [Role.contractor], world.huajian)
    join(db, world, ZHENG, [Role.contractor], world.mingda)
    with db.session() as s:
        for telegram_id, account in WECOM.items():
            person = tg_person(s, telegram_id)
            people.link_identity(s, user_id=person.id, platform="wecom", account=account)
            people.set_language(s, user_id=person.id, language="en")
    offline = OfflineWeCom()
    offline.add_member(*WECOM.values())
    with waiting_skips_ahead() as members:
        server = build_wecom(
            wecom_settings, db, client=offline.client(), rhythm_timer=False, members=members
        )
        async with TestClient(TestServer(server.app)) as client:
            yield Site(offline, server, client)
    offline.assert_clean()


async def test_on_wecom_the_printed_number_typed_opens_the_card(site: Site, world, db):
    leak, socket = world.items["leak"], world.items["socket"]
    shown = await site.say("WangWei", f"{leak}")
    assert "卫生间吊顶渗水" in shown and {f"rp:{leak}", f"dp:{leak}"} <= site.keys("WangWei")
    assert "photo" in await site.press("WangWei", f"rp:{leak}")
    await site.say("WangWei", "/cancel")
    assert f"Item #{socket} is not on your list." in await site.say("WangWei", f"#{socket}")
    # The deep link's command works typed too, the same card.
    await site.say("WangWei", f"/start {item_start(leak)}")
    assert {f"rp:{leak}", f"dp:{leak}"} <= site.keys("WangWei")
    reported(db, leak)
    shown = await site.say("LiNa", f"/item {leak}")
    assert "卫生间吊顶渗水" in shown and site.keys("LiNa") == {f"ps:{leak}", f"fl:{leak}", "tc"}
    await site.press("LiNa", f"ps:{leak}")
    assert state_of(db, leak) is S.closed


async def test_on_wecom_a_reassign_tells_the_contractor_who_disputed(site: Site, world, db):
    leak = world.items["leak"]
    await site.say("WangWei", f"{leak}")
    await site.press("WangWei", f"dp:{leak}")
    await site.say("WangWei", "the pipe is plumbing")
    await site.say("ChenJie", "/disputes")
    marks = {who: len(site.wecom.messages_to(who)) for who in ("WangWei", "ZhaoMing")}
    ra = next(k for k in site.keys("ChenJie") if k.startswith("ra:"))
    # Wu and Zheng have no WeCom account: the others are told all the same.
    done = await site.press("ChenJie", ra)
    assert f"Item #{leak} reassigned to 明达水电" in done
    upheld = site.seen("WangWei", marks["WangWei"])
    assert "Dispute upheld" in upheld and "明达水电" in upheld and "卫生间吊顶渗水" in upheld
    assert "New on your list" in site.seen("ZhaoMing", marks["ZhaoMing"])
    with db.session() as s:
        assert s.get(Item, leak).contractor_id == world.mingda
