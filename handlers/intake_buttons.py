"""The kinds of button of /new, the clerk's entry of one item step by step (nw:...).

Declared like every other kind (handlers/buttons.py): each makes its data and parses it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.buttons import Button, Digits, Id, Word

# The rooms inspection sheets name most; each has a text `intake.room.<key>` in both languages.
ROOMS = (
    "living",
    "dining",
    "master_bedroom",
    "bedroom",
    "study",
    "kitchen",
    "bathroom",
    "master_bathroom",
    "balcony",
    "entrance_door",
    "corridor",
    "facade",
)
# The fields of an item a clerk may correct from the summary, in the order they were asked;
# each has a button text `btn.fix.<field>` in both languages.
ENTRY_FIELDS = (
    "unit",
    "location",
    "category",
    "description",
    "photos",
    "date",
    "sheet",
    "contractor",
)
_CODE = "[0-9A-Z]{1,6}"


def _one_of(words: tuple[str, ...]) -> Word:
    return Word("|".join(words), max(words, key=len))


@dataclass(frozen=True)
class NewProject(Button, prefix="nw:p"):
    project_id: Id


@dataclass(frozen=True)
class NewUnit(Button, prefix="nw:u"):  # a flat pressed among the suggestions
    code: Annotated[str, Word(f"{_CODE}-{_CODE}-{_CODE}", "ZZZZZZ-ZZZZZZ-ZZZZZZ")]


@dataclass(frozen=True)
class NewUnitPage(Button, prefix="nw:up"):
    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class NewSameUnit(Button, prefix="nw:same"):
    pass


@dataclass(frozen=True)
class NewRoom(Button, prefix="nw:l"):
    room: Annotated[str, _one_of(ROOMS)]


@dataclass(frozen=True)
class NewCategory(Button, prefix="nw:c"):
    category_id: Id


@dataclass(frozen=True)
class NewPhotosDone(Button, prefix="nw:done"):
    pass


@dataclass(frozen=True)
class NewClearPhotos(Button, prefix="nw:nophotos"):
    pass


@dataclass(frozen=True)
class NewToday(Button, prefix="nw:today"):
    pass


@dataclass(frozen=True)
class NewYesterday(Button, prefix="nw:yday"):
    pass


@dataclass(frozen=True)
class NewDateYes(Button, prefix="nw:dok"):  # the far date asked about (an old question's own)
    raised: Annotated[str, Word(r"\d{4}-\d{2}-\d{2}", "9999-99-99")]


@dataclass(frozen=True)
class NewDateAgain(Button, prefix="nw:dre"):
    pass


@dataclass(frozen=True)
class NewSameDate(Button, prefix="nw:lastdate"):
    pass


@dataclass(frozen=True)
class NewSameSheet(Button, prefix="nw:sheet"):
    pass


@dataclass(frozen=True)
class NewNoSheet(Button, prefix="nw:nosheet"):
    pass


@dataclass(frozen=True)
class NewConfirm(Button, prefix="nw:ok"):
    pass


@dataclass(frozen=True)
class NewOtherContractor(Button, prefix="nw:who"):
    pass


@dataclass(frozen=True)
class NewContractor(Button, prefix="nw:k"):
    contractor_id: Id


@dataclass(frozen=True)
class NewChangeDate(Button, prefix="nw:date"):
    pass


@dataclass(frozen=True)
class NewCorrect(Button, prefix="nw:fix"):  # the Change… menu
    pass


@dataclass(frozen=True)
class NewField(Button, prefix="nw:fix"):  # one field of the Change… menu
    field: Annotated[str, _one_of(ENTRY_FIELDS)]


@dataclass(frozen=True)
class NewBackToSummary(Button, prefix="nw:sum"):
    pass


@dataclass(frozen=True)
class NewNextSameUnit(Button, prefix="nw:again"):
    pass


@dataclass(frozen=True)
class NewNextUnit(Button, prefix="nw:flat"):
    pass


@dataclass(frozen=True)
class NewFinish(Button, prefix="nw:end"):
    pass


@dataclass(frozen=True)
class NewCancel(Button, prefix="nw:x"):
    pass
