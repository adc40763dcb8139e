"""The demo: one realistic project with flats, contractors, people and a month of items."""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, func
from sqlmodel import Session, select

from models import clock
from models.db import Database
from models.errors import DomainError
from models.intake import pick_contractor, raise_item
from models.people import add_member
from models.project import (
    add_contractor,
    add_unit,
    create_project,
    has_projects,
    is_demo,
    mark_demo,
    set_rule,
)
from models.repair import MOVES, apply_transition
from models.tables import Action, AppUser, Category, Item, ItemState, Platform, Project, Role

PROJECT_NAME = "江畔花园一期"
TIMEZONE = "Asia/Shanghai"
DAYS = 30

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
class DemoSummary:
    """What the demo built."""

    project_id: int
    project: str
    units: int
    contractors: int
    users: int
    items: int
    items_by_state: dict[ItemState, int]
    personas: tuple[Persona, ...]
    seconds: float


@dataclass(frozen=True)
class _Firm:
    key: str
    name: str
    trades: str
    contact: str
    speed: float  # mean days before a repair is reported
    sloppiness: float  # multiplies the chance an acceptance fails
    crew: tuple[tuple[str, str], ...]  # (name, language) of its bot users


_FIRMS = (
    _Firm("general", "江苏中锦建设集团有限公司", "总包、其他", "孙立新", 4.0, 1.0,
          (("孙立新", "zh"), ("钱伟", "zh"))),
    _Firm("leak", "江苏华禹防水工程有限公司", "渗漏(1-4号楼)", "吴国平", 3.5, 1.4,
          (("吴国平", "zh"), ("郑强", "zh"))),
    _Firm("leak2", "常州宏宇防水科技有限公司", "渗漏(5、6号楼)", "冯磊", 2.5, 0.8,
          (("冯磊", "zh"),)),
    _Firm("wall", "上海申美装饰工程有限公司", "墙面(1-3号楼)", "何建军", 3.0, 1.0,
          (("何建军", "zh"), ("许文斌", "zh"))),
    _Firm("wall2", "南京佳美精装工程有限公司", "墙面、瓷砖(4-6号楼)", "曹勇", 5.0, 1.5,
          (("曹勇", "zh"),)),
    _Firm("door", "浙江金诚门窗幕墙有限公司", "门窗", "沈浩", 2.0, 0.7,
          (("沈浩", "en"), ("韩冬", "zh"))),
    _Firm("mep", "南通华安机电安装有限公司", "水电", "彭涛", 1.8, 0.8,
          (("彭涛", "zh"), ("董亮", "zh"))),
    _Firm("floor", "苏州恒达建筑装饰有限公司", "地面、瓷砖(1-3号楼)", "蒋志刚", 3.5, 1.1,
          (("蒋志刚", "zh"),)),
)  # fmt: skip

