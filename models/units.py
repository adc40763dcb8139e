"""Unit codes: the forms owners and staff write a flat in, read into one canonical code."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# 3-1-1202, 3栋1单元1202, 3#1-1202, 3号楼1单元1202室, 3-1202 (one entrance), 3 1 1202
_SEPARATORS = re.compile(r"[\s\-_/#.,，、·—－]+|号楼|栋|幢|座|单元|门|号|室|楼")


@dataclass(frozen=True)
class UnitCode:
    building: str
    entrance: str
    number: str

    @property
    def code(self) -> str:
        """Return the canonical form, building-entrance-number."""
        return f"{self.building}-{self.entrance}-{self.number}"

    @property
    def floor(self) -> int:
        """Return the floor: the flat number without its last two digits."""
        digits = re.sub(r"\D", "", self.number)
        return int(digits[:-2]) if len(digits) > 2 else 0


def parse_building(text: str) -> str | None:
    """Read a building as typed after a list command: 3, 3栋, 3号楼, ３#; None if not one."""
    cleaned = text.strip().upper().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    parts = [p for p in _SEPARATORS.split(cleaned) if p]
    if len(parts) != 1 or not re.fullmatch(r"[0-9A-Z]{1,6}", parts[0]):
        return None
    return parts[0].lstrip("0") or "0"


def parse_flat_number(text: str) -> str | None:
    """Read a flat's number typed alone (1202, 1202室, １２０２) as codes end in it; else None."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    cleaned = re.sub(r"\s*(室|号|房)$", "", cleaned)
    if not re.fullmatch(r"[0-9A-Z]{1,6}", cleaned) or not re.search(r"\d", cleaned):
        return None
    return cleaned.lstrip("0") or "0"


def parse_unit_code(text: str, *, default_entrance: str | None = "1") -> UnitCode | None:
    """Read a unit code in any common form; None when it is not one."""
    cleaned = text.strip().upper().replace("Ｂ", "B")
    cleaned = cleaned.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    parts = [p for p in _SEPARATORS.split(cleaned) if p]
    if len(parts) == 3:
        building, entrance, number = parts
    elif len(parts) == 2 and default_entrance is not None:
        building, number = parts
        entrance = default_entrance
    else:
        return None
    if not all(re.fullmatch(r"[0-9A-Z]{1,6}", p) for p in (building, entrance, number)):
        return None
    if not re.search(r"\d", number):
        return None
    return UnitCode(
        building.lstrip("0") or "0", entrance.lstrip("0") or "0", number.lstrip("0") or "0"
    )
