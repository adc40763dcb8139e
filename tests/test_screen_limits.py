"""A long screen is paged where its platform's text limit falls: the flow asks the platform
(Telegram: 4,000 of its 4,096 characters; WeCom: 2,048 bytes a text), so no renderer has to
cut a page in two."""

from __future__ import annotations

from datetime import date

from bot.telegram.adapter import LIMITS as TELEGRAM
from bot.wecom.adapter import LIMITS as WECOM
from bot.wecom.api import WeComAPI
from bot.wecom.delivery import WeComDelivery
from bot.wecom.offline import OfflineWeCom
from handlers.screens import Limits
from handlers.text import size
from jobs import rhythm
from jobs.sender import push
from models import people
from models.db import Database
from models.pushes import ProjectBeat
from models.settings import Settings
from models.tables import Project, PushKind, Role
from tests.conftest import ADMIN, World, tg
from tests.test_overdue import _many_firms
from tests.test_wecom_api import SECRET
from tests.wecom_member import wecom_desk

CROWD = 60  # people added to the small world's six
ROLES = [Role.clerk, Role.inspector, Role.manager]  # each listed three times, once per role
HEAD = {"en": "Riverside 1: 66 people", "zh": "Riverside 1：66 人"}  # Chen reads en, WeCom zh


def _crowd(db: Database, world: World) -> list[str]:
    """Add people with long Chinese names (40 characters, 120 bytes) holding three roles."""
    names = [f"{n:02d}" + "长" * 38 for n in range(CROWD)]
    with db.session() as s:
        for n, name in enumerate(names):
            people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(90_000 + n),
                name=name,
                roles=ROLES,
            )
    return names


def _each_page_whole(pages: list[str], names: list[str], lang: str) -> None:
    # Every message is a page of its own (it starts with the list's head: no cut page), and
    # every name is on some page once per role.
    assert len(pages) > 1
    assert all(page.startswith(HEAD[lang]) for page in pages)
    assert all(sum(page.count(name) for page in pages) == len(ROLES) for name in names)


def _person(names: list[str], limits: Limits) -> int:
    # One person's lines on a page, once per role: "• name" and its line break.
    return len(ROLES) * size(f"• {names[0]}\n", limits)


async def test_a_long_people_list_is_paged_within_telegrams_text(bot, world, db):
    names = _crowd(db, world)
    pages = [m.text for m in await bot.chat(ADMIN).send("/users") if m.text]
    _each_page_whole(pages, names, "en")
    assert all(size(page, TELEGRAM) <= TELEGRAM.chunk for page in pages)
    # As full as 4,000 characters allow, as today: one more person's three lines would not fit.
    assert all(
        size(page, TELEGRAM) > TELEGRAM.chunk - _person(names, TELEGRAM) for page in pages[:-1]
    )


async def test_a_long_people_list_is_paged_within_wecoms_text(
    settings: Settings, db: Database, world: World
) -> None:
    names = _crowd(db, world)
    async with wecom_desk(settings, db, {ADMIN.id: "ChenJing"}) as desk:
        chen = desk.member("ChenJing")
        await chen.send("/users")
        pages = [m.text for m in chen.last if m.msgtype == "text"]
    _each_page_whole(pages, names, "zh")
    assert all(size(page, WECOM) <= WECOM.text for page in pages)
    # Paged by the bytes WeCom counts, and as full as they allow.
    assert all(size(page, WECOM) > WECOM.chunk - _person(names, WECOM) for page in pages[:-1])


async def test_the_overdue_digest_pushed_on_wecom_is_one_text_within_its_bytes(
    db: Database, world: World, today: date
) -> None:
    _many_firms(db, world, today, firms=200, each=4)
    with db.session() as s:
        chen = tg(s, ADMIN.id)  # an admin: the digest's audience
        people.link_identity(s, user_id=chen, platform="wecom", account="ChenJing")
        project = s.get(Project, world.project_id)
        beat = ProjectBeat(project.id, project.name, project.timezone)
    wecom = OfflineWeCom(secret=SECRET, members={"ChenJing"})
    async with wecom.client() as client:
        api = WeComAPI(
            "https://qyapi.example", wecom.corp_id, SECRET, wecom.agent_id, client=client
        )
        delivery = WeComDelivery(api, db)
        notices = db.run(
            rhythm.build,
            kind=PushKind.overdue,
            project=beat,
            default_language="zh",
            platform=delivery.platform,
            limits=delivery.limits,
        )
        kind, day = PushKind.overdue, today
        done = await push(
            db=db, delivery=delivery, kind=kind, project_id=beat.id, day=day, notices=notices
        )
    assert done.sent == [chen]
    # One message, not cut by the renderer: the head, as many firms as fit, "+k more", the tail.
    (digest,) = wecom.messages_to("ChenJing")
    assert digest.msgtype == "text" and len(digest.text.encode()) <= WECOM.text
    assert digest.text.startswith("逾期问题 · Riverside 1") and "另有 192 家施工单位" in digest.text
    wecom.assert_clean()  # nothing cut over WeCom's limits