# (category, building or None for project-wide, firm key); building rules beat project ones.
_RULES = (
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

_STAFF = (
    (ADMIN_ID, "周振华", Role.admin, "zh"),
    (CLERK_ID, "李晓燕", Role.clerk, "zh"),
    (INSPECTOR_IDS[0], "陈志强", Role.inspector, "zh"),
    (INSPECTOR_IDS[1], "王海涛", Role.inspector, "zh"),
    (MANAGER_ID, "赵明远", Role.manager, "en"),
    (SERVICE_ID, "刘婷", Role.service, "zh"),
)

_ROOMS = ("客厅", "餐厅", "主卧", "次卧", "书房")
_WET = ("卫生间", "主卫")
_ALL = (*_ROOMS, "厨房", *_WET, "阳台", "走廊")

# Category -> (defect template, where in the flat it is found).
_DEFECTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "leak": (
        ("卫生间吊顶渗水", _WET),
        ("阳台顶板渗水,有水渍", ("阳台",)),
        ("窗台下墙面渗水,雨后明显", _ROOMS),
        ("外墙内侧墙面返潮发霉", ("主卧", "次卧", "客厅")),
        ("门槛石处渗水至走廊地面", _WET),
        ("空调孔周边渗水", ("主卧", "次卧", "客厅")),
        ("厨房墙角渗水", ("厨房",)),
        ("淋浴区墙面渗水至相邻房间", _WET),
        ("顶板渗水,疑似楼上防水问题", ("卫生间", "厨房", "走廊")),
        ("飘窗顶部渗水", ("主卧", "次卧")),
    ),
    "wall": (
        ("{side}墙面空鼓约{area}㎡", _ROOMS),
        ("{side}墙面裂缝长约{cm}cm", _ROOMS),
        ("顶棚裂缝长约{cm}cm", _ROOMS),
        ("乳胶漆色差明显", _ROOMS),
        ("墙面污染,有油漆点", _ALL),
        ("阴阳角不顺直", _ROOMS),
        ("{side}墙面不平整", _ROOMS),
        ("石膏线开裂", ("客厅", "餐厅", "主卧")),
        ("踢脚线处墙面开裂", _ROOMS),
        ("墙面划痕{n}处", (*_ROOMS, "走廊")),
    ),
    "door_window": (
        ("窗框密封胶开裂", (*_ROOMS, "厨房")),
        ("推拉窗关闭不严,有缝隙", (*_ROOMS, "厨房")),
        ("入户门关闭异响", ("入户门",)),
        ("入户门门锁开启不畅", ("入户门",)),
        ("窗扇玻璃划伤", _ROOMS),
        ("纱窗破损", (*_ROOMS, "厨房")),
        ("室内门门套变形", ("主卧", "次卧", "书房", "卫生间")),
        ("窗把手松动", (*_ROOMS, "卫生间")),
        ("入户门猫眼缺失", ("入户门",)),
        ("铝合金窗框划伤", _ROOMS),
        ("阳台推拉门滑轨卡顿", ("阳台",)),
        ("卫生间门底部受潮起皮", _WET),
    ),
    "plumbing_electric": (
        ("插座无电", (*_ROOMS, "厨房")),
        ("开关面板破损", _ALL),
        ("地漏排水不畅", ("卫生间", "主卫", "阳台", "厨房")),
        ("台盆下水接口滴水", _WET),
        ("灯位不亮", _ALL),
        ("强电箱空开跳闸", ("玄关",)),
        ("热水管无热水", ("厨房", "卫生间")),
        ("弱电箱网线不通", ("玄关", "书房")),
        ("马桶冲水不止", _WET),
        ("可视对讲无图像", ("玄关",)),
        ("水槽下水管接口渗水", ("厨房",)),
        ("插座面板歪斜", (*_ROOMS, "厨房")),
    ),
    "floor": (
        ("地面空鼓约{area}㎡", _ROOMS),
        ("地面起砂", (*_ROOMS, "阳台")),
        ("地面不平整,高差约{mm}mm", _ROOMS),
        ("木地板起拱", ("主卧", "次卧", "书房")),
        ("木地板划伤{n}处", ("主卧", "次卧", "书房")),
        ("地面裂缝长约{cm}cm", (*_ROOMS, "阳台")),
    ),
    "tile": (
        ("地砖空鼓{n}块", ("客厅", "餐厅", "厨房", "卫生间", "阳台")),
        ("墙砖空鼓{n}块", ("厨房", *_WET)),
        ("瓷砖破损", ("客厅", "餐厅", "厨房", *_WET)),
        ("瓷砖缝隙不均匀", ("客厅", "厨房", *_WET)),
        ("勾缝脱落", ("厨房", *_WET, "阳台")),
        ("瓷砖色差明显", ("客厅", "餐厅", "厨房")),
        ("墙砖崩角", ("厨房", *_WET)),
        ("门槛石松动", (*_WET, "入户门")),
    ),
    "other": (
        ("室内建筑垃圾未清理", _ALL),
        ("晾衣架安装不牢", ("阳台",)),
        ("阳台栏杆松动", ("阳台",)),
        ("烟道止逆阀缺失", ("厨房",)),
        ("空调孔未安装封堵盖", ("主卧", "次卧", "客厅")),
        ("门牌号缺失", ("入户门",)),
    ),
}

_CATEGORY_WEIGHTS = {
    "leak": 15,
    "wall": 25,
    "door_window": 18,
    "plumbing_electric": 15,
    "floor": 8,
    "tile": 14,
    "other": 5,
}

_REPAIR_NOTES = {
    "leak": (
        "已重做防水层,闭水试验48小时无渗漏",
        "已重新打胶封堵",
        "已处理渗水点并更换吊顶板",
        "已封堵空调孔周边并做淋水试验",
    ),
    "wall": (
        "已铲除空鼓部位重新批灰刷漆",
        "已修补裂缝并补刷乳胶漆",
        "已打磨修补",
        "已清理并局部补漆",
    ),
    "door_window": ("已重新打胶", "已调整五金,开关顺畅", "已更换玻璃", "已更换纱网", "已更换门锁"),
    "plumbing_electric": (
        "已重新接线,通电正常",
        "已更换面板",
        "已疏通下水",
        "已更换密封圈,无滴水",
        "已更换空开",
    ),
    "floor": ("已切割空鼓部位重新找平", "已打磨处理", "已更换地板"),
    "tile": ("已拆除空鼓瓷砖重新铺贴", "已重新勾缝", "已更换破损瓷砖"),
    "other": ("已处理完毕", "已清理干净", "已加固"),
}

