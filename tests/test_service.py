"""Customer service answers an owner's call from the live record of the flat."""

from __future__ import annotations

from sqlmodel import select

from models import project as setup
from models.people import user_for
from models.repair import PhotoIn, apply_transition
from models.tables import AccessLog, Action, AppUser, Item, ItemState
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    INSPECTOR,
    PNG,
    SERVICE,
    OfflineUser,
    texts,
)

MANAGER = OfflineUser(id=1201, first_name="Zhao", language_code="en")


def move(db, item_id: int, steps: list[tuple[int, Action]], **kw) -> None:
    with db.session() as s:
        for telegram_id, action in steps:
            apply_transition(
                s,
                item_id=item_id,
                user=user_for(s, telegram_id=telegram_id),
                action=action,
                note=kw.get("note", "n"),
                photos=kw.get("photos", ()),
            )


def owner_flat(db, world) -> None:
    """Give flat 3-1-1202 an owner and one item in each group."""
    with db.session() as s:
        setup.add_unit(
            s,
            project_id=world.project_id,
            code="3-1-1202",
            owner_name="王芳",
            owner_phone="13812345678",
        )
    move(db, world.items["leak"], [(CONTRACTOR_A.id, Action.report_repaired)])


async def test_unit_in_every_code_form(bot, world, db):
    owner_flat(db, world)
    sun = bot.chat(SERVICE)
    for code in ("3-1-1202", "3栋1单元1202", "3#1-1202", "3#1202"):
        shown = texts(await sun.send(f"/unit {code}"))
        assert "3-1-1202" in shown and "卫生间吊顶渗水" in shown, code
        assert "Awaiting acceptance (1)" in shown
        assert "王芳" in shown and "13812345678" in shown


async def test_unit_groups_states_with_contractor_due_and_rework(bot, world, db):
    wall = world.items["wall"]  # 3-1-502
    move(
        db,
        wall,
        [
            (CONTRACTOR_A.id, Action.report_repaired),
            (INSPECTOR.id, Action.fail),
            (CONTRACTOR_A.id, Action.report_repaired),
            (INSPECTOR.id, Action.pass_),
        ],
    )
    shown = texts(await bot.chat(SERVICE).send("/unit 3-1-502"))
    assert "Done (1)" in shown and "closed" in shown and "rework ×1" in shown
    assert "took" in shown


async def test_unknown_code_answers_with_nearest_flats_as_buttons(bot, world):
    sun = bot.chat(SERVICE)
    replies = await sun.send("/unit 3-1-1203")
    assert "no flat 3-1-1203" in texts(replies).lower()
    labels = [label for row in replies[0].buttons() for label, _ in row]
    assert any("3-1-1202" in label for label in labels)
    shown = texts(await sun.press_label("3-1-1202"))
    assert "卫生间吊顶渗水" in shown


async def test_find_by_phone_tail_name_and_sheet(bot, world, db):
    owner_flat(db, world)
    with db.session() as s:
        setup.add_unit(
            s, project_id=world.project_id, code="5-2-801", owner_name="王磊", owner_phone="5678"
        )
        s.get(Item, world.items["socket"]).sheet_no = "KF-0031"
    sun = bot.chat(SERVICE)
    shown = texts(await sun.send("/find 5678"))  # two owners' phones end in 5678
    assert "2 flats found" in shown
    assert "卫生间吊顶渗水" in texts(await sun.press_label("3-1-1202"))
    assert "厨房插座无电" in texts(await sun.send("/find kf-0031"))
    assert "2 flats found" in texts(await sun.send("/find 王"))
    assert "No flat matches" in texts(await sun.send("/find 0000"))


