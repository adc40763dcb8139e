"""The project department in chat: disputes and reassigning, cancel, reopen, people, contractors."""

from __future__ import annotations

import pytest
from sqlmodel import select
from telegram import BotCommand, BotCommandScopeChat

from bot.telegram.offline import OfflineUser
from models import people
from models.admin import contractor_figures, revoke
from models.errors import DomainError
from models.people import accept_invite, create_invite
from models.queries import item_card
from models.repair import PhotoIn, replay_state
from models.tables import Action, Contractor, Event, Invite, Item, ItemState, Membership, Role
from tests import conftest
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    PNG,
    SERVICE,
    texts,
    tg,
    tg_person,
    tg_user,
)

S = ItemState
ADMIN_2 = OfflineUser(id=1002, first_name="Gao", language_code="en")


def state_of(db, item_id: int) -> ItemState:
    with db.session() as s:
        return s.get(Item, item_id).state


def move(db, item_id: int, telegram_id: int, action: Action, note: str | None = None) -> None:
    photos = (PhotoIn(file_id="x"),) if action is Action.report_repaired else ()
    conftest.move(db, item_id, telegram_id, action, note, photos)


def close(db, item_id: int) -> None:
    move(db, item_id, CONTRACTOR_A.id, Action.report_repaired)
    move(db, item_id, INSPECTOR.id, Action.pass_)


def version_of(db, item_id: int) -> int:
    with db.session() as s:
        return s.get(Item, item_id).version


async def test_dispute_reassigned_to_the_other_contractor(bot, world, db):
    leak = world.items["leak"]
    wang, zhao, chen = bot.chat(CONTRACTOR_A), bot.chat(CONTRACTOR_B), bot.chat(ADMIN)

    # The contractor says it is not theirs, with a reason.
    await wang.send("/mylist")
    await wang.press(f"dp:{leak}")
    assert "not yours" in texts(await wang.send("pipe in the wall: plumbing, not ours"))
    assert f"#{leak}" not in texts(await wang.send("/mylist"))

    # The admin sees it with the reason, who said it, and a button per other contractor.
    listed = await chen.send("/disputes")
    shown = texts(listed)
    assert "Disputed items: 1" in shown and "3-1-1202" in shown and "卫生间吊顶渗水" in shown
    assert "华建装饰: pipe in the wall: plumbing, not ours" in shown and "Wang" in shown
    buttons = [b for row in chen.buttons() for b in row]
    version = version_of(db, leak)
    assert buttons == [
        ("→ 明达水电", f"ra:{leak}:{world.mingda}:{version}"),
        ("✖ Reject dispute (stays with them)", f"rj:{leak}:{version}"),
    ]

    # Reassign: the new contractor is told at once, with a button to open it; the contractor
    # who disputed it, that their dispute was upheld.
    done = texts(await chen.press_label("明达水电"))
    assert f"Item #{leak} reassigned to 明达水电" in done
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_B.id]
    assert len(told) == 1 and f"#{leak}" in told[0].text and "卫生间吊顶渗水" in told[0].text
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_A.id]
    assert len(told) == 1 and "争议成立" in told[0].text and f"#{leak}" in told[0].text

    # The new contractor has it; the old one no longer sees it, nor can open it.
    assert f"#{leak}" in texts(await zhao.send("/mylist"))
    assert f"#{leak}" not in texts(await wang.send("/mylist"))
    assert "not on your list" in await wang.press_alert(f"it:{leak}")
    assert "No disputed items" in texts(await chen.send("/disputes"))

    # The history keeps both steps: who disputed and why, who reassigned to whom.
    with db.session() as s:
        card = item_card(s, user_id=tg(s, ADMIN.id), item_id=leak)
    steps = [(e.action, e.actor_name, e.note, e.contractor_name) for e in card.events]
    assert steps[1:] == [
        (Action.dispute, "Wang", "pipe in the wall: plumbing, not ours", None),
        (Action.reassign, "Chen", None, "明达水电"),
    ]
    assert card.line.state is S.open and card.line.contractor_name == "明达水电"


