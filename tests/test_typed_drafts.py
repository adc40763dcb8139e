"""Drafts are typed in the flows and stored as the JSON they always were: rows in flight load."""

from __future__ import annotations

import pytest

from handlers import steps
from handlers.steps import Correct, Entry, Fail, Kept, Repair, Step

PHOTO = {"file_id": "AgAD", "sha256": "ab" * 32, "path": "ab/abcd.jpg", "platform": "telegram"}
# Drafts as the dialogue table holds them (written before drafts were typed).
STORED = {
    Step.repair: (
        Repair,
        {"item": 12, "version": 3, "unit": "3-1-1202", "location": "卫生间", "notes": ["ok"],
         "photos": [PHOTO], "album": "a1"},
    ),
    Step.fail: (
        Fail,
        {"item": 12, "version": 4, "unit": "3-1-1202", "location": "卫生间", "notes": [],
         "photos": []},
    ),
    Step.correct: (
        Correct,
        {"item": 12, "version": 4, "unit": "3-1-1202", "location": "卫生间", "notes": [],
         "field": "location"},
    ),
    Step.new_summary: (
        Entry,
        {"project": 1, "photos": [PHOTO], "unit": "3-1-1202", "location": "厨房",
         "category": "leak", "description": "漏水", "raised": "2026-11-20", "sheet": "A-7",
         "chosen": None, "contractor": 5, "stale": [101], "leaving": [],
         "shown": {"project": 1, "unit": "3-1-1202"}},
    ),
}  # fmt: skip


@pytest.mark.parametrize("step", STORED, ids=[s.value for s in STORED])
def test_a_stored_draft_reads_as_its_type_and_is_stored_as_it_was(step: Step) -> None:
    kind, stored = STORED[step]
    draft = steps.typed(step, stored)
    assert type(draft) is kind
    assert steps.stored(draft) == {k: v for k, v in stored.items() if v is not None}


def test_photos_kept_after_a_card_read_as_kept() -> None:
    stored = {"item": 7, "begin": "rp", "unit": "1-1-101", "location": "x", "photos": [],
              "notes": ["caption"]}  # fmt: skip
    kept = Kept.from_json(stored)
    assert (kept.item, kept.begin, kept.notes) == (7, "rp", ["caption"])
    assert kept.to_json() == stored


def test_a_step_without_a_type_keeps_its_json() -> None:
    assert steps.typed(None, {}) == {}
    assert steps.typed(Step.new_project, {}) == {}  # nothing entered yet: read when first used