_FAIL_REASONS = {
    "leak": ("仍有渗水", "雨后复查仍渗漏", "闭水试验不合格", "吊顶水渍未处理"),
    "wall": ("修补处色差明显", "仍有空鼓", "裂缝复现", "打磨不平整"),
    "door_window": ("仍关闭不严", "打胶不均匀", "五金仍松动", "玻璃划痕未更换"),
    "plumbing_electric": ("插座仍无电", "排水仍不畅", "接口仍滴水", "面板未更换"),
    "floor": ("仍有空鼓", "起砂未处理", "找平不合格"),
    "tile": ("瓷砖仍空鼓", "勾缝不饱满", "更换瓷砖色差明显"),
    "other": ("未整改到位", "现场未清理"),
}

_FAIL_RATE = {
    "leak": 0.28,
    "wall": 0.15,
    "door_window": 0.12,
    "plumbing_electric": 0.10,
    "floor": 0.15,
    "tile": 0.18,
    "other": 0.05,
}

# Category -> (the contractor's reason it is not theirs, the category it belongs to instead).
_DISPUTES = {
    "leak": ("非我方施工范围,为给排水管接口渗漏,应由水电安装单位处理", "plumbing_electric"),
    "wall": ("墙面开裂为结构原因,应由总包处理", "other"),
    "door_window": ("窗边渗水属防水施工范围", "leak"),
    "plumbing_electric": ("线管堵塞为土建预埋问题,应由总包处理", "other"),
    "floor": ("地面空鼓为瓷砖铺贴问题,应由瓷砖单位处理", "tile"),
    "tile": ("找平层问题,应由地面施工单位处理", "floor"),
    "other": ("不属我方合同范围", "wall"),
}

_CANCEL_NOTES = (
    "重复录入,与同一看房单另一条重复",
    "经现场核实非质量问题,业主认可",
    "录入错误,房号有误已重新录入",
)
_OWNER_ALTERATION = "经核实为业主自行改造造成,不属保修范围"
_REOPEN_NOTES = {"leak": "业主来电:雨后再次渗水"}
_REOPEN_DEFAULT = "业主来电:问题复现,要求再次维修"

_CANCEL_RATE = 0.015
_DISPUTE_RATE = 0.03
_REOPEN_RATE = {"leak": 0.06}
_REOPEN_DEFAULT_RATE = 0.01

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
class _Step:
    at: datetime  # local time of the project
    action: Action
    actor: AppUser
    note: str | None = None
    contractor_id: int | None = None  # the new contractor of a reassign


@dataclass
class _Plan:
    """One item to enter, and the life it will have been through by now."""

    unit_code: str
    building: str
    location: str
    category: str
    description: str
    raised_on: date
    sheet_no: str
    entered: datetime
    contractor_id: int
    steps: list[_Step] = field(default_factory=list)
    item: Item | None = None  # held so the session's identity map keeps it


@dataclass
class _Cast:
    """The people and firms the plans draw their actors from."""

    admin: AppUser
    clerk: AppUser
    service: AppUser
    inspectors: list[AppUser]
    crews: dict[int, list[AppUser]]
    firms: dict[int, _Firm]
    by_key: dict[str, int]
    rules: dict[tuple[str, str], int]
    chats: dict[int, int]  # AppUser.id -> their Telegram id