async def test_reassign_buttons_hold_against_forged_and_stale_data(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.dispute, "not ours")
    version = version_of(db, leak)
    forged = f"ra:{leak}:{world.mingda}:{version}"
    for user in (SERVICE, CONTRACTOR_A, CONTRACTOR_B, INSPECTOR):
        chat = bot.chat(user)
        help_id = (await chat.send("/help"))[0].message_id
        assert "your role cannot" in await chat.press_alert(forged, message_id=help_id)
        assert "your role cannot" in texts(await chat.send("/disputes"))
    assert state_of(db, leak) is S.disputed

    chen = bot.chat(ADMIN)
    await chen.send("/disputes")
    card_id = chen.transport.last_message(ADMIN.id, with_keyboard=True).message_id
    # Back to the contractor who disputed it: refused; to a contractor of no project: refused.
    same = f"ra:{leak}:{world.huajian}:{version}"
    assert "already with that contractor" in await chen.press_alert(same, message_id=card_id)
    assert "no such contractor" in await chen.press_alert(
        f"ra:{leak}:999:{version}", message_id=card_id
    )
    await chen.press(forged, message_id=card_id)
    assert state_of(db, leak) is S.open
    # The same dispute message pressed again (double tap): already handled, nothing moves.
    again = await chen.press_alert(forged, message_id=card_id)
    assert "already handled" in again
    await chen.press("ra:abc:1:0", message_id=card_id)  # matches no anchored pattern
    assert "no longer active" in chen.last_callback_answer().text
    with db.session() as s:
        reassigns = s.exec(select(Event).where(Event.action == Action.reassign)).all()
        assert len(reassigns) == 1


async def test_reassign_by_name_on_the_command(bot, world, db):
    wall = world.items["wall"]
    chen = bot.chat(ADMIN)
    assert "Usage: /reassign" in texts(await chen.send("/reassign"))
    assert "Usage: /reassign" in texts(await chen.send(f"/reassign {wall}"))
    refused = texts(await chen.send(f"/reassign {wall} Nobody"))
    assert "no contractor named “Nobody”" in refused and "华建装饰 / 明达水电" in refused
    # What was typed comes back as typed, markup and all (escaped, so Telegram takes it).
    assert "no contractor named “<b>A&B”" in texts(await chen.send(f"/reassign {wall} <b>A&B"))
    assert "already with that contractor" in texts(await chen.send(f"/reassign {wall} 华建装饰"))
    # Part of a name is enough when only one contractor has it.
    shown = texts(await chen.send(f"/reassign #{wall} 明达"))
    assert f"Item #{wall} reassigned to 明达水电" in shown
    assert any(m.chat_id == CONTRACTOR_B.id for m in chen.last_step_events)
    with db.session() as s:
        assert s.get(Item, wall).contractor_id == world.mingda
    assert "your role cannot" in texts(await bot.chat(SERVICE).send(f"/reassign {wall} 华建"))
    with db.session() as s:
        assert s.get(Item, wall).contractor_id == world.mingda


async def test_cancel_an_item_and_who_may(bot, world, db):
    wall, socket = world.items["wall"], world.items["socket"]
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    assert "Usage: /cancel" in texts(await chen.send(f"/cancel {wall}"))
    assert "your role cannot" in texts(await sun.send(f"/cancel {socket} duplicate"))
    assert "your role cannot" in texts(await bot.chat(CONTRACTOR_B).send(f"/cancel {socket} x"))
    assert state_of(db, socket) is S.open

    shown = texts(await chen.send(f"/cancel {wall} duplicate of the 3-1-502 sheet"))
    assert f"Item #{wall} cancelled: duplicate of the 3-1-502 sheet" in shown
    assert state_of(db, wall) is S.cancelled
    assert "already handled" in texts(await chen.send(f"/cancel {wall} again"))
    assert f"#{wall}" not in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    with db.session() as s:
        last = s.exec(select(Event).where(Event.item_id == wall).order_by(Event.id)).all()[-1]
        assert (last.action, last.note) == (Action.cancel, "duplicate of the 3-1-502 sheet")


