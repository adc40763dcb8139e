"""Corrections and undo: a correction in /new cancelled back to its summary, a cancelled item
restored, an item's description, location and category corrected, a Pass or Fail undone by
whoever pressed it within minutes, and /users role buttons that keep their places."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.transport import OfflineUser
from models import people
from models.tables import Item, Photo, Role
from tests.conftest import PNG, texts

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