def build_demo(
    db: Database,
    *,
    seed: int = 7,
    items: int = 3000,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    repair_days: int = 7,
    rework_days: int = 3,
) -> DemoSummary:
    """Fill a fresh or demo database with a realistic project; refuse a real one.

    Its days to repair and to redo an item are the settings' defaults for a new project.
    """
    started = perf_counter()
    rng = random.Random(seed)
    tz = ZoneInfo(TIMEZONE)
    if today is None:
        now = clock.now().astimezone(tz)
        today = now.date()
    else:
        # A given day is built as seen at 18:00 that evening, so it is reproducible.
        now = datetime.combine(today, time(18, 0), tz)
    # One session: the whole rebuild is one transaction, and it is much faster.
    with db.session() as session:
        # A demo database someone has since added a real project to is real data now.
        others = session.exec(select(Project.id).where(Project.name != PROJECT_NAME)).first()
        if has_projects(session) and (not is_demo(session) or others is not None):
            raise DomainError("not_demo_database")
        if is_demo(session):
            _wipe(session)
        mark_demo(session)
        project = create_project(
            session,
            name=PROJECT_NAME,
            timezone=TIMEZONE,
            repair_days=repair_days,
            rework_days=rework_days,
        )
        units = _add_units(session, project.id, rng)
        cast = _add_firms_and_people(session, project.id, rng)
        plans = _plan_items(cast, units, rng, items=items, today=today, now=now)
        _ensure_every_state(plans, cast, now)
        ops = sorted(
            [(p.entered, i, -1) for i, p in enumerate(plans)]
            + [(s.at, i, k) for i, p in enumerate(plans) for k, s in enumerate(p.steps)]
        )
        setup = len(units) + len(cast.firms) + len(_STAFF)
        total = setup + len(ops)
        if progress:
            progress(setup, total)
        for done, (_at, i, k) in enumerate(ops, 1):
            _apply(session, project.id, plans[i], k, cast)
            if progress and (done % 100 == 0 or done == len(ops)):
                progress(setup + done, total)
        states = dict(
            session.exec(
                select(Item.state, func.count())
                .where(Item.project_id == project.id)
                .group_by(Item.state)
            ).all()
        )
        personas = _personas(cast)
        users = len(_STAFF) + sum(len(c) for c in cast.crews.values())
        project_id = project.id
    return DemoSummary(
        project_id=project_id,
        project=PROJECT_NAME,
        units=len(units),
        contractors=len(cast.firms),
        users=users,
        items=len(plans),
        items_by_state={s: states.get(s, 0) for s in ItemState},
        personas=personas,
        seconds=round(perf_counter() - started, 2),
    )


def _wipe(session: Session) -> None:
    """Delete every row of every table (children first), keeping the migration mark."""
    # Reflected rather than taken from our models, so tables added by later migrations go too.
    meta = MetaData()
    with warnings.catch_warnings():
        # SQLite cannot reflect the expression index of migration 0008; rows are all we need.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        meta.reflect(bind=session.connection())
    for table in reversed(meta.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())
    session.expunge_all()


def _owner(rng: random.Random) -> tuple[str, str]:
    """Return a made-up Chinese name and mobile number."""
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    phone = rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    return name, phone


def _add_units(
    session: Session, project_id: int, rng: random.Random
) -> list[tuple[str, str, bool]]:
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