async def test_bare_cancel_still_drops_a_half_finished_report(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    assert "Nothing was changed" in texts(await wang.send("/cancel"))
    # The report is gone: a photo now starts nothing.
    await wang.send_photo(PNG(1), caption="late photo")
    assert state_of(db, leak) is S.open


async def test_cancel_with_an_item_number_wins_inside_a_conversation(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired)
    chen = bot.chat(ADMIN)
    await chen.send("/tocheck")
    await chen.press(f"fl:{leak}")  # the admin starts failing an item, and stops halfway
    said = texts(await chen.send(f"/cancel {wall} not a defect"))
    assert f"Item #{wall} cancelled" in said
    assert state_of(db, wall) is S.cancelled
    # Like any other command, it drops the half-finished fail, saying so.
    assert f"Report for item #{leak} · 3-1-1202 · kitchen dropped" in said
    await chen.send("still drips")
    assert state_of(db, leak) is S.repaired


async def test_reopen_by_admin_and_by_service(bot, world, db):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    close(db, leak)
    close(db, wall)
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    assert "Usage: /reopen" in texts(await sun.send(f"/reopen {leak}"))
    shown = texts(await chen.send(f"/reopen {leak} leaks again after the rain"))
    assert f"Item #{leak} reopened: back to 华建装饰 as rework" in shown
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_A.id]
    assert len(told) == 1 and "leaks again after the rain" in told[0].text
    with db.session() as s:
        item = s.get(Item, leak)
        assert item.state is S.rework and item.rework_count == 1 and item.closed_at is None

    # Customer service reopens too, on the owner's call.
    assert "reopened" in texts(await sun.send(f"/reopen #{wall} owner says the wall cracked"))
    assert state_of(db, wall) is S.rework
    assert any(m.chat_id == CONTRACTOR_A.id for m in sun.last_step_events)
    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    assert f"#{leak}" in shown and f"#{wall}" in shown and "rework×1" in shown

    # Only a closed item reopens; and not by a contractor or an inspector.
    assert "waiting for repair" in texts(await sun.send(f"/reopen {socket} x"))
    assert "your role cannot" in texts(await bot.chat(INSPECTOR).send(f"/reopen {leak} x"))


async def test_users_revoke_then_refused_like_a_stranger(bot, world, db):
    chen, wang = bot.chat(ADMIN), bot.chat(CONTRACTOR_A)
    shown = texts(await chen.send("/users"))
    assert "Riverside 1: 6 people" in shown
    assert "project admin (1)\n• Chen (you)" in shown
    assert "contractor (2)\n• Wang · 华建装饰\n• Zhao · 明达水电" in shown
    labels = [label for row in chen.buttons() for label, _ in row]
    assert labels == ["👤 Chen", "👤 Li", "👤 Sun", "👤 Wang", "👤 Zhao", "👤 Zhou"]  # by name
    # No Revoke on one's own screen.
    await chen.press_label("Chen")
    assert "Revoke" not in str(chen.buttons())

    # Revoke asks first; Keep changes nothing.
    await chen.send("/users")
    await chen.press_label("Wang")
    await chen.press_label("Revoke")
    assert "Revoke the access of Wang (contractor)" in chen.last_text()
    assert "Nothing was changed" in texts(await chen.press_label("Keep"))
    assert "华建装饰" in texts(await wang.send("/mylist"))

    await chen.send("/users")
    await chen.press_label("Wang")
    await chen.press_label("Revoke")
    scope = {"type": "chat", "chat_id": CONTRACTOR_A.id}
    await bot.app.bot.set_my_commands(
        [BotCommand("mylist", "x")], scope=BotCommandScopeChat(CONTRACTOR_A.id)
    )
    assert "Wang no longer has access to Riverside 1" in texts(await chen.press_label("Yes"))
    assert bot.transport.commands_for(scope) is None  # no role left: no menu
    for text in ("/mylist", "/help"):
        replies = await wang.send(text)
        assert len(replies) == 1 and "only for the project team" in replies[0].text
    assert "only for the project team" in await wang.press_alert(f"rp:{world.items['leak']}")
    assert "Wang" not in texts(await chen.send("/users"))
    # The history still names them.
    with db.session() as s:
        assert tg_user(s, CONTRACTOR_A.id).name == "Wang"


