"""Inputs of one person handled at the same time (two taps, two processes behind one webhook):
each gets its own answer, and every move is recorded once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta

from sqlmodel import delete, func, select

from bot.telegram.offline import OfflineChat
from handlers.i18n import t
from models.intake import raise_item
from models.tables import Action, Dialogue, Event
from tests import test_wecom_chat
from tests.conftest import CONTRACTOR_A, INSPECTOR, move, tg

# The WeCom front end over the offline WeCom, with the world's cast (tests/test_wecom_chat.py).
wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom

ITEMS = 12
PRESSES_EACH = 3  # the same Pass pressed three times: one passes it, the others are told


def _awaiting_acceptance(db, world, today) -> list[int]:
    """Raise ITEMS items on the world's project and report each repaired."""
    with db.session() as s:
        found = [
            raise_item(
                s,
                project_id=world.project_id,
                unit_code="3-1-1202",
                location="kitchen",
                category_code="leak",
                description=f"渗水 {n}",
                raised_on=today - timedelta(days=2),
            ).id
            for n in range(ITEMS)
        ]
    for item_id in found:
        move(db, item_id, CONTRACTOR_A.id, Action.report_repaired, note="resealed")
    return found


async def test_many_presses_of_one_person_at_once_each_answered_each_move_once(
    bot, world, db, today
):
    items = _awaiting_acceptance(db, world, today)
    shown = await bot.chat(INSPECTOR).send("/tocheck")
    presses = [
        (f"ps:{item}", OfflineChat(bot.app, bot.transport, INSPECTOR, raise_errors=False))
        for item in items
        for _ in range(PRESSES_EACH)
    ]
    with db.session() as s:  # no dialogue row yet: every press's first save inserts one
        s.exec(delete(Dialogue).where(Dialogue.user_id == tg(s, INSPECTOR.id)))
    mark = bot.transport.mark()
    await asyncio.gather(*(chat.press(data, shown[0].message_id) for data, chat in presses))
    said = "\n".join(m.text or "" for m in bot.transport.events_since(mark, INSPECTOR.id))
    answers = [a.text or "" for a in bot.transport.callback_answers]
    assert "went wrong" not in said + "\n".join(answers)
    # Every press answered: a list with "passed", or "already handled" for a repeat.
    pressed = {chat._last_query_id for _, chat in presses}
    assert pressed <= {a.callback_query_id for a in bot.transport.callback_answers}
    assert said.count("passed and closed") + sum("already handled" in a for a in answers) == len(
        presses
    )
    with db.session() as s:
        passes = s.exec(
            select(Event.item_id, func.count())
            .where(Event.action == Action.pass_)
            .group_by(Event.item_id)
        ).all()
        assert dict(passes) == dict.fromkeys(items, 1)
        assert s.get(Dialogue, tg(s, INSPECTOR.id)) is not None


@contextlib.contextmanager
def writes_held(db) -> Iterator[None]:
    """Hold back every write to the dialogue table, as a busy second process would, until exit."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # readers go on (WAL); writers wait
        else:
            connection.begin()
            connection.exec_driver_sql("LOCK TABLE dialogue IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield
        finally:
            connection.rollback()


async def test_pages_turned_at_once_before_any_dialogue_was_saved(bot, world, db, today):
    _awaiting_acceptance(db, world, today)
    lists = [(await bot.chat(INSPECTOR).send("/tocheck"))[0].message_id for _ in range(8)]
    with db.session() as s:
        s.exec(delete(Dialogue).where(Dialogue.user_id == tg(s, INSPECTOR.id)))
    chats = [OfflineChat(bot.app, bot.transport, INSPECTOR, raise_errors=False) for _ in lists]
    mark = bot.transport.mark()
    with writes_held(db):
        # Each turn reads "no dialogue yet" and then waits to store the page it showed.
        turns = asyncio.gather(*(c.press("tc:1", at) for c, at in zip(chats, lists, strict=True)))
        await asyncio.sleep(1)
    await turns
    said = [m.text or "" for m in bot.transport.events_since(mark, INSPECTOR.id)]
    assert not [text for text in said if "went wrong" in text]
    assert sum("Page 2/2" in text for text in said) == len(chats)
    with db.session() as s:
        stored = s.get(Dialogue, tg(s, INSPECTOR.id))
        assert '"tc": [1' in stored.data


async def test_two_wecom_processes_take_one_members_inputs_at_once(
    wecom, wecom_settings, db, world, today
):
    # Two processes behind one callback address (each keeps one member's inputs in turn, but
    # not the other's): a member's two messages land on both at once.
    from aiohttp.test_utils import TestClient, TestServer

    from bot.wecom.sender_side import callback, text_message
    from bot.wecom.serve import build_wecom
    from tests.test_wecom_chat import waiting_skips_ahead

    items = _awaiting_acceptance(db, world, today)
    with waiting_skips_ahead() as members:
        second = build_wecom(
            wecom_settings, db, client=wecom.wecom.client(), rhythm_timer=False, members=members
        )
        async with TestClient(TestServer(second.app)) as other:
            servers = ((wecom.server, wecom.client), (second, other))
            corp, before = wecom.wecom.corp_id, len(wecom.wecom.texts_to("LiNa"))
            posts = []
            for n, (server, client) in enumerate(servers):
                message = text_message(
                    corp_id=corp, user="LiNa", content="/tocheck", msg_id=f"9{n}"
                )
                sealed = callback(server.crypto, message)
                posts.append(
                    client.post("/wecom/callback", params=sealed.query(), data=sealed.body)
                )
            # Answered at once; the work follows, and reaches its save only after several awaits.
            assert [r.status for r in await asyncio.gather(*posts)] == [200, 200]
            with writes_held(db):
                await asyncio.sleep(1)  # both read "no dialogue yet", both wait to store it
            for server, _client in servers:
                while server.chat.handled < 1:
                    await asyncio.sleep(0.01)
                await server.chat.idle()
    said = wecom.wecom.texts_to("LiNa")[before:]
    assert sum(f"#{items[0]} 3-1-1202" in text for text in said) == 2, said  # both lists
    assert not [text for text in said if t("zh", "error.internal") in text]
