"""One item per report: a half-finished report belongs to the item on the person's screen.

A report (Repaired, Not ours, Fail) is a draft in `user_data` until Done. Anything that turns
the person to something else (another item's button, a list, any command) drops the draft and
says so, here, once, before any flow sees the update; the report's own steps and the same
item's card keep it. A person has at most one draft at a time.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ConversationHandler, filters

from handlers import keyboards
from handlers.common import BotContext, esc
from models.limits import check_note
from models.queries import ItemLine

# Draft kind -> (the card's callback prefix, the prefix that starts this kind of report).
KINDS: dict[str, tuple[str, str]] = {
    "repair": ("it", "rp"),
    "dispute": ("it", "dp"),
    "fail": ("ck", "fl"),
    "reject": ("", "rj"),  # an admin refusing a dispute: no card of its own to reopen
}
STEP = re.compile(r"^(?:done|skip|cancel)(?::(\d{1,12}))?$")
PRESS = re.compile(r"^([a-z]+):(\d{1,12})$")
BARE_CANCEL = re.compile(r"^/cancel(?:@\w+)?\s*$")
KEEP, DROP, STALE = "keep", "drop", "stale"


class ReportConversation(ConversationHandler):
    """A conversation about one item's report, which the guard can end from outside."""

    def end(self, update: Update) -> None:
        """End this person's conversation, if any, and its timeout with it."""
        # PTB has no public way to end a conversation from outside its own callbacks.
        key = self._get_key(update)
        job = self.timeout_jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()
        self._update_state(self.END, key)


def start(context: BotContext, kind: str, line: ItemLine, **fields: Any) -> tuple[dict, bool]:
    """Begin the report of one item, or carry on the one begun for it; say which."""
    draft = context.user_data.get(kind)
    if draft and draft.get("item") == line.id:
        return draft, True
    draft = {
        "item": line.id,
        "version": line.version,
        "unit": line.unit_code,
        "location": line.location,
        "notes": [],
        **fields,
    }
    context.user_data[kind] = draft
    return draft, False


def label(draft: dict) -> str:
    """Return the item of a draft as people see it: #12 · 3-1-1202 · 卫生间 (HTML)."""
    parts = [f"#{draft['item']}", draft.get("unit"), draft.get("location")]
    return " · ".join(esc(p) for p in parts if p)


def _notes(draft: dict) -> list[str]:
    if "notes" not in draft:  # a draft kept by an earlier version: one text, note or reason
        draft["notes"] = [t for t in (draft.pop("note", None), draft.pop("reason", None)) if t]
    return draft["notes"]


def add_note(draft: dict, text: str | None) -> None:
    """Keep one more text of the report (a typed note or a caption); none is replaced."""
    text = (text or "").strip()
    notes = _notes(draft)
    if text and text not in notes:
        check_note("\n".join([*notes, text]))  # all texts together go into one note
        notes.append(text)


def note(draft: dict) -> str | None:
    """Return every text of the report joined, or None."""
    return "\n".join(_notes(draft)) or None


def current(context: BotContext) -> tuple[str, dict] | None:
    """Return the kind and draft of the person's half-finished report, if any."""
    user_data = context.user_data if context.user_data is not None else {}
    for kind in KINDS:
        if user_data.get(kind):
            return kind, user_data[kind]
    return None


def _verdict(update: Update, kind: str, draft: dict) -> str:
    query = update.callback_query
    if query is not None:
        data = query.data or ""
        step = STEP.match(data)
        if step:
            return KEEP if step[1] is None or int(step[1]) == draft["item"] else STALE
        press = PRESS.match(data)
        same = press is not None and int(press[2]) == draft["item"]
        return KEEP if same and press[1] in KINDS[kind] else DROP
    message = update.message
    if message and filters.COMMAND.check_update(update) and not BARE_CANCEL.match(message.text):
        return DROP
    return KEEP


async def guard(update: Update, context: BotContext) -> None:
    """Drop a half-finished report when the person turns to something else, and say so."""
    found = current(context)
    if found is None:
        return
    kind, draft = found
    verdict = _verdict(update, kind, draft)
    if verdict == STALE:  # Done or Cancel under an earlier report's message
        await update.callback_query.answer(context.t("error.stale_button"), show_alert=True)
        raise ApplicationHandlerStop
    if verdict == DROP:
        await drop(update, context, "report.dropped")


async def drop(update: Update, context: BotContext, key: str) -> None:
    """End the half-finished report and tell the person with the text `key`, naming the item."""
    found = current(context)
    for group in context.application.handlers.values():
        for handler in group:
            if isinstance(handler, ReportConversation):
                handler.end(update)
    if found is None:
        return
    kind, draft = found
    context.user_data.pop(kind, None)
    await context.bot.send_message(
        update.effective_chat.id,
        context.t(key, item=label(draft)),
        reply_markup=keyboards.open_again(card, draft["item"], context.lang)
        if (card := KINDS[kind][0])
        else None,
    )


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the report at hand on Cancel or /cancel; nothing changes."""
    if update.callback_query:
        await update.callback_query.answer()
    if current(context) is None:
        await context.bot.send_message(update.effective_chat.id, context.t("common.cancelled"))
        return ConversationHandler.END
    await drop(update, context, "report.cancelled")
    return ConversationHandler.END


async def timed_out(update: Update, context: BotContext) -> None:
    """Drop a report left half-finished too long, and say so."""
    found = current(context)
    if found is None:
        return
    kind, draft = found
    context.user_data.pop(kind, None)
    await context.bot.send_message(
        update.effective_chat.id, context.t("report.dropped", item=label(draft))
    )


async def gone(update: Update, context: BotContext) -> int:
    """Answer a step whose report is no longer there (dropped, or from an older version)."""
    if update.callback_query:
        await update.callback_query.answer(context.t("error.stale_button"), show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(context.t("report.none_open"))
    return ConversationHandler.END