async def test_revoke_refusals_and_invites_withdrawn(bot, world, db):
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    with db.session() as s:
        gao = people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(ADMIN_2.id),
            name="Gao",
            roles=[Role.admin],
        )
        code = create_invite(
            s, project_id=world.project_id, roles=[Role.clerk], by=gao, hours=24
        ).code
        me = tg_user(s, ADMIN.id).id
    help_id = (await chen.send("/help"))[0].message_id
    p = world.project_id
    assert "cannot revoke your own" in await chen.press_alert(f"ry:{p}:{me}", message_id=help_id)
    assert "cannot revoke your own" in await chen.press_alert(f"rv:{p}:{me}", message_id=help_id)
    sun_help = (await sun.send("/help"))[0].message_id
    assert "your role cannot" in await sun.press_alert(f"ry:{p}:{gao.id}", message_id=sun_help)
    assert "your role cannot" in texts(await sun.send("/users"))
    assert "not in this project" in await chen.press_alert(f"ry:{p}:99999", message_id=help_id)

    done = texts(await chen.press(f"ry:{p}:{gao.id}", message_id=help_id))
    assert "Gao no longer has access" in done and "1 unused invite they made was cancelled" in done
    with db.session() as s:
        with pytest.raises(DomainError) as used:
            accept_invite(s, code=code, platform="telegram", account=str(4242), name="Someone")
        assert used.value.key == "invite_expired"
        assert s.exec(select(Membership).where(Membership.user_id == gao.id)).all() == []
        assert s.exec(select(Invite).where(Invite.code == code)).one().used_at is None
    assert "only for the project team" in texts(await bot.chat(ADMIN_2).send("/users"))


def test_revoke_is_scoped_to_the_admins_own_project(db, world):
    from models import project as setup

    with db.session() as s:
        other = setup.create_project(s, name="Hillside 2")
        hill = people.add_member(
            s,
            project_id=other.id,
            platform="telegram",
            account=str(5101),
            name="Hill",
            roles=[Role.admin],
        )
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(5101),
            name="Hill",
            roles=[Role.inspector],
        )
    with db.session() as s, pytest.raises(DomainError) as refused:
        revoke(s, user_id=tg(s, ADMIN.id), project_id=other.id, member_id=hill.id)
    assert refused.value.key == "not_allowed"
    with db.session() as s:
        done = revoke(s, user_id=tg(s, ADMIN.id), project_id=world.project_id, member_id=hill.id)
        assert done.still_elsewhere  # still the admin of Hillside 2
        assert tg_person(s, 5101).roles == {Role.admin}


async def test_contractors_counts_match_the_database(bot, world, db, today):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired)
    move(db, leak, INSPECTOR.id, Action.fail, "still drips")  # rework
    move(db, wall, CONTRACTOR_A.id, Action.dispute, "not ours")
    move(db, socket, CONTRACTOR_B.id, Action.report_repaired)
    shown = texts(await bot.chat(ADMIN).send("/contractors"))
    assert "Riverside 1: contractors" in shown

    with db.session() as s:
        items = s.exec(select(Item)).all()
        for contractor_id, name in ((world.huajian, "华建装饰"), (world.mingda, "明达水电")):
            mine = [x for x in items if x.contractor_id == contractor_id]
            count = {state: sum(x.state is state for x in mine) for state in S}
            to_repair = [x.raised_on for x in mine if x.state in (S.open, S.rework)]
            oldest = f"{(today - min(to_repair)).days} d" if to_repair else "-"
            expected = (
                f"{name}\n  to repair {count[S.open]} · rework {count[S.rework]} · awaiting "
                f"acceptance {count[S.repaired]} · disputed {count[S.disputed]} · "
                f"oldest to repair {oldest}"
            )
            assert expected in shown
    figures = "to repair 0 · rework 1 · awaiting acceptance 0 · disputed 1 · oldest to repair 5 d"
    assert figures in shown
    assert "your role cannot" in texts(await bot.chat(INSPECTOR).send("/contractors"))
    with db.session() as s, pytest.raises(DomainError):
        contractor_figures(s, user_id=tg(s, SERVICE.id))


async def test_admin_menu_and_help_list_the_new_commands(bot, world):
    shown = texts(await bot.chat(ADMIN).send("/help"))
    for command in ("/disputes", "/reassign", "/cancel", "/reopen", "/users", "/contractors"):
        assert command in shown
    service = texts(await bot.chat(SERVICE).send("/help"))
    assert "/reopen" in service and "/cancel" not in service and "/disputes" not in service


