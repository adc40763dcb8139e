"""Corrections and undo: a correction in /new cancelled back to its summary, a cancelled item
restored, an item's description, location and category corrected, a Pass or Fail undone by
whoever pressed it within minutes, and /users role buttons that keep their places."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.transport import OfflineUser
from bot.wecom.offline import OfflineWeCom, Sent
from bot.wecom.sender_side import template_card_event, text_message
from bot.wecom.serve import build_wecom
from models import people
from models.db import Database
from models.settings import Settings
from models.tables import Item, Membership, Photo, Role
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, PNG, World, texts, tg, user_id
from tests.test_wecom_chat import WeComDriver, waiting_skips_ahead, wecom_settings  # noqa: F401

CLERK = OfflineUser(id=1203, first_name="Qian", language_code="en")

FIELDS = ("Flat", "Where", "Category", "Description", "Photos", "Date", "Sheet", "Contractor")


@pytest.fixture
def clerk(db, world) -> OfflineUser:
    """Register a clerk of the small project who reads English."""
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name=CLERK.first_name,
            roles=[Role.clerk],
        )
    return CLERK


def entered_id(messages: list) -> int:
    """Return the id of the item a confirmation says was entered."""
    found = re.search(r"Item #(\d+) entered", texts(messages))
    assert found, texts(messages)
    return int(found[1])


async def _summary_with_a_photo(chat) -> str:
    """Walk /new to the summary with one photo; return the summary."""
    await chat.send("/new")
    await chat.send("3-1-1202")
    await chat.press_label("Bathroom")
    await chat.press_label("Leak")
    await chat.send("ceiling drips after a shower")
    await chat.send_photo(PNG(7))
    await chat.press_label("Done")
    await chat.press_label("Today")
    return texts(await chat.send("A-017"))


async def test_cancelling_a_correction_goes_back_to_the_summary(bot, world, db, clerk):
    zhou = bot.chat(clerk)
    summary = await _summary_with_a_photo(zhou)
    assert "Photos: 1" in summary and "Flat: 3-1-1202" in summary
    for field in FIELDS:
        for how in ("button", "command"):
            await zhou.press_label("Change…")
            await zhou.press_label(field)
            if field == "Photos":  # a correction begun, then given up
                await zhou.press_label("Remove all")
            shown = await (zhou.press_label("Cancel") if how == "button" else zhou.send("/cancel"))
            back = texts(shown)
            where = f"{field} cancelled by {how}"
            assert "Flat: 3-1-1202" in back, where
            assert "Photos: 1" in back and "Where: Bathroom" in back, where
            assert "Defect: ceiling drips after a shower" in back and "Sheet: A-017" in back, where
            assert "Cancelled" not in back, where
    # The Change… menu itself: /cancel goes back to the summary as well.
    await zhou.press_label("Change…")
    assert "Photos: 1" in texts(await zhou.send("/cancel"))
    # Cancel on the summary itself still drops the entry (nothing was confirmed).
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        item = s.get(Item, item_id)
        photos = s.exec(select(Photo).where(Photo.item_id == item_id)).all()
    assert item.location == "Bathroom" and len(photos) == 1


# The world's people on WeCom (their WeCom userid); the other contractor (Zhao) has no account.
ON_WECOM = {ADMIN.id: "ChenJie", INSPECTOR.id: "LiNa", CONTRACTOR_A.id: "WangWei"}


class WeCom:
    """The WeCom front end over the offline WeCom, as the world's people on it."""

    def __init__(self, driver: WeComDriver) -> None:
        self.driver = driver
        self.offline = driver.wecom

    def got(self, telegram_id: int) -> int:
        """Return how many messages this person got so far (a mark for `since`)."""
        return len(self.offline.messages_to(ON_WECOM[telegram_id]))

    def since(self, telegram_id: int, mark: int) -> list[Sent]:
        """Return what this person got after the mark."""
        return self.offline.messages_to(ON_WECOM[telegram_id])[mark:]

    async def send(self, telegram_id: int, text: str) -> list[Sent]:
        """Write a text as this person; return what they got back."""
        mark, user = self.got(telegram_id), ON_WECOM[telegram_id]
        corp = self.offline.corp_id
        await self.driver.post(text_message(corp_id=corp, user=user, content=text))
        return self.since(telegram_id, mark)

    async def press(self, telegram_id: int, key: str, card: Sent | None = None) -> list[Sent]:
        """Press a button of a card as this person (the latest card with it if none given)."""
        mark, user = self.got(telegram_id), ON_WECOM[telegram_id]
        click = self.offline.press(user, key, card=card)
        await self.driver.post(
            template_card_event(
                corp_id=self.offline.corp_id,
                user=user,
                event_key=click.key,
                task_id=click.task_id,
                response_code=click.response_code,
            )
        )
        return self.since(telegram_id, mark)


