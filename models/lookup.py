"""Finding flats, categories and contractors from what people type, with near matches."""

from __future__ import annotations

import difflib
import re
import unicodedata

from sqlmodel import Session, select

from models.errors import DomainError
from models.tables import Category, Contractor, Unit
from models.units import parse_flat_number, parse_unit_code


def find_units(session: Session, *, project_id: int, text: str) -> list[Unit]:
    """Return every flat a typed code fits: one for a full code, each entrance's for a short one,
    every building's and entrance's for a flat number alone.

    A short code (3#1202, 3-1202, 3栋1202) names no entrance: where building 3 has 3-1-1202 and
    3-2-1202 it fits both, and the caller must ask which, never pick one. So does 1202 alone,
    which fits every flat numbered 1202, in building and entrance order.
    """
    full = parse_unit_code(text, default_entrance=None)
    if full is not None:
        unit = session.exec(
            select(Unit).where(Unit.project_id == project_id, Unit.code == full.code)
        ).first()
        return [unit] if unit is not None else []
    short = parse_unit_code(text)
    number = parse_flat_number(text) if short is None else None
    if short is None and number is None:
        return []
    wanted = short.number if short else number
    query = select(Unit).where(
        Unit.project_id == project_id,
        Unit.code.like(f"%-{wanted}"),  # type: ignore[attr-defined]
    )
    if short is not None:
        query = query.where(Unit.building == short.building)
    fits = [u for u in session.exec(query).all() if u.code.rsplit("-", 1)[-1] == wanted]
    return sorted(fits, key=lambda u: (_natural(u.building), _natural(u.entrance)))


def _natural(part: str) -> tuple[int, int, str]:
    """Return a sort key for a building or entrance that puts 2 before 10 and 3 before 3A."""
    digits = re.match(r"\d+", part)
    return (0, int(digits[0]), part) if digits else (1, 0, part)


def find_unit(session: Session, *, project_id: int, text: str) -> Unit | None:
    """Return the one flat a typed code means; None when it fits none, or several."""
    found = find_units(session, project_id=project_id, text=text)
    return found[0] if len(found) == 1 else None


def suggest_units(session: Session, *, project_id: int, text: str, limit: int = 5) -> list[str]:
    """Return the codes of the flats nearest to a typed code, best first: its neighbours on the
    same floor of the same stairwell, then the likest codes (the same building first)."""
    parsed = parse_unit_code(text)
    wanted = parsed.code if parsed else text.strip()
    units = session.exec(select(Unit).where(Unit.project_id == project_id)).all()
    found: list[str] = []
    if parsed:
        # 3-1-1299 is likelier 3-1-1209 or 3-1-1203 than 3-2-1299: a flat number mistyped.
        floor = [
            u
            for u in units
            if (u.building, u.entrance, u.floor) == (parsed.building, parsed.entrance, parsed.floor)
        ]
        floor.sort(key=lambda u: (_apart(u.code, parsed.number), u.code))
        found += [u.code for u in floor]
        near = [u.code for u in units if u.building == parsed.building]
        found += difflib.get_close_matches(wanted, near, n=limit, cutoff=0.6)
    if not found:
        found = difflib.get_close_matches(wanted, [u.code for u in units], n=limit, cutoff=0.5)
    return list(dict.fromkeys(found))[:limit]


def _apart(code: str, number: str) -> int:
    """Return how far a flat's number is from a typed one, as numbers (10**6: not numbers)."""
    mine, typed = code.rsplit("-", 1)[-1], number
    if mine.isdecimal() and typed.isdecimal():
        return abs(int(mine) - int(typed))
    return 10**6


def categories(session: Session, *, project_id: int) -> list[Category]:
    """Return a project's categories in a stable order."""
    return list(
        session.exec(
            select(Category).where(Category.project_id == project_id).order_by(Category.id)
        ).all()
    )


def find_category(session: Session, *, project_id: int, text: str) -> Category | None:
    """Return the category a word means: its code, Chinese or English name (any case)."""
    wanted = text.strip().lower()
    for category in categories(session, project_id=project_id):
        names = {category.code.lower(), category.name_zh.lower(), category.name_en.lower()}
        if wanted in names:
            return category
    return None


# Words sites write for a built-in category (its code), offered as that category and never
# taken for it. A word of several categories offers each, in this order (a crack may be in a
# wall, a floor or the tiles); 防水 (waterproofing) is no word of 水电 (plumbing).
SITE_WORDS: dict[str, tuple[str, ...]] = {
    code: tuple(words.split())
    for code, words in (
        ("leak", "漏水 渗水 滲漏 滲水 漏雨 滴水 返潮 水渍 leaking leakage seepage seeping leaks"),
        (
            "wall",
            "墙体 墙皮 牆面 墙裂 开裂 裂缝 裂纹 空鼓 起皮 脱皮 掉漆 crack cracks cracked plaster",
        ),
        (
            "door_window",
            "门 窗 窗户 门锁 入户门 推拉门 门框 窗框 纱窗 玻璃 合页 門窗 door doors window windows",
        ),
        (
            "plumbing_electric",
            "水電 插座 开关 跳闸 电路 线路 强电 弱电 灯 照明 配电箱 水管 给水 排水 下水 堵塞"
            " 水龙头 地漏 水压 plumbing electric electrical socket switch pipe drain tap",
        ),
        ("floor", "地板 地坪 楼地面 找平 起砂 开裂 裂缝 空鼓 flooring crack cracks cracked"),
        ("tile", "地砖 墙砖 瓷磚 瓷片 砖 开裂 裂缝 空鼓 tiles crack cracks cracked"),
        ("other", "其它 其他问题 others misc"),
    )
}
PLAUSIBLE = 3  # categories a typed name that is none is offered