def test_command_line_reassign_cancel_reopen(db, world, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env of the working folder
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    wall, socket, leak = world.items["wall"], world.items["socket"], world.items["leak"]
    admin = ["--as", str(ADMIN.id)]
    assert main(["reassign", str(wall), "明达", *admin]) == 0
    assert f"item {wall}: open, 明达水电" in capsys.readouterr().out
    assert main(["cancel", str(socket), "duplicate", "entry", *admin]) == 0
    assert state_of(db, socket) is S.cancelled
    assert main(["cancel", str(leak), "x", "--as", str(SERVICE.id)]) == 2
    assert "your role cannot" in capsys.readouterr().err
    close(db, leak)
    assert main(["reopen", str(leak), "leaks", "again", "--as", str(SERVICE.id)]) == 0
    with db.session() as s:
        item = s.get(Item, leak)
        assert item.state is S.rework
        last = s.exec(select(Event).where(Event.item_id == leak).order_by(Event.id)).all()[-1]
        assert last.note == "leaks again"


async def test_dispute_rejected_goes_back_to_the_same_contractor_who_is_told(bot, world, db):
    leak = world.items["leak"]
    wang, chen = bot.chat(CONTRACTOR_A), bot.chat(ADMIN)
    await wang.send("/mylist")
    await wang.press(f"dp:{leak}")
    await wang.send("not ours, the pipe is plumbing")
    assert state_of(db, leak) is S.disputed

    # The dispute offers Reject beside the reassign choices.
    await chen.send("/disputes")
    buttons = [b for row in chen.buttons() for b in row]
    version = version_of(db, leak)
    assert ("✖ Reject dispute (stays with them)", f"rj:{leak}:{version}") in buttons
    asked = texts(await chen.press_label("Reject dispute"))
    assert f"#{leak} (3-1-1202 · kitchen)" in asked and "华建装饰" in asked
    assert state_of(db, leak) is S.disputed  # nothing moves before the reason

    done = texts(await chen.send("the leak is your waterproofing, see the sheet"))
    assert f"Dispute of item #{leak} (3-1-1202 · kitchen) rejected: back to 华建装饰" in done
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_A.id]
    assert len(told) == 1
    assert f"#{leak}" in told[0].text and "3-1-1202" in told[0].text and "kitchen" in told[0].text
    assert "the leak is your waterproofing" in told[0].text
    assert [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_B.id] == []

    with db.session() as s:
        item = s.get(Item, leak)
        assert (item.state, item.contractor_id) == (S.open, world.huajian)
        events = s.exec(select(Event).where(Event.item_id == leak).order_by(Event.id)).all()
        last = events[-1]
        assert (last.action, last.from_state, last.to_state) == (
            Action.reject_dispute,
            S.disputed,
            S.open,
        )
        assert last.note == "the leak is your waterproofing, see the sheet"
        assert last.actor_id == tg_user(s, ADMIN.id).id
        assert replay_state(events) is S.open
    assert f"#{leak}" in texts(await wang.send("/mylist"))
    assert "No disputed items" in texts(await chen.send("/disputes"))
    # The same Reject pressed again on the old message: it is back with the contractor.
    assert "waiting for repair" in (await chen.press_alert(f"rj:{leak}:{version}"))
    # The contractor may dispute again (a second opinion), and it is on /disputes again;
    # the first dispute's old Reject button still asks nothing.
    await wang.press(f"dp:{leak}")
    await wang.send("still not ours")
    assert state_of(db, leak) is S.disputed
    stale = await chen.press_alert(f"rj:{leak}:{version}")
    assert "already handled" in stale and "Type the reason" not in texts(chen.last_step_events)


async def test_reject_dispute_refusals_and_rework_kept(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired)
    move(db, leak, INSPECTOR.id, Action.fail, "still drips")
    move(db, leak, CONTRACTOR_A.id, Action.dispute, "the drip is from upstairs")
    version = version_of(db, leak)
    for user in (SERVICE, CONTRACTOR_A, INSPECTOR):
        chat = bot.chat(user)
        help_id = (await chat.send("/help"))[0].message_id
        refused = await chat.press_alert(f"rj:{leak}:{version}", message_id=help_id)
        assert "your role cannot" in refused
    chen = bot.chat(ADMIN)
    await chen.send("/disputes")
    # An item nobody disputed cannot be "rejected": refused at once, nothing asked.
    refused = await chen.press_alert(f"rj:{wall}:{version_of(db, wall)}")
    assert f"#{wall}" in refused and "Type the reason" not in texts(chen.last_step_events)
    assert state_of(db, wall) is S.open
    # Cancel drops it; an empty reason is not taken.
    await chen.press(f"rj:{leak}:{version}")
    assert "Nothing was changed" in texts(await chen.send("/cancel"))
    assert state_of(db, leak) is S.disputed
    await chen.press(f"rj:{leak}:{version}")
    await chen.send("upstairs is dry; it is the trap you fitted")
    with db.session() as s:
        item = s.get(Item, leak)
        assert item.state is S.open and item.rework_count == 1  # the failed round stays counted