def _add_firms_and_people(session: Session, project_id: int, rng: random.Random) -> _Cast:
    """Add the contractors, the assignment rules and every user."""
    by_key: dict[str, int] = {}
    firms: dict[int, _Firm] = {}
    for firm in _FIRMS:
        contact = f"{firm.contact} {_owner(rng)[1]}"
        row = add_contractor(
            session, project_id=project_id, name=firm.name, trades=firm.trades, contact=contact
        )
        by_key[firm.key] = row.id
        firms[row.id] = firm
    for category, building, key in _RULES:
        set_rule(
            session,
            project_id=project_id,
            category_code=category,
            contractor_id=by_key[key],
            building=building,
        )
    staff: dict[Role, list[AppUser]] = {}
    for telegram_id, name, role, language in _STAFF:
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
    for firm in _FIRMS:
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
    return _Cast(
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


def _personas(cast: _Cast) -> tuple[Persona, ...]:
    """List every demo user with what they do."""
    people = [Persona(tid, name, ROLE_LABELS[role]) for tid, name, role, _ in _STAFF]
    for contractor_id, crew in cast.crews.items():
        firm = cast.firms[contractor_id]
        for user in crew:
            people.append(
                Persona(cast.chats[user.id], user.name, f"施工单位 · {firm.name} (contractor)")
            )
    return tuple(people)


def _day_weight(index: int, day: date) -> float:
    """How busy handover was that day: a big first weekend, then tailing off."""
    weight = 6.0 if index < 3 else 1.0 + 2.5 * 0.88**index
    return weight * (1.7 if day.weekday() >= 5 else 1.0)


def _plan_items(
    cast: _Cast,
    units: list[tuple[str, str, bool]],
    rng: random.Random,
    *,
    items: int,
    today: date,
    now: datetime,
) -> list[_Plan]:
    """Plan the handover visits, their sheets and items, and each item's life until now."""
    tz = now.tzinfo
    first = today - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=i) for i in range(DAYS)]
    weights = [_day_weight(i, d) for i, d in enumerate(days)]
    # The clerk enters a day's sheets from 17:00; today's only count if that is past.
    if now < datetime.combine(today, time(17, 30), tz):
        weights[-1] = 0.0
    visited = [(code, building) for code, building, owned in units if owned]
    rng.shuffle(visited)
    visits: list[tuple[date, float, str, str, int]] = []
    remaining, turn = items, 0
    while remaining > 0:
        # Owners who come back for a second walk-through get a second sheet.
        code, building = visited[turn % len(visited)]
        turn += 1
        size = min(
            remaining,
            rng.choices(range(1, 13), weights=(6, 9, 12, 13, 12, 10, 8, 6, 4, 3, 2, 2))[0],
        )
        remaining -= size
        day = rng.choices(days, weights=weights)[0]
        visits.append((day, rng.random(), code, building, size))
    visits.sort()
    plans: list[_Plan] = []
    seq: Counter[date] = Counter()
    for day, _order, code, building, size in visits:
        seq[day] += 1
        sheet_no = f"KF{day:%y%m%d}-{seq[day]:03d}"
        end = min(datetime.combine(day, time(21, 30), tz), now - timedelta(minutes=30))
        start = datetime.combine(day, time(17, 0), tz)
        entered = start + (end - start) * rng.random()
        seen: set[tuple[str, str]] = set()
        for _ in range(size):
            category, location, description = _defect(rng)
            for _retry in range(5):  # one sheet never lists the same defect twice
                if (location, description) not in seen:
                    break
                category, location, description = _defect(rng)
            if (location, description) in seen:
                continue
            seen.add((location, description))
            entered += timedelta(seconds=rng.uniform(30, 90))
            plan = _Plan(
                unit_code=code,
                building=building,
                location=location,
                category=category,
                description=description,
                raised_on=day,
                sheet_no=sheet_no,
                entered=entered,
                contractor_id=cast.rules[(category, building)],
            )
            _plan_life(plan, cast, rng, now)
            plans.append(plan)
    return plans


def _defect(rng: random.Random) -> tuple[str, str, str]:
    """Pick a category, a place in the flat and a defect description."""
    category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
    template, places = rng.choice(_DEFECTS[category])
    description = template.format(
        side=rng.choice("东南西北") + "侧",
        area=rng.choice(("0.2", "0.3", "0.5", "0.8", "1", "1.5")),
        cm=rng.randrange(10, 90, 5),
        mm=rng.randrange(4, 12),
        n=rng.randrange(2, 6),
    )
    return category, rng.choice(places), description


def _working(t: datetime, rng: random.Random, start: int = 8, end: int = 18) -> datetime:
    """Move a time forward into working hours."""
    if t.hour < start:
        return t.replace(hour=start, minute=rng.randrange(60), second=rng.randrange(60))
    if t.hour >= end:
        t += timedelta(days=1)
        return t.replace(hour=start, minute=rng.randrange(60), second=rng.randrange(60))
    return t