async def test_item_history_with_photos_as_album(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, [(CONTRACTOR_A.id, Action.report_repaired)], photos=[PhotoIn(file_id="p1")])
    move(db, leak, [(INSPECTOR.id, Action.fail)], note="still wet", photos=[PhotoIn(file_id="p2")])
    sun = bot.chat(SERVICE)
    # The photos must be real files the transport knows: send two, reuse their file ids.
    ids = [bot.transport.register_file(PNG(i), "photo").file_id for i in (1, 2)]
    with db.session() as s:
        from models.tables import Photo

        for photo, file_id in zip(s.exec(select(Photo).order_by(Photo.id)).all(), ids, strict=True):
            photo.file_id = file_id
            s.add(photo)
    replies = await sun.send(f"/item {leak}")
    album = [m for m in replies if m.kind == "media_group_item"]
    assert len(album) == 2
    history = texts(replies)
    for step in ("Raised", "Reported repaired (Wang)", "Failed acceptance (Li): still wet"):
        assert step in history


async def test_owner_summary_has_no_staff_or_company_names(bot, world, db):
    owner_flat(db, world)
    sun = bot.chat(SERVICE)
    await sun.send("/unit 3-1-1202")
    summary = texts(await sun.press_label("中文"))
    assert "您好" in summary and "3-1-1202" in summary and "正在验收" in summary
    with db.session() as s:
        names = [u.name for u in s.exec(select(AppUser)).all()]
    for name in [*names, "华建装饰", "明达水电", "王芳", "13812345678"]:
        assert name not in summary
    english = texts(await sun.press_label("English"))
    assert "being checked" in english and "华建装饰" not in english


async def test_contractor_and_inspector_cannot_look_up_flats(bot, world):
    for user in (CONTRACTOR_A, INSPECTOR):
        chat = bot.chat(user)
        assert "your role cannot" in texts(await chat.send("/unit 3-1-1202"))
        assert "your role cannot" in texts(await chat.send("/find 王"))


async def test_manager_sees_the_flat_but_not_the_owner_contact(bot, world, db):
    owner_flat(db, world)
    with db.session() as s:
        from models.people import add_member
        from models.tables import Role

        add_member(
            s,
            project_id=world.project_id,
            telegram_id=MANAGER.id,
            name="Zhao",
            roles=[Role.manager],
        )
    shown = texts(await bot.chat(MANAGER).send("/unit 3-1-1202"))
    assert "卫生间吊顶渗水" in shown
    assert "王芳" not in shown and "13812345678" not in shown


async def test_service_cannot_pass_fail_or_reassign_even_with_forged_buttons(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, [(CONTRACTOR_A.id, Action.report_repaired)])
    sun = bot.chat(SERVICE)
    listed = await sun.send("/unit 3-1-1202")
    for data in (f"ps:{leak}", f"fl:{leak}", f"rp:{leak}"):
        alert = await sun.press_alert(data, message_id=listed[-1].message_id)
        assert "your role cannot" in alert, data
    with db.session() as s:
        assert s.get(Item, leak).state is ItemState.repaired


async def test_every_lookup_is_in_the_access_log(bot, world, db):
    owner_flat(db, world)
    sun, chen = bot.chat(SERVICE), bot.chat(ADMIN)
    await sun.send("/unit 3#1202")
    await sun.press_label("中文")
    await sun.send("/find 5678")
    await sun.send(f"/item {world.items['leak']}")
    await chen.send("/unit 9-9-999")
    with db.session() as s:
        log = s.exec(select(AccessLog).order_by(AccessLog.id)).all()
        service_id = user_for(s, telegram_id=SERVICE.id).id
        admin_id = user_for(s, telegram_id=ADMIN.id).id
    rows = [(e.user_id, e.kind, e.query) for e in log]
    assert rows == [
        (service_id, "unit", "3#1202"),
        (service_id, "summary", "3-1-1202"),
        (service_id, "find", "5678"),
        (service_id, "find", "3-1-1202"),  # the one flat found is shown at once
        (service_id, "item", f"#{world.items['leak']}"),
        (admin_id, "unit", "9-9-999"),
    ]
    assert log[0].unit_id is not None and log[0].at is not None
