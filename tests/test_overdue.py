"""Overdue: due dates, marks on lists and cards, the digest by contractor, /overdue."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.overdue_text import contractor_line
from handlers.overdue_text import overdue_digest as digest_text
from models.db import Database
from models.overdue import my_overdue, overdue_digest
from models.repair import raise_item
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, World


def _raise(
    db: Database,
    world: World,
    *,
    raised_on: date,
    category: str = "leak",
    unit: str = "3-1-502",
    description: str = "阳台渗水",
) -> int:
    with db.session() as s:
        return raise_item(
            s,
            project_id=world.project_id,
            unit_code=unit,
            location="balcony",
            category_code=category,
            description=description,
            raised_on=raised_on,
        ).id


def test_the_digest_counts_each_contractors_overdue_items_oldest_first(world, db, today):
    # The world's items are 3-5 days old, due in 7: none is overdue today.
    with db.session() as s:
        assert overdue_digest(s, project_id=world.project_id).total == 0
    old = _raise(db, world, raised_on=today - timedelta(days=12))  # due 5 days ago
    older = _raise(db, world, raised_on=today - timedelta(days=15), unit="3-1-1202")  # 8 days
    socket = _raise(db, world, raised_on=today - timedelta(days=8), category="plumbing_electric")
    with db.session() as s:
        digest = overdue_digest(s, project_id=world.project_id)
    assert digest.day == today
    assert digest.total == 3
    huajian, mingda = digest.contractors
    assert (huajian.contractor_id, huajian.count) == (world.huajian, 2)
    assert [(i.id, i.unit_code, i.days) for i in huajian.oldest] == [
        (older, "3-1-1202", 8),
        (old, "3-1-502", 5),
    ]
    assert [(i.id, i.days) for i in mingda.oldest] == [(socket, 1)]
    text = digest_text("zh", digest)
    assert "华建装饰" in text and f"#{older}" in text and "共 3 项逾期" in text


def test_a_contractor_is_told_how_many_are_overdue_and_the_oldest(world, db, today):
    with db.session() as s:
        assert my_overdue(s, telegram_id=CONTRACTOR_A.id) is None
    assert contractor_line("zh", None) == ""
    old = _raise(db, world, raised_on=today - timedelta(days=12))
    _raise(db, world, raised_on=today - timedelta(days=9), unit="3-1-1202")
    with db.session() as s:
        mine = my_overdue(s, telegram_id=CONTRACTOR_A.id)
        theirs = my_overdue(s, telegram_id=CONTRACTOR_B.id)
    assert theirs is None
    said = contractor_line("zh", mine)
    assert said == f"⚠ 您有 2 项已逾期，最早的 #{old} 已逾期 5 天，请尽快处理。"
    assert f"the oldest, #{old}, is 5 days overdue" in contractor_line("en", mine)