def _plan_life(plan: _Plan, cast: _Cast, rng: random.Random, now: datetime) -> None:
    """Plan what happened to one item from its entry until now."""
    steps: list[_Step] = []
    t = plan.entered
    contractor = plan.contractor_id
    category = plan.category

    def step(
        days: float,
        action: Action,
        actor: AppUser,
        note: str | None = None,
        contractor_id: int | None = None,
        hours: tuple[int, int] = (8, 18),
    ) -> None:
        """Add the next step, `days` after the last one, within working hours."""
        nonlocal t
        t = _working(t + timedelta(days=max(0.1, days)), rng, *hours)
        steps.append(_Step(t, action, actor, note, contractor_id))

    def crew() -> AppUser:
        """Pick a user of the contractor now holding the item."""
        return rng.choice(cast.crews[contractor])

    roll = rng.random()
    if roll < _CANCEL_RATE:
        step(rng.uniform(0.1, 2.5), Action.cancel, cast.admin, rng.choice(_CANCEL_NOTES))
        plan.steps = [s for s in steps if s.at < now]
        return
    if roll < _CANCEL_RATE + _DISPUTE_RATE:
        note, belongs_to = _DISPUTES[category]
        step(rng.uniform(0.3, 3), Action.dispute, crew(), note)
        # Disputes wait for the project department, often its weekly meeting.
        if rng.random() < 0.25:
            step(rng.uniform(1, 7), Action.cancel, cast.admin, _OWNER_ALTERATION)
            plan.steps = [s for s in steps if s.at < now]
            return
        new = cast.rules[(belongs_to, plan.building)]
        if new == contractor:
            new = (
                cast.by_key["general"]
                if contractor != cast.by_key["general"]
                else (cast.rules[("wall", plan.building)])
            )
        contractor = new
        name = cast.firms[new].name
        step(rng.uniform(1, 7), Action.reassign, cast.admin, f"经现场核实,改由{name}整改", new)
    attempt, reopened = 0, False
    firm = cast.firms[contractor]
    while t < now:
        # A flagged rework item is turned round faster than a new one.
        mean = firm.speed * (0.5 if attempt else 1.0) + (1.0 if category == "leak" else 0.0)
        step(
            0.2 + rng.expovariate(1 / mean),
            Action.report_repaired,
            crew(),
            rng.choice(_REPAIR_NOTES[category]),
        )
        inspector = rng.choice(cast.inspectors)
        check = 0.2 + rng.expovariate(1 / 1.2)
        if attempt < 2 and rng.random() < _FAIL_RATE[category] * firm.sloppiness * 0.55**attempt:
            step(check, Action.fail, inspector, rng.choice(_FAIL_REASONS[category]))
            attempt += 1
            continue
        step(check, Action.pass_, inspector)
        if not reopened and rng.random() < _REOPEN_RATE.get(category, _REOPEN_DEFAULT_RATE):
            note = _REOPEN_NOTES.get(category, _REOPEN_DEFAULT)
            step(rng.uniform(2, 10), Action.reopen, cast.service, note, hours=(9, 20))
            reopened, attempt = True, attempt + 1
            continue
        break
    plan.steps = [s for s in steps if s.at < now]


def _final_state(plan: _Plan) -> ItemState:
    """Return the state the plan leaves its item in."""
    return MOVES[plan.steps[-1].action].target if plan.steps else ItemState.open


def _ensure_every_state(plans: list[_Plan], cast: _Cast, now: datetime) -> None:
    """Rewrite a few recent items' lives so that every state shows in the demo."""
    counts = Counter(_final_state(p) for p in plans)
    if not counts:
        return
    for missing in [s for s in ItemState if counts[s] == 0]:
        # Take the most recent item of the most common state, so no other state empties.
        common = counts.most_common(1)[0][0]
        if counts[common] < 2:
            return
        plan = next(p for p in reversed(plans) if _final_state(p) is common)
        crew = cast.crews[plan.contractor_id][0]
        inspector = cast.inspectors[0]
        actions = {
            ItemState.open: [],
            ItemState.repaired: [(Action.report_repaired, crew, "已处理")],
            ItemState.rework: [
                (Action.report_repaired, crew, "已处理"),
                (Action.fail, inspector, _FAIL_REASONS[plan.category][0]),
            ],
            ItemState.disputed: [(Action.dispute, crew, _DISPUTES[plan.category][0])],
            ItemState.closed: [
                (Action.report_repaired, crew, "已处理"),
                (Action.pass_, inspector, None),
            ],
            ItemState.cancelled: [(Action.cancel, cast.admin, _CANCEL_NOTES[0])],
        }[missing]
        gap = (now - plan.entered) / (len(actions) + 1)
        plan.steps = [
            _Step(plan.entered + gap * (n + 1), action, actor, note)
            for n, (action, actor, note) in enumerate(actions)
        ]
        counts[common] -= 1
        counts[missing] += 1


def _apply(session: Session, project_id: int, plan: _Plan, k: int, cast: _Cast) -> None:
    """Enter the item (k < 0) or make its k-th transition, at its planned time."""
    if k < 0:
        plan.item = raise_item(
            session,
            project_id=project_id,
            unit_code=plan.unit_code,
            location=plan.location,
            category_code=plan.category,
            description=plan.description,
            raised_on=plan.raised_on,
            user=cast.clerk,
            sheet_no=plan.sheet_no,
            at=plan.entered.astimezone(UTC),
        )
        return
    step = plan.steps[k]
    apply_transition(
        session,
        item_id=plan.item.id,
        user=step.actor,
        action=step.action,
        note=step.note,
        contractor_id=step.contractor_id,
        require_photo=False,
        at=step.at.astimezone(UTC),
    )
