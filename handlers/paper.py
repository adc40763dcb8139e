"""Paper results: a clerk records many results written on printed lists in one message."""

from __future__ import annotations

import re

from handlers.core import Ask, Router
from handlers.render import short
from handlers.tell import tell_contractor
from handlers.text import esc
from models.admin import Moved, record_paper
from models.errors import DomainError
from models.ids import shown
from models.tables import Action

ITEM_ID = re.compile(r"^[#＃]?(\d+)$")  # too big for an id: models say "no such item"
SEPARATORS = re.compile(r"[\s,，、;；]+")
# /fail takes the ids joined by commas first, then the reason: "/fail 1042,1043 still leaks".
FAIL_HEAD = re.compile(r"^([#＃]?\d+(?:\s*[,，、]\s*[#＃]?\d+)*)\s*[,，、:：]?\s*(.*)$", re.DOTALL)
USAGE = {
    Action.report_repaired: "paper.usage_done",
    Action.pass_: "paper.usage_pass",
    Action.fail: "paper.usage_fail",
}


def parse_ids(text: str) -> list[int | str]:
    """Return the item numbers typed, in order and once each; anything else as typed."""
    tokens: dict[int | str, None] = {}
    for token in SEPARATORS.split(text.strip()):
        if token:
            match = ITEM_ID.match(token)
            # int() reads full-width digits too, as a Chinese keyboard may type them.
            tokens[int(match[1]) if match else token] = None
    return list(tokens)


def split_fail(text: str) -> tuple[list[int | str], str]:
    """Return the ids and the reason of a /fail; no ids when it does not start with one."""
    match = FAIL_HEAD.match(text.strip())
    if match is None:
        return [], ""
    return parse_ids(match[1]), match[2].strip()


def _rest(ask: Ask) -> str:
    # The text after the command, newlines kept (ask.args would split the reason).
    parts = (ask.incoming.text or "").split(None, 1)
    return parts[1] if len(parts) > 1 else ""


async def done(ask: Ask) -> None:
    """Record items reported repaired on paper: /done 1042 1043 1050."""
    await _record(ask, Action.report_repaired, parse_ids(_rest(ask)))


async def pass_items(ask: Ask) -> None:
    """Record items passed on paper: /pass 1042 1043."""
    await _record(ask, Action.pass_, parse_ids(_rest(ask)))


async def fail(ask: Ask) -> None:
    """Record items failed on paper with the reason: /fail 1042 still leaks."""
    ids, reason = split_fail(_rest(ask))
    await _record(ask, Action.fail, ids if reason else [], reason)


async def _record(
    ask: Ask, action: Action, tokens: list[int | str], reason: str | None = None
) -> None:
    # Who may record paper is record_paper's to say, for each item (models/roles.py Work.paper).
    if not tokens:
        ask.show(ask.t(USAGE[action]))
        return
    lines = [ask.t("paper.head", action=ask.t(f"action.{action.value}"))]
    moved: list[Moved] = []
    for token in tokens:  # each id its own transaction: one refusal does not stop the rest
        line, result = await _record_one(ask, action, token, reason)
        lines.append(line)
        moved += [result] if result else []
    lines.append(ask.t("paper.count", ok=len(moved), total=len(tokens)))
    ask.show("\n".join(lines))
    # A failed item is back on its contractor's list: tell them now, as the inspector's Fail does.
    for result in moved if action is Action.fail else []:
        await tell_contractor(
            ask, result.outcome, "notify.rework", id=result.line.id, reason=esc(reason)
        )


async def _record_one(
    ask: Ask, action: Action, token: int | str, reason: str | None
) -> tuple[str, Moved | None]:
    if isinstance(token, str):
        return ask.t("paper.bad", token=esc(short(token, 20))), None
    try:
        result = await ask.call(
            record_paper,
            user_id=ask.user_id,
            item_id=token,
            action=action,
            reason=reason,
            source=ask.t("paper.source"),
        )
    except DomainError as error:
        return ask.t("paper.refused", id=shown(token), why=ask.refusal(error)), None
    line = result.line
    text = ask.t(
        "paper.ok",
        id=line.id,
        unit=esc(line.unit_code),
        location=esc(line.location),
        description=esc(short(line.description)),
        state=ask.t(f"state.{line.state.value}"),
    )
    return text, result


def routes(router: Router) -> None:
    """Route the paper-results commands."""
    router.command("done", done)
    router.command("pass", pass_items)
    router.command("fail", fail)
