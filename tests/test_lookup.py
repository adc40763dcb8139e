"""Finding flats, categories and contractors from what people type."""

from __future__ import annotations

import pytest

from models import project as setup
from models.errors import DomainError
from models.intake import raise_item
from models.lookup import (
    find_category,
    find_contractor,
    find_unit,
    find_units,
    nearest_category,
    plausible_categories,
    suggest_units,
)
from models.tables import Category


def test_unit_code_forms_are_one_flat(db, world):
    with db.session() as s:
        ids = {
            find_unit(s, project_id=world.project_id, text=text).id
            for text in ("3-1-1202", "3栋1单元1202", "3#1-1202", "3号楼1单元1202室", " 3-1-1202 ")
        }
        assert len(ids) == 1


def test_short_form_fits_every_entrance_and_picks_none_of_several(db, world):
    with db.session() as s:
        pid = world.project_id
        assert find_unit(s, project_id=pid, text="3#1202").code == "3-1-1202"
        setup.add_unit(s, project_id=pid, code="3-2-1202")
        for text in ("3#1202", "3-1202", "3栋1202", "3号楼1202室"):
            assert [u.code for u in find_units(s, project_id=pid, text=text)] == [
                "3-1-1202",
                "3-2-1202",
            ], text
            assert find_unit(s, project_id=pid, text=text) is None, text
        # A full code is the one flat it names, whatever else the building has.
        assert find_unit(s, project_id=pid, text="3-2-1202").code == "3-2-1202"
        # Building 5 has only 5-2-801: the short form is that flat, entrance 1 or not.
        assert find_unit(s, project_id=pid, text="5#801").code == "5-2-801"
        assert find_units(s, project_id=pid, text="5#802") == []
        assert find_unit(s, project_id=pid, text="9-9-999") is None


def test_suggestions_prefer_the_same_building(db, world):
    with db.session() as s:
        assert suggest_units(s, project_id=world.project_id, text="3-1-1203")[0] == "3-1-1202"
        assert suggest_units(s, project_id=world.project_id, text="zzz") == []


def test_categories_by_any_name_and_nearest(db, world):
    with db.session() as s:
        pid = world.project_id
        assert find_category(s, project_id=pid, text="渗漏").code == "leak"
        assert find_category(s, project_id=pid, text="LEAK").code == "leak"
        assert find_category(s, project_id=pid, text="Door/window").code == "door_window"
        assert find_category(s, project_id=pid, text="漏水") is None
        assert nearest_category(s, project_id=pid, text="渗水").code == "leak"
        # One shared character at another place is no hint: waterproofing is not plumbing.
        assert nearest_category(s, project_id=pid, text="防水") is None
        assert nearest_category(s, project_id=pid, text="漏水").code == "leak"  # a site's word
        assert nearest_category(s, project_id=pid, text="Leek").code == "leak"
        assert nearest_category(s, project_id=pid, text="plumbing").code == "plumbing_electric"


def test_contractor_by_full_or_unique_partial_name(db, world):
    with db.session() as s:
        pid = world.project_id
        assert find_contractor(s, project_id=pid, text="华建装饰").id == world.huajian
        assert find_contractor(s, project_id=pid, text="明达").id == world.mingda
        assert find_contractor(s, project_id=pid, text="") is None
        assert find_contractor(s, project_id=pid, text="Nobody") is None


def test_an_item_is_never_raised_on_a_flat_a_short_code_only_may_mean(db, world, today):
    with db.session() as s:
        pid = world.project_id
        setup.add_unit(s, project_id=pid, code="3-2-1202")
        fields = dict(location="kitchen", category_code="leak", description="d", raised_on=today)
        with pytest.raises(DomainError) as refused:
            raise_item(s, project_id=pid, unit_code="3#1202", **fields)
        assert refused.value.key == "no_such_unit"
        assert raise_item(s, project_id=pid, unit_code="5#801", **fields).unit_id == (
            find_unit(s, project_id=pid, text="5-2-801").id
        )


def test_plausible_categories_are_a_sites_words_and_near_names_never_one_character(db, world):
    with db.session() as s:
        pid = world.project_id

        def plausible(text: str) -> list[str]:
            return [c.code for c in plausible_categories(s, project_id=pid, text=text)]

        for word in ("漏水", "渗水", "滲漏", "漏雨", "卫生间漏水", "吊顶渗水", "leaking"):
            assert plausible(word)[0] == "leak", word
        assert plausible("开裂") == ["wall", "floor", "tile"]  # a crack: where is for the sheet
        assert plausible("墙面开裂")[0] == "wall"
        assert plausible("插座跳闸")[0] == "plumbing_electric"  # the article's socket
        assert plausible("窗户")[0] == "door_window"
        assert plausible("其它") == ["other"]
        assert plausible("墙") == ["wall"]  # its one character is the name's first
        for nothing in ("防水", "吊顶", "zzz", ""):
            assert plausible(nothing) == [], nothing
        # The project's own categories are matched by name too.
        s.add(Category(project_id=pid, code="ceiling", name_zh="吊顶", name_en="Ceiling"))
        s.flush()
        assert set(plausible("吊顶渗水")) == {"ceiling", "leak"}
        assert plausible("吊顶") == ["ceiling"]