def seen(messages: list[Sent]) -> str:
    """Return what a member reads of messages: texts, card titles and buttons."""
    out = []
    for m in messages:
        if m.msgtype == "text":
            out.append(m.text or "")
        elif m.msgtype == "template_card":
            card = m.content
            out += [card.get("main_title", {}).get("title", ""), card.get("sub_title_text", "")]
            out += [b.get("text", "") for b in card.get("button_list", [])]
    return "\n".join(out)


@pytest.fixture
async def wecom(wecom_settings: Settings, db: Database, world: World) -> AsyncIterator[WeCom]:  # noqa: F811
    """Serve the WeCom front end; the admin, the inspector and Wang joined by their WeCom ids."""
    with db.session() as s:
        for telegram_id, account in ON_WECOM.items():
            person = people.find_person(s, platform="telegram", account=str(telegram_id))
            people.link_identity(s, user_id=person.id, platform="wecom", account=account)
            people.set_language(s, user_id=person.id, language="en")
    offline = OfflineWeCom()
    offline.add_member(*ON_WECOM.values())
    with waiting_skips_ahead() as members:
        server = build_wecom(
            wecom_settings, db, client=offline.client(), rhythm_timer=False, members=members
        )
        async with TestClient(TestServer(server.app)) as client:
            yield WeCom(WeComDriver(offline, server, client))
    offline.assert_clean()


# ---------------------------------------------------------------- /users


def _roles_of(db: Database, telegram_id: int) -> set[Role]:
    with db.session() as s:
        found = s.exec(select(Membership.role).where(Membership.user_id == tg(s, telegram_id)))
        return set(found.all())


def _role_places(keys: list[str]) -> list[str]:
    """Return the role each role button names, in the order they stand."""
    return [k.split(":")[3] for k in keys if k.startswith("pr:")]


async def test_role_buttons_keep_their_places_on_telegram(bot, world, db):
    chen = bot.chat(ADMIN)
    await chen.send("/users")
    await chen.press_label("👤 Li")
    keys = [data for row in chen.buttons() for _, data in row]
    places = _role_places(keys)
    assert places == [r.value for r in Role]  # every role, always in the same place
    for place in range(len(places)):
        # The same place pressed twice: the same role given then taken (or refused twice).
        for _ in range(2):
            keys = [data for row in chen.buttons() for _, data in row]
            assert _role_places(keys) == places
            await chen.press(keys[place])
        assert _roles_of(db, INSPECTOR.id) == {Role.inspector}, places[place]
    labels = [label for row in chen.buttons() for label, _ in row]
    assert labels[:6] == [
        "⬜ project admin",
        "⬜ clerk",
        "⬜ contractor",
        "✅ inspector",
        "⬜ manager",
        "⬜ customer service",
    ]


async def test_role_buttons_keep_their_places_on_wecom(wecom, world, db):
    await wecom.send(ADMIN.id, "/users")
    shown = await wecom.press(ADMIN.id, f"pp:{world.project_id}:{user_id(db, INSPECTOR.id)}")
    cards = [m for m in shown if m.msgtype == "template_card"]
    places = _role_places([k for c in cards for k in c.keys])
    assert places == [r.value for r in Role]
    # "Press 5" twice (manager): given, then taken; not two different roles.
    for expected in ({Role.inspector, Role.manager}, {Role.inspector}):
        card = cards[0]  # the screen's first card: six of its buttons
        assert _role_places(card.keys) == places[:6]
        shown = await wecom.press(ADMIN.id, card.keys[4], card=card)
        cards = [m for m in shown if m.msgtype == "template_card"]
        assert _roles_of(db, INSPECTOR.id) == expected
