"""The dialogue steps a person can be in, and the typed drafts of the reports among them.

Steps are stored as these strings in the dialogue table, drafts as JSON (models/dialogue.py);
the core turns a report's draft into its type when the dialogue is read, and back when stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Self


class Step(StrEnum):
    """A question the bot asked and waits the answer of (models/dialogue.py keeps it)."""

    # The report of one item, until Done (handlers/drafts.py): a contractor's, an inspector's.
    repair = "repair"
    dispute = "dispute"
    fail = "fail"
    # An admin's reason or new value for one item.
    reject = "reject"  # refusing a dispute
    restore = "restore"  # restoring a cancelled item
    correct = "correct"  # a corrected description or location
    # /new, one question each (handlers/intake.py).
    new_project = "new:project"
    new_unit = "new:unit"
    new_location = "new:location"
    new_category = "new:category"
    new_description = "new:description"
    new_photos = "new:photos"
    new_date = "new:date"
    new_sheet = "new:sheet"
    new_summary = "new:summary"
    new_contractor = "new:contractor"
    new_fix = "new:fix"  # the Change… menu of the summary


class Draft:
    """A dialogue's draft, typed: read from and written to the dialogue's JSON."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Return the draft as the dialogue stored it."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        """Return the draft as the dialogue stores it."""
        return {k: v for k, v in asdict(self).items() if v is not None}  # type: ignore[call-overload]


@dataclass
class Report(Draft):
    """A report of one item being written: the item as its card showed it, the texts so far."""

    item: int
    version: int | None = None  # the item's when the report began (none: photos kept before)
    unit: str | None = None
    location: str | None = None
    notes: list[str] = field(default_factory=list)
    album: str | None = None  # the album whose photos were answered already


@dataclass
class WithPhotos(Report):
    """A report with photos (each as handlers/photos.py keeps it)."""

    photos: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class Repair(WithPhotos):
    """A contractor's report of a repair done: photos and notes, until Done."""


@dataclass
class Fail(WithPhotos):
    """An inspector's Fail: the reason and photos of the defect, until Done."""


@dataclass
class Dispute(Report):
    """A contractor's "not ours", waiting for its reason."""


@dataclass
class Reject(Report):
    """An admin refusing a dispute, waiting for the reason."""


@dataclass
class Restore(Report):
    """An admin restoring a cancelled item, waiting for the reason."""


@dataclass
class Correct(Report):
    """An admin correcting an item's description or location, waiting for the new one."""

    field: str = "description"


@dataclass
class Kept(WithPhotos):
    """Photos and notes sent after opening a card, kept for the report it offers (`begin`)."""

    begin: str = ""  # the prefix of the button that begins the report


@dataclass
class Entry(Draft):
    """/new's item being entered, answer by answer, and the bookkeeping of its screens."""

    project: int | None = None
    unit: str | None = None
    location: str | None = None
    category: str | None = None  # its code
    description: str | None = None
    photos: list[dict[str, str | None]] = field(default_factory=list)
    raised: str | None = None  # the date raised, ISO
    sheet: str | None = None
    chosen: int | None = None  # the contractor the clerk chose over the rule's
    contractor: int | None = None  # the contractor the latest summary showed
    album: str | None = None  # the album whose photos were answered already
    unit_typed: str | None = None  # a code of several flats, whose pages are turned
    fix: str | None = None  # the field being corrected from the summary
    leaving: list[Any] = field(default_factory=list)  # screens Confirm was pressed away from
    stale: list[Any] = field(default_factory=list)  # summaries no longer current
    shown: dict[str, Any] | None = None  # the item as the latest summary showed it

    def as_shown(self) -> dict[str, Any]:
        """Return the item's fields (not the screens' bookkeeping), as the summary shows it."""
        kept = self.to_json()
        for bookkeeping in ("shown", "leaving", "stale", "fix"):
            kept.pop(bookkeeping, None)
        return kept


# The draft of each step.
DRAFTS: dict[Step, type[Draft]] = {
    Step.repair: Repair,
    Step.dispute: Dispute,
    Step.fail: Fail,
    Step.reject: Reject,
    Step.restore: Restore,
    Step.correct: Correct,
    **{step: Entry for step in Step if step.value.startswith("new:")},
}


def typed(step: str | None, draft: Any) -> Any:
    """Return a stored draft as its step's type (a dict where the step has none)."""
    kind = DRAFTS.get(step) if step else None  # type: ignore[call-overload]
    return (
        kind.from_json(draft) if kind is not None and isinstance(draft, dict) and draft else draft
    )


def stored(draft: Any) -> Any:
    """Return a draft as the dialogue stores it (JSON)."""
    return draft.to_json() if isinstance(draft, Draft) else draft
