"""Issue 14's smaller things, on both chat platforms where they reach both.

/report naming an unknown project among one; a person with two look-up roles in one project.
"""

from __future__ import annotations

from bot.wecom.offline import Sent
from bot.wecom.sender_side import text_message
from models import people
from models.db import Database
from models.tables import Platform, Role
from tests import test_wecom_chat
from tests.conftest import MANAGER, OfflineUser, World, texts
from tests.test_wecom_chat import WeComDriver, _visible

# The WeCom front end over the offline WeCom, as the WeCom chat tests serve it.
wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom

# One person who answers owners' calls and reads the figures: /invite 客服,领导 makes one.
QIAN = OfflineUser(id=1401, first_name="Qian", language_code="zh")


def join(db: Database, world: World, user: OfflineUser, roles: list[Role], wecom_id: str) -> None:
    """Register a Telegram user in the small project, and link their WeCom account too."""
    with db.session() as s:
        person = people.add_member(
            s,
            project_id=world.project_id,
            platform=Platform.telegram,
            account=str(user.id),
            name=user.first_name,
            roles=roles,
        )
        people.link_identity(s, user_id=person.id, platform=Platform.wecom, account=wecom_id)


async def wecom_says(driver: WeComDriver, account: str, text: str) -> list[Sent]:
    """Send a text as a WeCom member; return what the app sent them back."""
    driver.wecom.add_member(account)
    before = len(driver.wecom.messages_to(account))
    await driver.post(text_message(corp_id=driver.wecom.corp_id, user=account, content=text))
    return driver.wecom.messages_to(account)[before:]


def read(sent: list[Sent]) -> str:
    """Return what a member reads of messages."""
    return "\n".join(_visible(m) for m in sent)


# -- one project, named wrongly -----------------------------------------------------------


async def test_report_of_an_unknown_project_names_the_one_there_is_on_telegram(bot, world):
    shown = texts(await bot.chat(MANAGER).send("/report foo"))
    assert "foo" in shown and "Riverside 1" in shown
    assert "多个项目" not in shown, shown


async def test_report_of_an_unknown_project_names_the_one_there_is_on_wecom(wecom, world, db):
    join(db, world, QIAN, [Role.manager], "QianQ")
    shown = read(await wecom_says(wecom, "QianQ", "/report foo"))
    assert "foo" in shown and "Riverside 1" in shown
    assert "多个项目" not in shown, shown


# -- two look-up roles in one project -----------------------------------------------------


async def test_two_lookup_roles_find_a_flat_once_on_telegram(bot, world, db):
    join(db, world, QIAN, [Role.service, Role.manager], "QianQ")
    shown = await bot.chat(QIAN).send("/unit 3-1-1202")
    assert "卫生间吊顶渗水" in texts(shown), texts(shown)
    assert not any(data.startswith("un:") for m in shown for row in m.buttons() for _, data in row)


async def test_two_lookup_roles_find_a_flat_once_on_wecom(wecom, world, db):
    join(db, world, QIAN, [Role.service, Role.manager], "QianQ")
    sent = await wecom_says(wecom, "QianQ", "/unit 3-1-1202")
    assert "卫生间吊顶渗水" in read(sent), read(sent)
    assert not any(key.startswith("un:") for m in sent for key in m.keys)


# -- a WeCom joiner's name comes from the WeCom directory ----------------------------------


def invite_code(db: Database, world: World, role: Role = Role.inspector) -> str:
    """Return a fresh one-time invite code into the small project."""
    with db.session() as s:
        return people.create_invite(s, project_id=world.project_id, roles=[role]).code


def stored_name(db: Database, account: str) -> str:
    """Return the name stored for a WeCom account."""
    with db.session() as s:
        return people.find_person(s, platform=Platform.wecom, account=account).name


async def test_a_wecom_joiner_is_greeted_and_stored_by_their_directory_name(wecom, world, db):
    wecom.wecom.add_member("ZhangSan")
    wecom.wecom.set_name("ZhangSan", "张三")
    said = read(await wecom_says(wecom, "ZhangSan", f"/start {invite_code(db, world)}"))
    assert "欢迎，张三！" in said, said
    assert stored_name(db, "ZhangSan") == "张三"
    # Asked once: a second joiner's name is looked up, the first one's is remembered.
    read(await wecom_says(wecom, "ZhangSan", f"/start {invite_code(db, world, Role.clerk)}"))
    assert wecom.wecom.calls["user/get"] == 1


async def test_a_wecom_joiner_whose_name_cannot_be_read_is_still_welcomed(wecom, world, db):
    wecom.wecom.add_member("LiSi")
    wecom.wecom.fail("user/get", 60011)  # not in the app's visible range for the directory
    said = read(await wecom_says(wecom, "LiSi", f"/start {invite_code(db, world)}"))
    assert "欢迎！" in said and "欢迎，！" not in said, said
