"""The demo's project and people: its flats and owners, its contractors and their rules, its
staff and crews (each with a fixed fake Telegram id, so the console and tests can act as anyone)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

from sqlmodel import Session, select

from models.intake import pick_contractor
from models.people import add_member
from models.project import add_contractor, add_unit, set_rule
from models.tables import AppUser, Category, Platform, Role

PROJECT_NAME = "江畔花园一期"
TIMEZONE = "Asia/Shanghai"

# Fixed fake Telegram ids, so the console and tests can act as any persona.
ADMIN_ID = 1001
CLERK_ID = 1002
INSPECTOR_IDS = (1101, 1102)
MANAGER_ID = 1201
SERVICE_ID = 1301
FIRST_CONTRACTOR_ID = 2001

# Building -> flats per floor per entrance; 2 entrances and 18 floors each.
FLATS_PER_FLOOR = {"1": 2, "2": 2, "3": 3, "4": 3, "5": 4, "6": 4}
ENTRANCES = 2
FLOORS = 18

ROLE_LABELS = {
    Role.admin: "项目部管理员 (admin)",
    Role.clerk: "录入员 (clerk)",
    Role.inspector: "验收组 (inspector)",
    Role.manager: "领导 (manager)",
    Role.service: "客服 (service)",
}


class Persona(NamedTuple):
    """A demo user the console can act as."""

    telegram_id: int
    name: str
    role: str


@dataclass(frozen=True)
class Firm:
    """A contractor of the demo, its crew and how it works."""

    key: str
    name: str
    trades: str
    contact: str
    speed: float  # mean days before a repair is reported
    sloppiness: float  # multiplies the chance an acceptance fails
    crew: tuple[tuple[str, str], ...]  # (name, language) of its bot users


FIRMS = (
    Firm("general", "江苏中锦建设集团有限公司", "总包、其他", "孙立新", 4.0, 1.0,
          (("孙立新", "zh"), ("钱伟", "zh"))),
    Firm("leak", "江苏华禹防水工程有限公司", "渗漏(1-4号楼)", "吴国平", 3.5, 1.4,
          (("吴国平", "zh"), ("郑强", "zh"))),
    Firm("leak2", "常州宏宇防水科技有限公司", "渗漏(5、6号楼)", "冯磊", 2.5, 0.8,
          (("冯磊", "zh"),)),
    Firm("wall", "上海申美装饰工程有限公司", "墙面(1-3号楼)", "何建军", 3.0, 1.0,
          (("何建军", "zh"), ("许文斌", "zh"))),
    Firm("wall2", "南京佳美精装工程有限公司", "墙面、瓷砖(4-6号楼)", "曹勇", 5.0, 1.5,
          (("曹勇", "zh"),)),
    Firm("door", "浙江金诚门窗幕墙有限公司", "门窗", "沈浩", 2.0, 0.7,
          (("沈浩", "en"), ("韩冬", "zh"))),
    Firm("mep", "南通华安机电安装有限公司", "水电", "彭涛", 1.8, 0.8,
          (("彭涛", "zh"), ("董亮", "zh"))),
    Firm("floor", "苏州恒达建筑装饰有限公司", "地面、瓷砖(1-3号楼)", "蒋志刚", 3.5, 1.1,
          (("蒋志刚", "zh"),)),
)  # fmt: skip

# (category, building or None for project-wide, firm key); building rules beat project ones.
RULES = (
    ("leak", None, "leak"),
    ("leak", "5", "leak2"),
    ("leak", "6", "leak2"),
    ("wall", None, "wall"),
    ("wall", "4", "wall2"),
    ("wall", "5", "wall2"),
    ("wall", "6", "wall2"),
    ("door_window", None, "door"),
    ("plumbing_electric", None, "mep"),
    ("floor", None, "floor"),
    ("tile", None, "floor"),
    ("tile", "4", "wall2"),
    ("tile", "5", "wall2"),
    ("tile", "6", "wall2"),
    ("other", None, "general"),
)

STAFF = (
    (ADMIN_ID, "周振华", Role.admin, "zh"),
    (CLERK_ID, "李晓燕", Role.clerk, "zh"),
    (INSPECTOR_IDS[0], "陈志强", Role.inspector, "zh"),
    (INSPECTOR_IDS[1], "王海涛", Role.inspector, "zh"),
    (MANAGER_ID, "赵明远", Role.manager, "en"),
    (SERVICE_ID, "刘婷", Role.service, "zh"),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_GIVEN = (
    *"伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚斌鹏辉琳",
    *("建国", "建华", "志刚", "志强", "秀英", "桂英", "玉兰", "文斌", "浩然", "宇轩", "晨曦"),
    *("欣怡", "子涵", "梓萱", "俊杰", "海燕", "丽华", "红梅", "晓东", "晓燕", "婷婷", "佳怡"),
    *("思远", "雨桐", "家豪", "一鸣", "春生", "德明", "国庆", "振宇", "美玲", "志明"),
)
_PHONE_PREFIXES = (
    "138",
    "139",
    "137",
    "136",
    "135",
    "150",
    "151",
    "158",
    "159",
    "186",
    "187",
    "188",
    "189",
    "133",
    "153",
    "180",
    "181",
    "177",
)


@dataclass
class Cast:
    """The people and firms the plans draw their actors from."""

    admin: AppUser
    clerk: AppUser
    service: AppUser
    inspectors: list[AppUser]
    crews: dict[int, list[AppUser]]
    firms: dict[int, Firm]
    by_key: dict[str, int]
    rules: dict[tuple[str, str], int]
    chats: dict[int, int]  # AppUser.id -> their Telegram id


def _owner(rng: random.Random) -> tuple[str, str]:
    """Return a made-up Chinese name and mobile number."""
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    phone = rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    return name, phone


def add_units(session: Session, project_id: int, rng: random.Random) -> list[tuple[str, str, bool]]:
    """Add every flat; return (code, building, has an owner) for each."""
    units = []
    for building, per_floor in FLATS_PER_FLOOR.items():
        for entrance in range(1, ENTRANCES + 1):
            for floor in range(1, FLOORS + 1):
                for flat in range(1, per_floor + 1):
                    code = f"{building}-{entrance}-{floor}{flat:02d}"
                    # About one flat in twelve is unsold: no owner, no handover visit.
                    owned = rng.random() > 0.08
                    name, phone = _owner(rng) if owned else (None, None)
                    add_unit(
                        session,
                        project_id=project_id,
                        code=code,
                        owner_name=name,
                        owner_phone=phone,
                    )
                    units.append((code, building, owned))
    return units


def add_firms_and_people(session: Session, project_id: int, rng: random.Random) -> Cast:
    """Add the contractors, the assignment rules and every user."""
    by_key: dict[str, int] = {}
    firms: dict[int, Firm] = {}
    for firm in FIRMS:
        contact = f"{firm.contact} {_owner(rng)[1]}"
        row = add_contractor(
            session, project_id=project_id, name=firm.name, trades=firm.trades, contact=contact
        )
        by_key[firm.key] = row.id
        firms[row.id] = firm
    for category, building, key in RULES:
        set_rule(
            session,
            project_id=project_id,
            category_code=category,
            contractor_id=by_key[key],
            building=building,
        )
    staff: dict[Role, list[AppUser]] = {}
    for telegram_id, name, role, language in STAFF:
        user = add_member(
            session,
            project_id=project_id,
            platform=Platform.telegram,
            account=str(telegram_id),
            name=name,
            roles=[role],
            language=language,
        )
        staff.setdefault(role, []).append(user)
    crews: dict[int, list[AppUser]] = {}
    chats: dict[int, int] = {}
    telegram_id = FIRST_CONTRACTOR_ID
    for firm in FIRMS:
        contractor_id = by_key[firm.key]
        for name, language in firm.crew:
            user = add_member(
                session,
                project_id=project_id,
                platform=Platform.telegram,
                account=str(telegram_id),
                name=name,
                roles=[Role.contractor],
                contractor_id=contractor_id,
                language=language,
            )
            crews.setdefault(contractor_id, []).append(user)
            chats[user.id] = telegram_id
            telegram_id += 1
    # Ask the real rules once per (category, building), as raise_item will.
    rules = {
        (category, building): pick_contractor(
            session, project_id=project_id, category_id=cat_id, building=building
        )
        for category, cat_id in _category_ids(session, project_id).items()
        for building in FLATS_PER_FLOOR
    }
    return Cast(
        admin=staff[Role.admin][0],
        clerk=staff[Role.clerk][0],
        service=staff[Role.service][0],
        inspectors=staff[Role.inspector],
        crews=crews,
        firms=firms,
        by_key=by_key,
        rules=rules,
        chats=chats,
    )


def _category_ids(session: Session, project_id: int) -> dict[str, int]:
    """Map the project's category codes to their ids."""
    rows = session.exec(select(Category).where(Category.project_id == project_id)).all()
    return {c.code: c.id for c in rows}


def personas_of(cast: Cast) -> tuple[Persona, ...]:
    """List every demo user with what they do."""
    people = [Persona(tid, name, ROLE_LABELS[role]) for tid, name, role, _ in STAFF]
    for contractor_id, crew in cast.crews.items():
        firm = cast.firms[contractor_id]
        for user in crew:
            people.append(
                Persona(cast.chats[user.id], user.name, f"施工单位 · {firm.name} (contractor)")
            )
    return tuple(people)
