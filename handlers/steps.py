"""The dialogue steps a person can be in, stored as these strings in the dialogue table."""

from __future__ import annotations

from enum import StrEnum


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
