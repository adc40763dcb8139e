"""Every kind of button makes its data and parses it back, within Telegram's 64 bytes."""

from __future__ import annotations

import pytest

from handlers import buttons, flows
from handlers.buttons import Button, MyListPage, Only, OpenItem, SetRole
from handlers.intake_buttons import NewUnit
from models.tables import Role

KINDS = Button.KINDS


@pytest.mark.parametrize("kind", KINDS, ids=[k.__name__ for k in KINDS])
def test_every_button_round_trips_and_fits_at_its_largest(kind: type[Button]) -> None:
    largest = kind.largest()
    data = largest.data()
    assert len(data.encode()) <= buttons.DATA_MAX, data
    assert kind.parse(data) == largest
    # No other kind takes its data: a press means one thing.
    assert [k.__name__ for k in KINDS if k.parse(data) is not None] == [kind.__name__]


def test_every_routed_button_is_declared_and_every_declared_one_routed() -> None:
    routed = [p.kind for p in flows.router().presses]
    assert sorted(k.__name__ for k in routed) == sorted(k.__name__ for k in KINDS)


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (OpenItem(1042), "it:1042"),
        (MyListPage(), "ml"),
        (MyListPage(2), "ml:2"),
        (MyListPage(2, "3"), "ml:2:3"),
        (MyListPage(0, None, Only.overdue), "ml:0::o"),
        (MyListPage(2, "3", Only.rework), "ml:2:3:r"),
        (SetRole(1, 2, Role.inspector, True), "pr:1:2:inspector:1"),
        (SetRole(1, 2, Role.admin, False), "pr:1:2:admin:0"),
        (NewUnit("3-1-1202"), "nw:u:3-1-1202"),
    ],
)
def test_data_is_as_the_buttons_always_made_it(button: Button, data: str) -> None:
    assert button.data() == data
    assert buttons.parse(data) == button


def test_data_over_64_bytes_is_never_made() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        NewUnit("X" * 60).data()


def forgeries(kind: type[Button]) -> dict[str, str]:
    """Return forged data of one kind: a bad number, one too long, a wrong word, extra fields,
    an unknown prefix; no kind may take any of them."""
    good = kind.largest().data()
    head, _, tail = good.partition(":") if ":" in good else (good, "", "")
    parts = good.split(":")
    found = {"extra field": f"{good}:1", "unknown prefix": f"zz{good}", "empty": f"{good}:"}
    if not tail and ":" not in kind.prefix:
        found["glued"] = f"{head}1"
    for i, part in enumerate(parts):
        if i < len(kind.prefix.split(":")):
            continue  # the prefix
        if part.isdigit():
            found[f"bad number {i}"] = ":".join([*parts[:i], "1x", *parts[i + 1 :]])
            found[f"too long {i}"] = ":".join([*parts[:i], part + "9", *parts[i + 1 :]])
        else:
            found[f"wrong word {i}"] = ":".join([*parts[:i], "nope", *parts[i + 1 :]])
    return found


FORGERIES = {
    f"{kind.__name__}: {what}": data for kind in KINDS for what, data in forgeries(kind).items()
}


@pytest.mark.parametrize("data", FORGERIES.values(), ids=FORGERIES.keys())
def test_no_kind_takes_forged_data(data: str) -> None:
    assert buttons.parse(data) is None
