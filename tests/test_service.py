"""Customer service answers an owner's call from the live record of the flat."""

from __future__ import annotations

from sqlmodel import select

from models import people
from models import project as setup
from models.repair import PhotoIn, apply_transition
from models.tables import AccessLog, Action, AppUser, Item, ItemState, Unit
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    INSPECTOR,
    PNG,
    SERVICE,
    OfflineUser,
    texts,
    tg_user,
)
from tests.wecom_member import wecom_desk

MANAGER = OfflineUser(id=1201, first_name="Zhao", language_code="en")


def move(db, item_id: int, steps: list[tuple[int, Action]], **kw) -> None:
    with db.session() as s:
        for telegram_id, action in steps:
            apply_transition(
                s,
                item_id=item_id,
                user=tg_user(s, telegram_id),
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
    assert "Closed (1)" in shown and "closed" in shown and "rework ×1" in shown
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
    for step in ("Raised", "Reported done (Wang)", "Failed acceptance (Li): still wet"):
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
    assert "awaiting acceptance" in english and "华建装饰" not in english


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
            platform="telegram",
            account=str(MANAGER.id),
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
        service_id = tg_user(s, SERVICE.id).id
        admin_id = tg_user(s, ADMIN.id).id
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


def said(chat, replies: list) -> str:
    """Return what a press got: the messages and the button's alert (a refusal is either)."""
    answer = chat.last_callback_answer()
    return texts(replies) + "\n" + (answer.text or "" if answer else "")


def two_entrances(db, world) -> dict[str, int]:
    """Give building 3 a second 1202 (entrance 2) with its own owner; return the flats' ids."""
    owner_flat(db, world)
    with db.session() as s:
        other = setup.add_unit(
            s,
            project_id=world.project_id,
            code="3-2-1202",
            owner_name="李娜",
            owner_phone="13900001111",
        )
        first = setup.add_unit(s, project_id=world.project_id, code="3-1-1202")
        return {"3-1-1202": first.id, "3-2-1202": other.id}


async def test_short_code_of_two_flats_asks_which_and_shows_nothing(bot, world, db):
    ids = two_entrances(db, world)
    sun = bot.chat(SERVICE)
    for code in ("3#1202", "3-1202", "3栋1202"):
        replies = await sun.send(f"/unit {code}")
        shown = texts(replies)
        assert "fits 2 flats" in shown, code
        for private in ("王芳", "13812345678", "李娜", "13900001111", "卫生间吊顶渗水"):
            assert private not in shown, (code, private)
        assert sun.buttons() == [
            [("3-1-1202", f"un:{ids['3-1-1202']}")],
            [("3-2-1202", f"un:{ids['3-2-1202']}")],
        ]
    chosen = texts(await sun.press_label("3-2-1202"))
    assert "李娜" in chosen and "13900001111" in chosen
    assert "王芳" not in chosen and "卫生间吊顶渗水" not in chosen
    # The full code still opens its flat at once.
    assert "王芳" in texts(await sun.send("/unit 3-1-1202"))
    with db.session() as s:
        log = s.exec(select(AccessLog).order_by(AccessLog.id)).all()
    assert [(e.query, e.unit_id) for e in log] == [
        ("3#1202", None),
        ("3-1202", None),
        ("3栋1202", None),
        ("3-2-1202", ids["3-2-1202"]),  # only the flat chosen is logged as seen
        ("3-1-1202", ids["3-1-1202"]),
    ]


async def test_a_forged_flat_button_shows_nothing_of_another_project(bot, world, db):
    with db.session() as s:
        other = setup.create_project(s, name="Not theirs")
        hidden = setup.add_unit(
            s, project_id=other.id, code="3-2-1202", owner_name="李娜", owner_phone="139"
        )
    sun = bot.chat(SERVICE)
    await sun.send("/unit 3-1-1203")  # a message with buttons, to forge a press on
    refused = said(sun, await sun.press(f"un:{hidden.id}"))
    assert "no flat" in refused and "李娜" not in refused
    with db.session() as s:
        assert s.exec(select(AccessLog).where(AccessLog.unit_id == hidden.id)).all() == []


async def test_find_says_how_many_matched_and_pages_through_them(bot, world, db):
    with db.session() as s:
        for n in range(15):
            setup.add_unit(
                s,
                project_id=world.project_id,
                code=f"7-1-{101 + n}",
                owner_name=f"张伟{n:02d}",
                owner_phone=f"1380000{n:04d}",
            )
    sun = bot.chat(SERVICE)
    first = await sun.send("/find 张伟")
    assert "15 flats found (page 1 of 2)" in texts(first)
    assert len(first[-1].text) <= 4096
    rows = sun.buttons()
    seen = [label for row in rows[:-1] for label, _ in row]
    assert len(seen) == 10 and [label for label, _ in rows[-1]] == ["Next ▶"]
    second = await sun.press_label("Next ▶")
    assert "15 flats found (page 2 of 2)" in texts(second)
    rows = sun.buttons()
    seen += [label for row in rows[:-1] for label, _ in row]
    assert [label for label, _ in rows[-1]] == ["◀ Previous"]
    assert sorted(seen) == sorted(f"7-1-{101 + n} 张伟{n:02d}" for n in range(15))
    assert "page 1 of 2" in texts(await sun.press_label("◀ Previous"))
    assert "张伟03" in texts(await sun.press_label("7-1-104"))
    # Another person's search cannot be paged through by a forged button.
    with db.session() as s:
        search = s.exec(select(AccessLog).where(AccessLog.kind == "find")).first()
    chen = bot.chat(ADMIN)
    await chen.send("/unit 3-1-1203")
    refused = said(chen, await chen.press(f"fd:{search.id}:1"))
    assert "no longer active" in refused and "张伟" not in refused


async def test_a_code_in_two_of_ones_projects_asks_which_project(bot, world, db):
    owner_flat(db, world)
    with db.session() as s:
        hill = setup.create_project(s, name="Hillside 2")
        other = setup.add_unit(
            s, project_id=hill.id, code="3-1-1202", owner_name="李娜", owner_phone="139"
        )
        from models.people import add_member
        from models.tables import Role

        add_member(
            s,
            project_id=hill.id,
            platform="telegram",
            account=str(SERVICE.id),
            name="Sun",
            roles=[Role.service],
        )
    sun = bot.chat(SERVICE)
    shown = texts(await sun.send("/unit 3-1-1202"))
    assert "fits 2 flats" in shown and "王芳" not in shown and "李娜" not in shown
    labels = [label for row in sun.buttons() for label, _ in row]
    assert labels == ["3-1-1202 · Riverside 1", "3-1-1202 · Hillside 2"]
    chosen = texts(await sun.press_label("Hillside 2"))
    assert "李娜" in chosen and "王芳" not in chosen
    with db.session() as s:
        assert s.exec(select(AccessLog.unit_id).where(AccessLog.unit_id.is_not(None))).all() == [
            other.id
        ]


# Flat 1202 in buildings 1 to 7, entrances 1 and 2 (3-1-1202 is the world's).
NUMBERED_1202 = [f"{b}-{e}-1202" for b in range(1, 8) for e in (1, 2)]


def add_flats(db, world, codes: list[str]) -> None:
    with db.session() as s:
        for code in codes:
            setup.add_unit(s, project_id=world.project_id, code=code)


def labels(messages: list) -> list[str]:
    return [label for m in messages for row in m.buttons() for label, _ in row]


async def test_a_flat_number_alone_lists_every_flat_with_it_page_by_page(bot, world, db):
    add_flats(db, world, [*NUMBERED_1202, "6-1-202"])
    sun = bot.chat(SERVICE)
    replies = await sun.send("/unit 1202")
    shown = texts(replies)
    assert "1202" in shown and "fits 14 flats" in shown and "page 1 of 2" in shown
    assert labels(replies) == [*NUMBERED_1202[:10], "Next ▶"]
    replies = await sun.press_label("Next")
    assert "page 2 of 2" in texts(replies)
    assert labels(replies) == [*NUMBERED_1202[10:], "◀ Previous"]
    assert labels(await sun.press_label("Previous"))[:10] == NUMBERED_1202[:10]
    # Only the one who searched may turn its pages.
    turn = next(data for row in sun.buttons() for _, data in row if data.startswith("uc:"))
    chen = bot.chat(ADMIN)
    await chen.send("/unit 801")  # a screen of his own to press it on
    assert "no longer active" in await chen.press_alert(turn)
    for forged in ("uc:999999999999:1", "uc:0:0"):  # no search can have these ids
        assert "no longer active" in await chen.press_alert(forged)
    shown = texts(await sun.press_label("3-1-1202"))
    assert "卫生间吊顶渗水" in shown
    # A number one flat has is that flat.
    assert "厨房插座无电" in texts(await sun.send("/unit 801"))


async def test_an_unknown_flat_suggests_its_floor_neighbours_first(bot, world, db):
    add_flats(db, world, ["3-1-1201", "3-1-1203", "3-1-1204", "3-2-1299", "3-1-1199"])
    replies = await bot.chat(SERVICE).send("/unit 3-1-1299")
    assert "no flat" in texts(replies).lower()
    offered = labels(replies)
    assert set(offered[:4]) == {"3-1-1201", "3-1-1202", "3-1-1203", "3-1-1204"}
    assert offered[4] in ("3-2-1299", "3-1-1199")  # then the likest codes


async def test_a_flat_number_alone_on_wecom(settings, db, world):
    add_flats(db, world, NUMBERED_1202)
    with db.session() as s:
        people.set_language(s, user_id=tg_user(s, SERVICE.id).id, language="zh")
    async with wecom_desk(settings, db, {SERVICE.id: "SunLi"}) as desk:
        sun = desk.member("SunLi")
        listed = await sun.send("/unit 1202")
        assert "对应 14 户" in listed and "第 1/2 页" in listed
        turn = [k for k in sun.buttons() if k.startswith("uc:")]
        assert len([k for k in sun.buttons() if k.startswith("un:")]) == 10 and len(turn) == 1
        assert "第 2/2 页" in await sun.press(turn[0])
        flats = [k for k in sun.buttons() if k.startswith("un:")]
        assert len(flats) == 4
        with db.session() as s:
            last = s.exec(select(Unit).where(Unit.code == "7-2-1202")).one()
        assert f"un:{last.id}" in flats
        assert "7-2-1202" in await sun.press(f"un:{last.id}")
