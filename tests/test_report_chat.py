"""/report in chat: the manager's picture with its figures, the rework picture, who may ask."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image

from bot.telegram.offline import MAX_CAPTION, MAX_TEXT
from handlers.menu import commands_for
from models import people
from models import project as setup
from models.charts import HEIGHT_PX, WIDTH_PX
from models.intake import raise_item
from models.tables import Action, Role
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    INSPECTOR,
    MANAGER,
    SERVICE,
    move,
    texts,
    tg_person,
)


def shown(message) -> np.ndarray:
    """Open the sent photo as the manager sees it; check its size and that it is not blank."""
    assert message.kind == "photo"
    image = Image.open(io.BytesIO(message.file_bytes))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 20
    return pixels


def fail_once(db, world) -> None:
    """The leak is reported repaired, then fails its inspection: one rework."""
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "已修")
    move(db, world.items["leak"], INSPECTOR.id, Action.fail, "仍渗水")


async def test_a_manager_gets_todays_picture_with_the_figures_in_chinese(bot, world, db):
    fail_once(db, world)
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired, "已修")
    move(db, world.items["wall"], INSPECTOR.id, Action.pass_)
    replies = await bot.chat(MANAGER).send("/report")
    photo = replies[0]
    shown(photo)
    caption = photo.text
    assert len(caption) <= MAX_CAPTION
    assert "Riverside 1" in caption and "2026-12-16" in caption  # the site's day, not UTC's
    assert "完工报验 2 · 验收合格 1 · 验收不合格 1 · 关闭 1" in caption
    assert "未关闭 2 项，其中逾期 0 项" in caption
    # Two contractors fit under the picture: their pass rates and days to close with it.
    assert "华建装饰：未关闭 1，逾期 0；一次验收合格 50%；关闭用时 3 天" in caption
    assert "明达水电：未关闭 1，逾期 0；一次验收合格 尚未验收；关闭用时 尚无关闭" in caption
    assert len(replies) == 1


async def test_an_admin_asks_in_english_and_gets_the_rework_picture(bot, world, db):
    fail_once(db, world)
    replies = await bot.chat(ADMIN).send("/report rework")
    [photo] = replies
    shown(photo)
    assert "rework causes up to 2026-12-16" in photo.text
    assert "Failed acceptance 1 · reopened 0" in photo.text
    assert "Leak · 华建装饰: failed 1, reopened 0" in photo.text
    assert "Bldg 3 · 华建装饰" in photo.text
    daily = await bot.chat(ADMIN).send("/report")
    assert "Today: raised 0 · reported done 1" in daily[0].text


@pytest.mark.parametrize("user", [CONTRACTOR_A, INSPECTOR, SERVICE])
async def test_everyone_else_is_refused_in_their_language(bot, world, user):
    replies = await bot.chat(user).send("/report")
    assert [m.kind for m in replies] == ["text"]
    assert "your role cannot" in texts(replies)


async def test_many_contractors_with_long_names_get_the_figures_after_the_picture(
    bot, world, db, today
):
    with db.session() as s:
        for n in range(40):
            name = f"{n:02d} " + "中建三局第一建设工程有限责任公司&<b>" * 4 + "😀\u202e"  # 85 chars
            firm = setup.add_contractor(s, project_id=world.project_id, name=name, trades="x")
            setup.set_rule(
                s, project_id=world.project_id, category_code="door_window", contractor_id=firm.id
            )
            raise_item(
                s,
                project_id=world.project_id,
                unit_code="5-2-801",
                location="门",
                category_code="door_window",
                description="门关不上",
                raised_on=today - timedelta(days=n),
            )
    replies = await bot.chat(MANAGER).send("/report")
    photo, *after = replies
    shown(photo)
    assert len(photo.text) <= MAX_CAPTION and "未关闭" in photo.text
    assert after and all(m.kind == "text" and len(m.text) <= MAX_TEXT for m in after)
    details = texts(after)
    assert "各施工单位" in details and details.count("；一次验收合格") == 42
    assert "<b>" in details  # a name is shown as written, never as markup


async def test_with_two_projects_the_managed_one_is_shown_unless_another_is_named(
    bot, world, db, today
):
    with db.session() as s:
        other = setup.create_project(s, name="Hillside 2")
        people.add_member(
            s,
            project_id=other.id,
            platform="telegram",
            account=str(MANAGER.id),
            name="Zhou",
            roles=[Role.admin],
        )
    zhou = bot.chat(MANAGER)
    assert "Riverside 1" in (await zhou.send("/report"))[0].text
    named = await zhou.send("/report Hillside 2")
    assert "Hillside 2" in named[0].text and "还没有施工单位" in named[0].text
    rework = await zhou.send("/report rework Hillside 2")
    assert "Hillside 2" in rework[0].text and "还没有验收不合格" in rework[0].text
    wrong = await zhou.send("/report Nowhere")
    assert [m.kind for m in wrong] == ["text"]
    assert "Riverside 1" in texts(wrong) and "Hillside 2" in texts(wrong)


def test_report_is_on_the_menu_of_managers_and_admins_only(world, db):
    with db.session() as s:
        menus = {
            user.id: commands_for(tg_person(s, user.id))
            for user in (MANAGER, ADMIN, CONTRACTOR_A, INSPECTOR, SERVICE)
        }
    assert "report" in menus[MANAGER.id] and "report" in menus[ADMIN.id]
    assert all("report" not in menus[u.id] for u in (CONTRACTOR_A, INSPECTOR, SERVICE))


async def test_help_of_a_manager_names_report(bot, world):
    assert "/report" in texts(await bot.chat(MANAGER).send("/help"))
    assert "/report" not in texts(await bot.chat(CONTRACTOR_A).send("/help"))
