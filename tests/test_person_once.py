"""The person behind an input is looked up once, by the core, and handed along: a press on
WeCom (greying its card, drawing the reply in the person's language) and on Telegram asks the
database who is pressing exactly once."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event

from models.db import Database
from tests.conftest import CONTRACTOR_A, World
from tests.test_wecom_chat import (
    WECOM_IDS,
    TelegramDriver,
    WeComDriver,
    _speak_english,
    waiting_skips_ahead,  # noqa: F401  (the wecom fixture's helper)
    wecom,  # noqa: F401  (the fixture)
    wecom_settings,  # noqa: F401  (the fixture)
)

# A person found by their account on a platform (models.people.find_person).
BY_ACCOUNT = re.compile(r"FROM identity\b.*WHERE .*identity\.account = ", re.DOTALL)


@contextlib.contextmanager
def lookups(db: Database) -> Iterator[list[str]]:
    """Collect the statements that look a person up by their platform account."""
    found: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if BY_ACCOUNT.search(statement):
            found.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


async def test_a_wecom_press_looks_the_person_up_once(
    wecom: WeComDriver,  # noqa: F811
    world: World,
    db: Database,
) -> None:
    _speak_english(db)
    leak = world.items["leak"]
    await wecom.act("contractor", "send", "/mylist")
    with lookups(db) as found:
        seen = await wecom.act("contractor", "press", f"it:{leak}")
    assert "to repair" in seen.text  # the card, in the person's language
    assert len(found) == 1, found
    wang = WECOM_IDS[CONTRACTOR_A.id]
    pressed = [c for c in wecom.wecom.cards_to(wang) if c.pressed is not None]
    assert pressed and not pressed[-1].live  # the card was greyed all the same


async def test_a_telegram_press_looks_the_person_up_once(
    bot: object, world: World, db: Database
) -> None:
    _speak_english(db)
    driver = TelegramDriver(bot)
    await driver.act("contractor", "send", "/mylist")
    with lookups(db) as found:
        seen = await driver.act("contractor", "press", f"it:{world.items['leak']}")
    assert "to repair" in seen.text
    assert len(found) == 1, found
