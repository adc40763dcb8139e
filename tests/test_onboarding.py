"""Joining by invite, per-person menus, help, language; the command line's refusals."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.telegram.offline import OfflineUser
from models import clock
from models.people import create_invite
from models.tables import Invite, Membership, Role
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, texts, tg_person

NEWCOMER = OfflineUser(id=3001, first_name="Zhou", language_code="en")
ROOT = Path(__file__).resolve().parent.parent


def make_invite(db, world, roles, contractor=None, **kw) -> str:
    with db.session() as s:
        return create_invite(
            s, project_id=world.project_id, roles=roles, contractor_name=contractor, **kw
        ).code


async def test_invite_registers_with_roles_and_contractor(bot, world, db):
    code = make_invite(db, world, [Role.contractor], "华建装饰")
    replies = texts(await bot.chat(NEWCOMER).send(f"/start {code}"))
    assert "Welcome, Zhou" in replies and "/mylist" in replies and "/tocheck" not in replies
    with db.session() as s:
        person = tg_person(s, NEWCOMER.id)
        assert person.roles == {Role.contractor} and person.contractor_ids == {world.huajian}
    # Their own menu: contractor commands only, in their language.
    menu = [c["command"] for c in bot.transport.commands_for(_chat_scope(NEWCOMER.id))]
    assert menu == ["mylist", "item", "mute", "unmute", "help", "lang"]
    shown = texts(await bot.chat(NEWCOMER).send("/mylist"))
    assert "华建装饰" in shown


def _chat_scope(chat_id: int) -> dict:
    return {"type": "chat", "chat_id": chat_id}


async def test_used_invite_is_refused(bot, world, db):
    code = make_invite(db, world, [Role.inspector])
    await bot.chat(NEWCOMER).send(f"/start {code}")
    other = OfflineUser(id=3002, first_name="Qian", language_code="en")
    assert "already used" in texts(await bot.chat(other).send(f"/start {code}"))
    with db.session() as s:
        assert tg_person(s, other.id) is None


async def test_expired_and_unknown_invites_are_refused(bot, world, db):
    code = make_invite(db, world, [Role.inspector], now=clock.now() - timedelta(days=10))
    assert "expired" in texts(await bot.chat(NEWCOMER).send(f"/start {code}"))
    assert "not valid" in texts(await bot.chat(NEWCOMER).send("/start nonsense"))
    with db.session() as s:
        assert s.exec(select(Membership).where(Membership.user_id == 3001)).first() is None
        assert s.exec(select(Invite).where(Invite.code == code)).one().used_at is None


async def test_admin_invites_in_chat_and_others_cannot(bot, world, db):
    admin = bot.chat(ADMIN)
    made = texts(await admin.send("/invite contractor 明达水电"))
    assert "https://t.me/handover_test_bot?start=" in made
    code = made.split("?start=")[1].split()[0]
    assert "Welcome" in texts(await bot.chat(NEWCOMER).send(f"/start {code}"))
    with db.session() as s:
        assert tg_person(s, NEWCOMER.id).contractor_ids == {world.mingda}
    assert "Unknown role" in texts(await admin.send("/invite plumber"))
    refused = texts(await admin.send("/invite contractor Nobody Ltd"))
    assert "no contractor named “Nobody Ltd”" in refused and "华建装饰 / 明达水电" in refused
    assert "your role cannot" in texts(await bot.chat(INSPECTOR).send("/invite inspector"))


async def test_help_lists_only_own_commands_and_lang_switches(bot, world, db):
    wang = bot.chat(CONTRACTOR_A)
    shown = texts(await wang.send("/help"))
    assert "/mylist" in shown and "/invite" not in shown and "/tocheck" not in shown
    await wang.send("/lang")
    assert "语言已设为中文" in texts(await wang.press("lang:zh"))
    assert "我的待维修清单" in texts(await wang.send("/help"))
    menu = bot.transport.commands_for(_chat_scope(CONTRACTOR_A.id))
    assert menu[0]["description"].startswith("我的")


def test_run_without_token_is_one_line_and_exit_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


async def test_invite_reply_names_role_and_contractor_and_takes_a_part_of_the_name(bot, world, db):
    from models import project as setup

    admin = bot.chat(ADMIN)
    made = texts(await admin.send("/invite contractor 华建"))
    assert "Invite for: contractor · 华建装饰 (Riverside 1)" in made
    made = texts(await admin.send("/invite clerk,inspector"))
    assert "Invite for: clerk, inspector (Riverside 1)" in made
    with db.session() as s:
        tujian = setup.add_contractor(s, project_id=world.project_id, name="明达土建").id
    asked = texts(await admin.send("/invite contractor 明达"))
    assert "Several contractors have “明达”" in asked
    labels = [label for row in admin.buttons() for label, _ in row]
    assert labels == ["明达土建", "明达水电"]
    with db.session() as s:
        before = len(s.exec(select(Invite)).all())
    made = texts(await admin.press_label("明达土建"))
    assert "Invite for: contractor · 明达土建 (Riverside 1)" in made
    code = made.split("?start=")[1].split()[0]
    with db.session() as s:
        invites = s.exec(select(Invite)).all()
        assert len(invites) == before + 1
        assert s.exec(select(Invite).where(Invite.code == code)).one().contractor_id == tujian
    # A forged choice of another project's (or no) contractor is refused.
    with db.session() as s:
        other = setup.create_project(s, name="Hillside 2")
        stranger_firm = setup.add_contractor(s, project_id=other.id, name="Far Ltd").id
    help_id = (await admin.send("/help"))[0].message_id
    assert "no such contractor" in (await admin.press_alert(f"iv:4:{stranger_firm}", help_id))
    with db.session() as s:
        assert len(s.exec(select(Invite)).all()) == before + 1
    # In Chinese too.
    await admin.send("/lang")
    await admin.press("lang:zh")
    assert "邀请对象：验收组" in texts(await admin.send("/invite inspector"))


async def test_an_admin_opening_their_own_invite_is_refused_and_it_stays_unused(bot, world, db):
    admin = bot.chat(ADMIN)
    made = texts(await admin.send("/invite inspector"))
    code = made.split("?start=")[1].split()[0]
    assert "your own invite link" in texts(await admin.send(f"/start {code}"))
    with db.session() as s:
        invite = s.exec(select(Invite).where(Invite.code == code)).one()
        assert invite.used_at is None and invite.used_by is None
        assert tg_person(s, ADMIN.id).roles == {Role.admin}
    # The person it is for can still use it.
    assert "Welcome, Zhou" in texts(await bot.chat(NEWCOMER).send(f"/start {code}"))
    with db.session() as s:
        assert tg_person(s, NEWCOMER.id).roles == {Role.inspector}
