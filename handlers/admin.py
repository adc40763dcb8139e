"""Project department: disputes and reassigning, cancel and reopen, people, contractors."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from itertools import groupby

from telegram import BotCommandScopeChat, Update
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from handlers import render
from handlers.common import BotContext, esc, send_long
from handlers.tell import tell_contractor
from models.admin import (
    ContractorFigures,
    Dispute,
    PersonRow,
    cancel_item,
    contractor_figures,
    disputes,
    member,
    project_people,
    reassign,
    reopen_item,
    revoke,
)
from models.tables import Role

# Callback data: digits only, anchored, so forged data cannot carry anything else.
REASSIGN = r"^ra:(\d{1,12}):(\d{1,12}):(\d{1,12})$"  # item, contractor, item version
REVOKE_ASK = r"^rv:(\d{1,12}):(\d{1,12})$"  # project, user
REVOKE_YES = r"^ry:(\d{1,12}):(\d{1,12})$"
REVOKE_NO = r"^rn$"
# "/cancel 1042 duplicate" cancels an item; a bare "/cancel" drops a half-finished report.
CANCEL_ITEM = r"^/cancel(@\w+)?\s+[#＃]?\d"
ID_AND_REST = re.compile(r"^[#＃]?(\d+)[\s,，:：]*(.*)$", re.DOTALL)
PEOPLE_PER_MESSAGE = 40  # Telegram takes 100 buttons a message at most


def _id_and_rest(update: Update) -> tuple[int | None, str]:
    parts = (update.message.text or "").split(None, 1)
    match = ID_AND_REST.match(parts[1].strip()) if len(parts) > 1 else None
    return (int(match[1]), match[2].strip()) if match else (None, "")


def _when(context: BotContext, at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.strftime("%m-%d %H:%M")  # already the project's time


def _dispute_text(context: BotContext, dispute: Dispute) -> str:
    line = dispute.line
    text = context.t(
        "disputes.item",
        id=line.id,
        unit=esc(line.unit_code),
        location=esc(line.location),
        category=esc(render.category(context.lang, line)),
        description=esc(line.description),
        contractor=esc(line.contractor_name),
        reason=esc(dispute.reason or "-"),
        by=esc(dispute.by or "-"),
        at=_when(context, dispute.at),
    )
    if not dispute.others:
        text += "\n" + context.t("disputes.no_other", id=line.id)
    return text


def _reassign_buttons(context: BotContext, dispute: Dispute) -> Markup:
    line = dispute.line
    return Markup(
        [
            [
                Button(
                    context.t("btn.reassign_to", name=c.name),
                    callback_data=f"ra:{line.id}:{c.id}:{line.version}",
                )
            ]
            for c in dispute.others
        ]
    )


async def show_disputes(update: Update, context: BotContext) -> None:
    """List the disputed items, each with a button per other contractor to reassign it."""
    context.require(Role.admin)
    found = await context.call(disputes, telegram_id=update.effective_user.id)
    if not found.items:
        await update.message.reply_text(context.t("disputes.none"))
        return
    await update.message.reply_text(context.t("disputes.head", total=found.total))
    for dispute in found.items:
        await update.message.reply_text(
            _dispute_text(context, dispute), reply_markup=_reassign_buttons(context, dispute)
        )
    if found.total > len(found.items):
        await update.message.reply_text(
            context.t("disputes.more", shown=len(found.items), total=found.total)
        )


async def reassign_button(update: Update, context: BotContext) -> None:
    """Give a disputed item to the contractor on the button; they are told at once."""
    query = update.callback_query
    await query.answer()
    item_id, contractor_id, version = (int(g) for g in context.matches[0].groups())
    moved = await context.call(
        reassign,
        telegram_id=update.effective_user.id,
        item_id=item_id,
        contractor_id=contractor_id,
        expected_version=version,  # a stale dispute message cannot move the item again
    )
    done = context.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name))
    await query.edit_message_text(done)
    await tell_contractor(context, moved.outcome, "notify.reassigned", id=item_id)


async def reassign_command(update: Update, context: BotContext) -> None:
    """Give an item to a contractor named in the command: /reassign 1042 明达水电."""
    context.require(Role.admin)
    item_id, name = _id_and_rest(update)
    if item_id is None or not name:
        await update.message.reply_text(context.t("reassign.usage"))
        return
    moved = await context.call(
        reassign, telegram_id=update.effective_user.id, item_id=item_id, contractor_name=name
    )
    await update.message.reply_text(
        context.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name))
    )
    await tell_contractor(context, moved.outcome, "notify.reassigned", id=item_id)


async def cancel_command(update: Update, context: BotContext) -> None:
    """Cancel an item that is a duplicate or not a defect: /cancel 1042 duplicate."""
    context.require(Role.admin)
    item_id, reason = _id_and_rest(update)
    if item_id is None or not reason:
        await update.message.reply_text(context.t("cancel.usage"))
        return
    moved = await context.call(
        cancel_item, telegram_id=update.effective_user.id, item_id=item_id, reason=reason
    )
    await update.message.reply_text(context.t("cancel.done", id=item_id, reason=esc(reason)))
    await tell_contractor(
        context, moved.outcome, "notify.cancelled", id=item_id, reason=esc(reason)
    )


async def reopen_command(update: Update, context: BotContext) -> None:
    """Reopen a closed item (the leak came back): /reopen 1042 leaks again after rain."""
    context.require(Role.admin, Role.service)
    item_id, reason = _id_and_rest(update)
    if item_id is None or not reason:
        await update.message.reply_text(context.t("reopen.usage"))
        return
    moved = await context.call(
        reopen_item, telegram_id=update.effective_user.id, item_id=item_id, reason=reason
    )
    contractor = esc(moved.line.contractor_name)
    await update.message.reply_text(context.t("reopen.done", id=item_id, contractor=contractor))
    await tell_contractor(context, moved.outcome, "notify.reopened", id=item_id, reason=esc(reason))


def _roles(context: BotContext, row: PersonRow) -> str:
    sep = "、" if context.lang == "zh" else ", "
    return sep.join(context.t(f"role.{r.value}") for r in row.roles)


def _people_text(context: BotContext, rows: list[PersonRow], total: int) -> str:
    lines = [context.t("users.head", project=esc(rows[0].project_name), n=total)]
    lines += [
        context.t(
            "users.line",
            name=esc(r.name),
            roles=_roles(context, r),
            contractor=f" · {esc(r.contractor)}" if r.contractor else "",
            you=context.t("users.you") if r.is_self else "",
        )
        for r in rows
    ]
    return "\n".join(lines)


def _revoke_buttons(context: BotContext, rows: list[PersonRow]) -> Markup:
    buttons = [
        Button(context.t("btn.revoke", name=r.name), callback_data=f"rv:{r.project_id}:{r.user_id}")
        for r in rows
        if not r.is_self  # an admin cannot revoke themselves: no button to press
    ]
    return Markup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def users(update: Update, context: BotContext) -> None:
    """List the people of my projects with their roles, each with a Revoke button."""
    context.require(Role.admin)
    rows = await context.call(project_people, telegram_id=update.effective_user.id)
    for _, in_project in groupby(rows, key=lambda r: r.project_id):
        people = list(in_project)
        for i in range(0, len(people), PEOPLE_PER_MESSAGE):
            part = people[i : i + PEOPLE_PER_MESSAGE]
            await update.message.reply_text(
                _people_text(context, part, len(people)),
                reply_markup=_revoke_buttons(context, part),
            )


async def revoke_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm taking one person's access away."""
    query = update.callback_query
    await query.answer()
    project_id, user_id = (int(g) for g in context.matches[0].groups())
    row = await context.call(
        member, telegram_id=update.effective_user.id, project_id=project_id, user_id=user_id
    )
    ask = context.t(
        "revoke.ask", name=esc(row.name), roles=_roles(context, row), project=esc(row.project_name)
    )
    yes = Button(context.t("btn.revoke_yes"), callback_data=f"ry:{project_id}:{user_id}")
    await query.message.reply_text(
        ask, reply_markup=Markup([[yes, Button(context.t("btn.revoke_no"), callback_data="rn")]])
    )


