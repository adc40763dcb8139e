"""The manager's figures: ageing, the last 30 days, today's counts, rework causes (SQL sums)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Age bands of an open item, in days since raised: the chart's stacked bars.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 3), (4, 7), (8, 14), (15, 30), (31, None))
SERIES_DAYS = 30


@dataclass(frozen=True)
class ContractorAgeing:
    """One contractor's open items (open, rework, repaired-not-checked, disputed) by age."""

    contractor_id: int
    name: str
    bands: tuple[int, ...]  # one count per AGE_BANDS entry
    overdue: int
    first_pass_rate: float | None  # passed at first inspection / inspected; None: none yet
    median_days_to_close: float | None  # None: nothing closed yet

    @property
    def open(self) -> int:
        """Return the contractor's open items in all bands."""
        return sum(self.bands)


@dataclass(frozen=True)
class DayCount:
    """One day of the last 30: raised, closed, and open at the day's end."""

    day: date
    raised: int
    closed: int
    open: int


@dataclass(frozen=True)
class TodayFigures:
    """Today's counts for the project (the project's local day)."""

    raised: int
    reported_repaired: int
    passed: int
    failed: int
    closed: int
    open: int
    overdue: int


@dataclass(frozen=True)
class DailyReport:
    """Everything of the manager's daily picture and caption."""

    project_id: int
    project_name: str
    day: date
    today: TodayFigures
    contractors: tuple[ContractorAgeing, ...]  # most open first
    series: tuple[DayCount, ...]  # SERIES_DAYS days, oldest first, ending on `day`


@dataclass(frozen=True)
class ReworkCause:
    """Failed inspections and reopenings of one contractor's items in one category/building."""

    contractor_id: int
    contractor_name: str
    key: str  # category code or building
    label_zh: str
    label_en: str
    failed: int
    reopened: int

    @property
    def total(self) -> int:
        """Return the failed inspections and reopenings together."""
        return self.failed + self.reopened


@dataclass(frozen=True)
class ReworkReport:
    """What causes rework: by category and by building, per contractor."""

    project_id: int
    project_name: str
    day: date
    by_category: tuple[ReworkCause, ...] = field(default_factory=tuple)
    by_building: tuple[ReworkCause, ...] = field(default_factory=tuple)