async def test_reassign_with_a_part_that_fits_several_asks_with_a_button_each(bot, world, db):
    from models import project as setup

    wall = world.items["wall"]
    with db.session() as s:
        tujian = setup.add_contractor(s, project_id=world.project_id, name="明达土建").id
    chen = bot.chat(ADMIN)
    asked = texts(await chen.send(f"/reassign {wall} 明达"))
    assert "Several contractors have “明达”" in asked and "明达土建 / 明达水电" in asked
    version = version_of(db, wall)
    assert chen.buttons() == [
        [("→ 明达土建", f"ra:{wall}:{tujian}:{version}")],
        [("→ 明达水电", f"ra:{wall}:{world.mingda}:{version}")],
    ]
    assert state_of(db, wall) is S.open  # nothing moves until one is chosen
    with db.session() as s:
        assert s.get(Item, wall).contractor_id == world.huajian
    done = texts(await chen.press_label("明达水电"))
    assert f"Item #{wall} reassigned to 明达水电" in done
    assert any(m.chat_id == CONTRACTOR_B.id for m in chen.last_step_events)
    # Case and spaces do not matter; a whole name beats a part of a longer one.
    with db.session() as s:
        setup.add_contractor(s, project_id=world.project_id, name="Acme")
        setup.add_contractor(s, project_id=world.project_id, name="Acme Plumbing")
    with db.session() as s:
        acme = {c.name: c.id for c in s.exec(select(Contractor)).all()}
    await chen.send(f"/reassign {wall} acme")
    with db.session() as s:
        assert s.get(Item, wall).contractor_id == acme["Acme"]
    await chen.send(f"/reassign {wall} PLUMB ing")
    with db.session() as s:
        assert s.get(Item, wall).contractor_id == acme["Acme Plumbing"]


