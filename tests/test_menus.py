"""Each role's menu is the work models/roles.py WORK lets it do: no command more, none less."""

from __future__ import annotations

from bot.telegram.offline import OfflineUser
from handlers import flows
from handlers.i18n import t
from handlers.menu import EVERYONE, MENU, ROLE_COMMANDS
from models import people
from models.audiences import MAY_RECEIVE
from models.roles import WORK, Work
from models.tables import Platform, PushKind, Role
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, MANAGER, SERVICE, texts

CLERK = OfflineUser(id=1401, first_name="Qian", language_code="en")
# What a person who may use the command would write (a command alone often just says how).
ARGS = {
    "invite": "clerk",
    "unit": "3-1-1202",
    "find": "业主",
    "item": "{leak}",
    "cancel": "{socket} duplicate",
    "done": "{wall}",
    "pass": "{wall}",
    "fail": "{wall} still wet",
}


def test_each_roles_menu_lists_every_command_of_its_work_and_no_other():
    for role in Role:
        for name, works in MENU.items():
            allowed = any(role in WORK[work] for work in works)
            assert (name in ROLE_COMMANDS[role]) == allowed, (role, name)
    # The disagreement issue 15 found: whoever may check items is offered /tocheck.
    assert all("tocheck" in ROLE_COMMANDS[role] for role in WORK[Work.check])


def test_every_routed_command_is_on_a_menu_or_everyones():
    routed = set(flows.router().commands) - {"start"}
    assert routed == set(MENU) | set(EVERYONE)


def test_push_audiences_are_the_people_whose_work_the_push_serves():
    assert MAY_RECEIVE[PushKind.morning] == WORK[Work.repair] | WORK[Work.accept]
    assert MAY_RECEIVE[PushKind.report] == WORK[Work.report]
    assert MAY_RECEIVE[PushKind.overdue] == WORK[Work.overdue]
    for role in Role:
        may_mute = "mute" in ROLE_COMMANDS[role]
        assert may_mute == (role in MAY_RECEIVE[PushKind.morning]), role


async def test_a_role_is_refused_exactly_the_commands_its_menu_leaves_out(bot, world, db):
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform=Platform.telegram,
            account=str(CLERK.id),
            name=CLERK.first_name,
            roles=[Role.clerk],
        )
        s.commit()
    actors = {
        Role.contractor: CONTRACTOR_A,
        Role.inspector: INSPECTOR,
        Role.admin: ADMIN,
        Role.clerk: CLERK,
        Role.service: SERVICE,
        Role.manager: MANAGER,
    }
    assert set(actors) == set(Role)
    refusals = {t(lang, "error.not_allowed") for lang in ("zh", "en")}
    wrong = []
    for role, actor in actors.items():
        for name in MENU:
            arg = ARGS.get(name, "").format(**world.items)
            said = texts(await bot.chat(actor).send(f"/{name} {arg}".strip()))
            refused = any(refusal in said for refusal in refusals)
            if refused == (name in ROLE_COMMANDS[role]):
                wrong.append((role.value, name, "refused" if refused else "allowed"))
    assert wrong == []
