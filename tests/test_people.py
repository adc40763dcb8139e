"""People are known by their accounts on each platform, and named by their user id inside."""

from __future__ import annotations

import pytest

from models import people, pushes
from models.errors import DomainError
from models.tables import Platform, Role
from tests.conftest import CONTRACTOR_A, INSPECTOR, tg


def test_a_person_is_found_by_each_of_their_accounts(db, world):
    with db.session() as s:
        wang = tg(s, CONTRACTOR_A.id)
        people.link_identity(s, user_id=wang, platform=Platform.wecom, account="WangWei")
        people.link_identity(s, user_id=wang, platform=Platform.wecom, account="WangWei")  # again
    with db.session() as s:
        on_wecom = people.find_person(s, platform=Platform.wecom, account="WangWei")
        on_telegram = people.find_person(
            s, platform=Platform.telegram, account=str(CONTRACTOR_A.id)
        )
        assert on_wecom.id == on_telegram.id == wang and on_wecom.roles == {Role.contractor}
        assert people.accounts(s, user_ids=[wang], platform=Platform.wecom) == {wang: "WangWei"}
        assert people.person_with_account(s, user_id=wang, platform=Platform.wecom)[1] == "WangWei"
        assert people.find_person(s, platform=Platform.wecom, account=str(CONTRACTOR_A.id)) is None


def test_an_account_belongs_to_one_person(db, world):
    with db.session() as s:
        people.link_identity(
            s, user_id=tg(s, CONTRACTOR_A.id), platform=Platform.wecom, account="WangWei"
        )
    with db.session() as s, pytest.raises(DomainError) as refused:
        people.link_identity(s, user_id=tg(s, INSPECTOR.id), platform="wecom", account="WangWei")
    assert refused.value.key == "account_taken"


def test_an_invite_used_on_wecom_makes_a_person_reached_there(db, world):
    with db.session() as s:
        code = people.create_invite(s, project_id=world.project_id, roles=[Role.inspector]).code
        user = people.accept_invite(
            s, code=code, platform=Platform.wecom, account="ZhangSan", name="张三", language="zh"
        )
    with db.session() as s:
        person = people.find_person(s, platform=Platform.wecom, account="ZhangSan")
        assert person.id == user.id and person.roles == {Role.inspector}
        assert people.accounts(s, user_ids=[user.id], platform=Platform.telegram) == {}
        # Blocked on one platform is blocked there only.
        assert pushes.reachable(s, user_id=user.id, platform=Platform.wecom)
        pushes.mark_blocked(s, user_id=user.id, platform=Platform.wecom)
        assert not pushes.reachable(s, user_id=user.id, platform=Platform.wecom)
        assert pushes.clear_blocked(s, user_id=user.id, platform=Platform.wecom)
        assert pushes.reachable(s, user_id=user.id, platform=Platform.wecom)