async def test_users_by_role_and_an_admin_changes_roles_without_revoking(bot, world, db):
    chen, li = bot.chat(ADMIN), bot.chat(INSPECTOR)
    with db.session() as s:
        li_id = tg_user(s, INSPECTOR.id).id
        chen_id = tg_user(s, ADMIN.id).id
    p = world.project_id
    await chen.send("/users")
    screen = texts(await chen.press_label("👤 Li"))
    assert "Li — Riverside 1\nRoles: inspector" in screen
    # A button per role, each in its place; contractor only through an invite naming the firm,
    # and the last role only by Revoke: those buttons answer why.
    assert chen.buttons() == [
        [("⬜ project admin", f"pr:{p}:{li_id}:admin:1"), ("⬜ clerk", f"pr:{p}:{li_id}:clerk:1")],
        [
            ("⬜ contractor", f"pr:{p}:{li_id}:contractor:1"),
            ("✅ inspector", f"pr:{p}:{li_id}:inspector:0"),
        ],
        [
            ("⬜ manager", f"pr:{p}:{li_id}:manager:1"),
            ("⬜ customer service", f"pr:{p}:{li_id}:service:1"),
        ],
        [("✖ Revoke access", f"rv:{p}:{li_id}")],
    ]
    assert "inspector: That is Li's only role" in screen and "contractor: A contractor's" in screen

    # Give clerk: the screen shows it, Li is told and gets the clerk's commands.
    done = texts(await chen.press_label("⬜ clerk"))
    assert "Roles: clerk, inspector" in done
    told = [m for m in chen.last_step_events if m.chat_id == INSPECTOR.id]
    # In their stored language, else the deployment's default (zh here).
    assert len(told) == 1 and "您在 Riverside 1 的角色已更新：录入人员、验收组" in told[0].text
    menu = [
        c["command"] for c in bot.transport.commands_for({"type": "chat", "chat_id": INSPECTOR.id})
    ]
    assert "new" in menu and "tocheck" in menu
    assert "/new" in texts(await li.send("/help"))
    # The same press again (double tap) changes nothing more.
    await chen.press(f"pr:{p}:{li_id}:clerk:1")
    with db.session() as s:
        held = s.exec(select(Membership.role).where(Membership.user_id == li_id)).all()
        assert sorted(held) == [Role.clerk, Role.inspector]

    # Take clerk away again: Li keeps inspector, is not revoked, and no longer enters items.
    assert "Roles: inspector" in texts(await chen.press(f"pr:{p}:{li_id}:clerk:0"))
    assert "your role cannot" in texts(await li.send("/new"))
    assert "Nothing is awaiting acceptance" in texts(await li.send("/tocheck"))
    shown = texts(await chen.send("/users"))
    assert "inspector (1)\n• Li" in shown and "clerk (" not in shown

    # Refused, whatever the buttons say: the last role (that is Revoke), the contractor role,
    # the only admin's admin role; and anyone but an admin.
    assert "only role" in (await chen.press_alert(f"pr:{p}:{li_id}:inspector:0"))
    assert "invite naming it" in (await chen.press_alert(f"pr:{p}:{li_id}:contractor:1"))
    await chen.press(f"pr:{p}:{chen_id}:clerk:1")  # an admin may give themselves a role
    assert "only admin of Riverside 1" in (await chen.press_alert(f"pr:{p}:{chen_id}:admin:0"))
    help_id = (await li.send("/help"))[0].message_id
    assert "your role cannot" in (await li.press_alert(f"pr:{p}:{li_id}:admin:1", help_id))
    assert "your role cannot" in (await li.press_alert(f"pp:{p}:{li_id}", help_id))
    with db.session() as s:
        assert tg_person(s, INSPECTOR.id).roles == {Role.inspector}
        assert tg_person(s, ADMIN.id).roles == {Role.admin, Role.clerk}

    # With a second admin, one of them may step down from admin.
    with db.session() as s:
        people.add_member(
            s,
            project_id=p,
            platform="telegram",
            account=str(ADMIN_2.id),
            name="Gao",
            roles=[Role.admin, Role.manager],
        )
        gao_id = tg_user(s, ADMIN_2.id).id
    assert "Roles: manager" in texts(await chen.press(f"pr:{p}:{gao_id}:admin:0"))
    assert "your role cannot" in texts(await bot.chat(ADMIN_2).send("/users"))


async def test_users_in_chinese_are_grouped_by_role(bot, world, db):
    chen = bot.chat(ADMIN)
    await chen.send("/lang")
    await chen.press("lang:zh")
    shown = texts(await chen.send("/users"))
    assert "施工单位（2）\n• Wang · 华建装饰\n• Zhao · 明达水电" in shown
    screen = texts(await chen.press_label("Li"))
    assert "角色：验收组" in screen and "⬜ 录入人员" in str(chen.buttons())


async def test_users_of_a_big_project_fit_telegrams_limits(bot, world, db):
    with db.session() as s:
        for n in range(90):
            people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(7000 + n),
                name=f"{n:02d}" + "长" * 98,
                roles=[Role.clerk, Role.inspector, Role.manager],
            )
    replies = await bot.chat(ADMIN).send("/users")
    assert len(replies) >= 3
    buttons = [b for m in replies for row in m.buttons() for b in row]
    assert len(buttons) == 96 and all(len(m.buttons()) * 2 <= 100 for m in replies)
    assert all(len(m.raw_text) <= 4096 for m in replies)
    shown = texts(replies)
    assert all(f"{n:02d}长" in shown for n in range(90))


async def test_a_half_finished_reject_is_dropped_by_another_command(bot, world, db):
    leak = world.items["leak"]
    wang, chen = bot.chat(CONTRACTOR_A), bot.chat(ADMIN)
    await wang.send("/mylist")
    await wang.press(f"dp:{leak}")
    await wang.send("not ours")
    await chen.send("/disputes")
    await chen.press_label("Reject dispute")
    assert f"Report for item #{leak} · 3-1-1202 · kitchen dropped" in texts(
        await chen.send("/contractors")
    )
    # What is typed next is no reason for the dropped reject: the item stays disputed.
    await chen.send("the leak is yours")
    assert state_of(db, leak) is S.disputed