async def revoke_yes(update: Update, context: BotContext) -> None:
    """Take the person's access to the project away; the bot refuses them from now on."""
    query = update.callback_query
    await query.answer()
    project_id, user_id = (int(g) for g in context.matches[0].groups())
    revoked = await context.call(
        revoke, telegram_id=update.effective_user.id, project_id=project_id, user_id=user_id
    )
    text = context.t("revoke.done", name=esc(revoked.name), project=esc(revoked.project_name))
    if revoked.invites_withdrawn:
        text += "\n" + context.t("revoke.invites", n=revoked.invites_withdrawn)
    await query.edit_message_text(text)
    if not revoked.still_elsewhere:
        # Their command menu would only lead to refusals now; a menu is a convenience.
        with contextlib.suppress(TelegramError):
            await context.bot.delete_my_commands(BotCommandScopeChat(revoked.telegram_id))


async def revoke_no(update: Update, context: BotContext) -> None:
    """Keep the person; nothing changes."""
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context.t("revoke.kept"))


def _figure_line(context: BotContext, f: ContractorFigures) -> str:
    oldest = (
        context.t("contractors.days", n=f.oldest_days)
        if f.oldest_days is not None
        else context.t("contractors.nothing")
    )
    return context.t(
        "contractors.line",
        name=esc(f.name),
        open=f.open,
        rework=f.rework,
        repaired=f.repaired,
        disputed=f.disputed,
        oldest=oldest,
    )


def _figures_text(context: BotContext, figures: list[ContractorFigures]) -> str:
    blocks = [
        "\n".join(
            [context.t("contractors.head", project=esc(project))]
            + [_figure_line(context, f) for f in rows]
        )
        for project, rows in groupby(figures, key=lambda f: f.project_name)
    ]
    return "\n\n".join(blocks)


async def contractors(update: Update, context: BotContext) -> None:
    """Show each contractor's open, rework, awaiting and disputed counts and oldest age."""
    context.require(Role.admin)
    figures = await context.call(contractor_figures, telegram_id=update.effective_user.id)
    text = _figures_text(context, figures) if figures else context.t("contractors.none")
    await send_long(context, update.effective_chat.id, text)


def register(app: Application) -> None:
    """Add the project department's handlers (before the conversations: see /cancel)."""
    app.add_handler(CommandHandler("disputes", show_disputes))
    app.add_handler(CallbackQueryHandler(reassign_button, pattern=REASSIGN))
    app.add_handler(CommandHandler("reassign", reassign_command))
    # Only "/cancel <number> ..." is ours. Registered ahead of the report conversations, an
    # item number always means the item; a bare /cancel falls through to their fallbacks.
    app.add_handler(CommandHandler("cancel", cancel_command, filters=filters.Regex(CANCEL_ITEM)))
    app.add_handler(CommandHandler("reopen", reopen_command))
    app.add_handler(CommandHandler("users", users))
    app.add_handler(CallbackQueryHandler(revoke_ask, pattern=REVOKE_ASK))
    app.add_handler(CallbackQueryHandler(revoke_yes, pattern=REVOKE_YES))
    app.add_handler(CallbackQueryHandler(revoke_no, pattern=REVOKE_NO))
    app.add_handler(CommandHandler("contractors", contractors))