def plausible_categories(
    session: Session, *, project_id: int, text: str, limit: int = PLAUSIBLE
) -> list[Category]:
    """Return the categories a typed name plausibly means, likest first (none if none is).

    The category it names; else those a site's word in it means (漏水, 卫生间漏水: 渗漏); else
    those whose name it nearly is (渗水, Leek: 渗漏) or holds (墙面开裂: 墙面); never for a mere
    shared character.
    """
    wanted = _spoken(text)
    if not wanted:
        return []
    scored: list[tuple[float, int, Category]] = []
    for order, category in enumerate(categories(session, project_id=project_id)):
        score = _plausibility(wanted, category)
        if score > 0:
            scored.append((score, order, category))
    scored.sort(key=lambda found: (-found[0], found[1]))
    return [category for _, _, category in scored[:limit]]


def _plausibility(wanted: str, category: Category) -> float:
    """Return how plausibly a folded typed name means a category; 0 when not at all."""
    names = [_spoken(n) for n in (category.code, category.name_zh, category.name_en) if n]
    words = SITE_WORDS.get(category.code, ())
    if wanted in names:
        return 4.0
    if wanted in words:
        return 3.0
    if any(_holds(wanted, name) for name in names):  # 墙面开裂: 墙面
        return 2.0
    if any(_holds(wanted, word) for word in words):  # 卫生间漏水: 渗漏
        return 1.5
    return max(_likeness(wanted, name) for name in names)


def _spoken(text: str) -> str:
    """Return a name as it is compared: full-width, case and extra spaces do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _holds(text: str, word: str) -> bool:
    """Say whether a typed text holds a word of two characters or more: in Chinese anywhere, in
    English as a word of its own."""
    if len(word) < 2 or word == text:
        return False
    if any(ord(ch) > 0x2E80 for ch in word):
        return word in text
    return word in re.split(r"[^a-z0-9]+", text)


def nearest_category(session: Session, *, project_id: int, text: str) -> Category | None:
    """Return the category a mistyped name plausibly means, or None when none is close."""
    found = plausible_categories(session, project_id=project_id, text=text, limit=1)
    return found[0] if found else None


def _likeness(typed: str, name: str) -> float:
    """Return how alike a typed name and a known one are; 0 when a suggestion would mislead."""
    if not typed or not name:
        return 0.0
    ratio = difflib.SequenceMatcher(None, typed, name).ratio()
    if any(ord(ch) > 0x2E80 for ch in typed + name):
        # Chinese names are two or three characters: one shared character at another place
        # means nothing (防水 waterproofing is not 水电 plumbing); the same first one may
        # (渗水, 渗漏).
        shared = sum(min(typed.count(ch), name.count(ch)) for ch in set(typed))
        if shared * 2 < max(len(typed), len(name)):
            return 0.0
        return ratio if ratio > 0.5 or typed[0] == name[0] else 0.0
    if min(len(typed), len(name)) >= 3 and (typed in name or name in typed):
        return max(ratio, 0.75)
    return ratio if ratio >= 0.75 else 0.0


CONTRACTOR_CHOICES = 10  # buttons offered when a typed name fits several contractors
NAMES_LISTED = 30  # names a refusal lists (each at most 100 characters: fits one message)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def match_contractors(session: Session, *, project_id: int, text: str) -> list[Contractor]:
    """Return the contractors a typed name means: the one named so (any case), else every one
    whose name contains it, by name."""
    wanted = _fold(text)
    if not wanted:
        return []
    rows = session.exec(
        select(Contractor).where(Contractor.project_id == project_id).order_by(Contractor.name)
    ).all()
    exact = [c for c in rows if _fold(c.name) == wanted]
    return exact or [c for c in rows if wanted in _fold(c.name)]


def find_contractor(session: Session, *, project_id: int, text: str) -> Contractor | None:
    """Return the one contractor a typed name means, or None when none or several fit."""
    found = match_contractors(session, project_id=project_id, text=text)
    return found[0] if len(found) == 1 else None


def contractor_named(session: Session, *, project_id: int, text: str) -> Contractor:
    """Return the one contractor a typed name (or a unique part of it) means, or refuse.

    None fits: the refusal lists the project's contractors. Several fit: it names them and
    carries `choices` (id, name) so a chat can offer one button each.
    """
    found = match_contractors(session, project_id=project_id, text=text)
    if len(found) == 1:
        return found[0]
    if found:
        shown = found[:CONTRACTOR_CHOICES]
        raise DomainError(
            "several_contractors",
            name=text.strip(),
            names=_names([c.name for c in found]),
            choices=tuple((c.id, c.name) for c in shown),
        )
    every = session.exec(
        select(Contractor.name).where(Contractor.project_id == project_id).order_by(Contractor.name)
    ).all()
    raise DomainError("no_contractor_like", name=text.strip(), names=_names(list(every)))


def _names(names: list[str]) -> str:
    listed = " / ".join(names[:NAMES_LISTED]) or "-"
    return listed + (" / …" if len(names) > NAMES_LISTED else "")
