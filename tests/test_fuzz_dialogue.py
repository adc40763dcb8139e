"""A fuzz of every dialogue step: awkward texts, captions and commands, typed mid-dialogue.

For each step of handlers/steps.py (with its typed draft, handlers/steps.py DRAFTS), a person is
put in it on a fresh item, then hypothesis sends what people paste into a chat: long texts,
zero-width and right-to-left marks, NUL, emoji, HTML, digits of other scripts, Chinese. Through
the real application on the offline Telegram, which refuses what Telegram would (bad HTML, a
text over 4,096 characters, a caption over 1,024, button data over 64 bytes, a second answer):
no crash, no traceback to the person (no "something went wrong"), every reply within the
limits, and nothing changed but what the step itself may change (its own item, by its own
move; the person's own dialogue).

Profiles (tests/conftest.py): a short, derandomized one by default; `make test-long`
(HYPOTHESIS_PROFILE=long) for a nightly run.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from handlers.i18n import t
from handlers.steps import DRAFTS, Correct, Entry, Step, stored
from models.dialogue import Dialogue, save_dialogue
from models.intake import raise_item
from models.tables import Action, Event, Item
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, PNG, move, tg
from tests.probes import changed, rows

# Pieces people paste: zero-width, RTL and LTR marks, NUL and controls, emoji (with joiners and
# skin tones), HTML and entities, digits of other scripts, Chinese, slashes and hashes.
PIECES = (
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u200f",
    "\u2066",
    "\x00",
    "\x07",
    "\r\n",
    "\t",
    "😀",
    "👨‍👩‍👧‍👦",
    "👍🏽",
    "🏳️‍🌈",
    "<b>",
    "</b>",
    "<script>alert(1)</script>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "/<",
    "٣٤٥",
    "３",
    "๓",
    "߃",
    "१२",
    "卫生间吊顶渗水",
    "3-1-1202",
    "#1",
    "/",
    "/help",
    " ",
    "\u0301",
    "𝕏",
)
piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
# Up to Telegram's own limits on what a person can send: 4,096 characters, 1,024 in a caption.
payload = st.builds(
    lambda parts, times: ("".join(parts) * times)[:4096],
    st.lists(piece, min_size=1, max_size=12),
    st.sampled_from((1, 1, 1, 50, 400)),
)
COMMANDS = ("help", "item", "find", "unit", "mylist", "tocheck")
said = st.one_of(
    st.tuples(st.just("text"), payload),
    st.tuples(st.just("photo"), payload.map(lambda p: p[:1024])),
    st.tuples(st.sampled_from(COMMANDS), payload),
)

# Who is in each step, the state its item must be in, and the tables the step may change.
REPORTS = {
    Step.repair: (CONTRACTOR_A, None, frozenset()),
    Step.dispute: (CONTRACTOR_A, None, frozenset({"item", "event"})),
    Step.fail: (INSPECTOR, Action.report_repaired, frozenset()),
    Step.reject: (ADMIN, Action.dispute, frozenset({"item", "event"})),
    Step.restore: (ADMIN, Action.cancel, frozenset({"item", "event"})),
    Step.correct: (ADMIN, None, frozenset({"item", "event"})),
}
# Every step must be fuzzed: a step added to the enum without a place here fails at once.
ENTRY_STEPS = tuple(step for step in Step if DRAFTS[step] is Entry)
# Besides the step's own: the person's dialogue, what they looked up, and whom they told.
ALWAYS = frozenset({"dialogue", "accesslog", "noticelog", "pushlog", "pushrun", "sendplace"})
_RAISED = iter(range(1, 10**9))
SAID: dict[Step, int] = {}  # inputs sent, by step (the README's count)


def test_every_step_is_fuzzed():
    assert set(REPORTS) | set(ENTRY_STEPS) == set(Step)
    assert len(Step) >= 17


def _fresh_item(db, world, today: date, before: Action | None) -> tuple[int, int]:
    """Raise an item for this example and bring it to the state the step begins in."""
    with db.session() as s:
        item = raise_item(
            s,
            project_id=world.project_id,
            unit_code="3-1-1202",
            location="kitchen",
            category_code="leak",
            description=f"fuzzed {next(_RAISED)}",
            raised_on=today,
        ).id
    if before is Action.report_repaired:
        move(db, item, CONTRACTOR_A.id, Action.report_repaired, "done")
    elif before is Action.dispute:
        move(db, item, CONTRACTOR_A.id, Action.dispute, "not ours")
    elif before is Action.cancel:
        move(db, item, ADMIN.id, Action.cancel, "duplicate")
    with db.session() as s:
        return item, s.get(Item, item).version


def _draft(step: Step, item: int, version: int, world, today: date) -> Any:
    if step is Step.correct:
        return Correct(item=item, version=version, unit="3-1-1202", location="kitchen")
    if DRAFTS[step] is Entry:
        return Entry(
            project=world.project_id,
            unit="3-1-1202",
            location="kitchen",
            category="leak",
            description="卫生间吊顶渗水",
            raised=today.isoformat(),
            contractor=world.huajian,
        )
    return DRAFTS[step](item=item, version=version, unit="3-1-1202", location="kitchen")


async def _say(chat, what: str, text: str) -> list:
    if what == "text":
        return await chat.send(text)
    if what == "photo":
        return await chat.send_photo(PNG(len(text) % 250 + 1), caption=text or None)
    return await chat.send(f"/{what} {text}")


def _judge(diff: dict, allowed: frozenset[str], db, item: int, person: int) -> list[str]:
    wrong = [name for name in diff if name not in allowed | ALWAYS]
    with db.session() as s:
        moved = s.exec(Event.__table__.select().where(Event.actor_id == person)).all()
    for name, (_, came) in diff.items():
        if name == "item" and any(row[0] != item for row in came):
            wrong.append("another item changed")
        if name == "event" and any(row.item_id != item for row in moved if row in came):
            wrong.append("an event on another item")
        if name == "dialogue" and any(row[0] != person for row in came):
            wrong.append("another person's dialogue")
    return wrong


@pytest.mark.parametrize("step", list(Step), ids=[s.value for s in Step])
@given(inputs=st.lists(said, min_size=1, max_size=3))
# Found by the long profile: an unknown "command" was shown unescaped ("There is no command /<").
@example(inputs=[("text", "/<"), ("text", "/<b>x"), ("photo", "</b>")])
# Found on PostgreSQL, which refuses NUL in text: the core takes it out of what was typed.
@example(inputs=[("find", "\x00"), ("text", "a\x00b"), ("photo", "\x00")])
async def test_awkward_input_in_every_step(bot, world, db, today, step, caplog, inputs):
    who, before, allowed = REPORTS.get(step, (ADMIN, None, frozenset()))
    chat = bot.chat(who)
    with db.session() as s:
        person = tg(s, who.id)
    internal = {t(lang, "error.internal") for lang in ("zh", "en")}
    item, version = _fresh_item(db, world, today, before)
    draft = stored(_draft(step, item, version, world, today))
    db.run(save_dialogue, user_id=person, dialogue=Dialogue(step.value, draft))
    start, refused = rows(db), len(bot.transport.errors)
    caplog.clear()  # the examples share the test's log: each judges its own lines
    for what, text in inputs:
        shown = await _say(chat, what, text)
        SAID[step] = SAID.get(step, 0) + 1
        seen = [m.text or "" for m in shown]
        assert not any(x in s for s in seen for x in internal), (what, text)
    wrong = _judge(changed(start, rows(db)), allowed, db, item, person)
    assert not wrong, (step, inputs, wrong)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    # Nothing Telegram would refuse: bad HTML, a text or caption over its limit, long data.
    assert [f"{c.method}: {c.error}" for c in bot.transport.errors[refused:]] == []
