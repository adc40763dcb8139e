"""One clock: days and times are the project's, whatever the server's zone or the machine's TZ.

Before models/clock.py, /new offered "today" in the deployment's TIMEZONE and cards showed
event times in it, while imports counted days in the project's zone.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from models import clock, people
from models.errors import DomainError
from models.repair import act
from models.settings import Settings
from models.tables import Action, Role
from tests.conftest import CONTRACTOR_A, PINNED_AT, assert_no_telegram_errors, texts, tg

ROOT = Path(__file__).resolve().parent.parent
CLERK = OfflineUser(id=1201, first_name="Zhou", language_code="en")
# Only models/clock.py may read the wall clock; a call anywhere else is a second clock.
WALL_CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def test_the_pinned_instant_is_a_different_day_in_utc_and_on_site(today: date) -> None:
    assert clock.now().astimezone(clock.zone("UTC")).date() != today
    assert today == date(2026, 12, 16)


def test_nothing_but_the_clock_reads_the_wall_clock() -> None:
    offenders = []
    for folder in ("models", "handlers", "bot", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "models" / "clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WALL_CLOCK.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


async def test_new_and_cards_use_the_projects_day_not_the_servers(tmp_path, db, world, today):
    # The server is set to London; the site (and the project) is in Shanghai.
    settings = Settings(
        _env_file=None,
        database_url=db.url,
        media_dir=tmp_path / "media",
        timezone="Europe/London",
        require_repair_photo=False,
    )
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name="Zhou",
            roles=[Role.clerk],
        )
    with db.session() as s:
        act(
            s,
            user_id=tg(s, CONTRACTOR_A.id),
            item_id=world.items["leak"],
            action=Action.report_repaired,
            note="sealed",
            require_photo=False,
        )
    transport = OfflineTelegram(bot_username="handover_test_bot")
    app = build_offline(settings, db, transport)
    async with app:
        await app.start()
        zhou = chat_as(app, transport, CLERK)
        await zhou.send("/new")
        await zhou.send("3-1-1202")
        await zhou.press_label("Bathroom")
        await zhou.press_label("Leak")
        await zhou.send("drips")
        await zhou.press_label("Skip photos")
        labels = [label for row in zhou.buttons() for label, _ in row]
        assert f"Today ({today.isoformat()})" in labels, labels

        wang = chat_as(app, transport, CONTRACTOR_A)
        await wang.send("/mylist")
        card = texts(await wang.press(f"it:{world.items['leak']}"))
        site_time = clock.local(PINNED_AT, "Asia/Shanghai").strftime("%m-%d %H:")
        assert site_time in card, card
        await app.stop()
    assert_no_telegram_errors(transport)


def chat_as(app, transport, user) -> OfflineChat:
    return OfflineChat(app, transport, user, expected_errors=(DomainError,))
