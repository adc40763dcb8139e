"""Paper results: a clerk records many results written on printed lists in one message."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.common import BotContext, esc, refusal, send_long
from handlers.legacy_tg import tell_contractor_tg as tell_contractor
from handlers.render import short
from models.admin import PAPER_ROLES, Moved, record_paper
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


def _rest(update: Update) -> str:
    # The text after the command, newlines kept (context.args would split the reason).
    parts = (update.message.text or "").split(None, 1)
    return parts[1] if len(parts) > 1 else ""


async def done(update: Update, context: BotContext) -> None:
    """Record items reported repaired on paper: /done 1042 1043 1050."""
    await _record(update, context, Action.report_repaired, parse_ids(_rest(update)))


async def pass_items(update: Update, context: BotContext) -> None:
    """Record items passed on paper: /pass 1042 1043."""
    await _record(update, context, Action.pass_, parse_ids(_rest(update)))


async def fail(update: Update, context: BotContext) -> None:
    """Record items failed on paper with the reason: /fail 1042 still leaks."""
    ids, reason = split_fail(_rest(update))
    await _record(update, context, Action.fail, ids if reason else [], reason)


async def _record(
    update: Update,
    context: BotContext,
    action: Action,
    tokens: list[int | str],
    reason: str | None = None,
) -> None:
    context.require(*PAPER_ROLES)
    if not tokens:
        await update.message.reply_text(context.t(USAGE[action]))
        return
    lines = [context.t("paper.head", action=context.t(f"action.{action.value}"))]
    moved: list[Moved] = []
    for token in tokens:  # each id its own transaction: one refusal does not stop the rest
        line, result = await _record_one(update, context, action, token, reason)
        lines.append(line)
        moved += [result] if result else []
    lines.append(context.t("paper.count", ok=len(moved), total=len(tokens)))
    await send_long(context, update.effective_chat.id, "\n".join(lines))
    # A failed item is back on its contractor's list: tell them now, as the inspector's Fail does.
    for result in moved if action is Action.fail else []:
        await tell_contractor(
            context, result.outcome, "notify.rework", id=result.line.id, reason=esc(reason)
        )


async def _record_one(
    update: Update, context: BotContext, action: Action, token: int | str, reason: str | None
) -> tuple[str, Moved | None]:
    if isinstance(token, str):
        return context.t("paper.bad", token=esc(short(token, 20))), None
    try:
        result = await context.call(
            record_paper,
            user_id=context.person.id,
            item_id=token,
            action=action,
            reason=reason,
            source=context.t("paper.source"),
        )
    except DomainError as error:
        return context.t("paper.refused", id=shown(token), why=refusal(context, error)), None
    line = result.line
    text = context.t(
        "paper.ok",
        id=line.id,
        unit=esc(line.unit_code),
        location=esc(line.location),
        description=esc(short(line.description)),
        state=context.t(f"state.{line.state.value}"),
    )
    return text, result


def register(app: Application) -> None:
    """Add the paper-results commands."""
    app.add_handler(CommandHandler("done", done))
    app.add_handler(CommandHandler("pass", pass_items))
    app.add_handler(CommandHandler("fail", fail))
