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
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from handlers import choices, drafts, keyboards, render
from handlers.common import TEXT_LIMIT, BotContext, clip, esc, refusal, send_long
from handlers.core import Ask, Router
from handlers.i18n import pick_language, t
from handlers.legacy_tg import set_menu
from handlers.legacy_tg import tell_contractor_tg as tell_contractor
from handlers.tell import tell_contractor as tell_contractor_now
from models.admin import (
    ContractorFigures,
    Dispute,
    PersonRoles,
    PersonRow,
    cancel_item,
    contractor_figures,
    disputes,
    member,
    person_roles,
    project_people,
    reassign,
    reject_dispute,
    reopen_item,
    revoke,
    set_role,
)
from models.errors import DomainError
from models.limits import DESCRIPTION_MAX, NOTE_MAX
from models.people import accounts, person_with_account
from models.queries import ItemLine
from models.repair import check_move_line
from models.tables import Action, Platform, Role

# Callback data: digits only, anchored, so forged data cannot carry anything else.
REASSIGN = r"^ra:(\d{1,12}):(\d{1,12}):(\d{1,12})$"  # item, contractor, item version
REJECT = r"^rj:(\d{1,12}):(\d{1,12})$"  # item, item version
REVOKE_ASK = r"^rv:(\d{1,12}):(\d{1,12})$"  # project, user
REVOKE_YES = r"^ry:(\d{1,12}):(\d{1,12})$"
REVOKE_NO = r"^rn$"
# "/cancel 1042 duplicate" cancels an item; a bare "/cancel" drops a half-finished report.
CANCEL_ITEM = r"^/cancel(@\w+)?\s+[#＃]?\d"
ID_AND_REST = re.compile(r"^[#＃]?(\d+)[\s,，:：]*(.*)$", re.DOTALL)
PEOPLE_PER_MESSAGE = 40  # Telegram takes 100 buttons a message at most
NAME_SHOWN = 40  # a person's or contractor's name in the people list and on its buttons
PERSON = r"^pp:(\d{1,12}):(\d{1,12})$"  # project, user
SET_ROLE = r"^pr:(\d{1,12}):(\d{1,12}):(" + "|".join(Role) + r"):([01])$"  # 1 gives, 0 takes


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
        description=esc(clip(line.description, DESCRIPTION_MAX)),
        contractor=esc(line.contractor_name),
        reason=esc(clip(dispute.reason or "-", NOTE_MAX)),
        by=esc(dispute.by or "-"),
        at=_when(context, dispute.at),
    )
    if not dispute.others:
        text += "\n" + context.t("disputes.no_other", id=line.id)
    return text


def _settle_buttons(context: BotContext, dispute: Dispute) -> Markup:
    line = dispute.line
    rows = []
    if Action.reassign in dispute.moves:
        rows += [
            [
                Button(
                    context.t("btn.reassign_to", name=c.name),
                    callback_data=f"ra:{line.id}:{c.id}:{line.version}",
                )
            ]
            for c in dispute.others
        ]
    if Action.reject_dispute in dispute.moves:
        data = f"rj:{line.id}:{line.version}"
        rows.append([Button(context.t("btn.reject_dispute"), callback_data=data)])
    return Markup(rows)


def _names_item(line: ItemLine) -> dict[str, object]:
    """Return the #id, flat and location that name an item in a prompt or confirmation."""
    return {"id": line.id, "unit": esc(line.unit_code), "location": esc(line.location)}


async def show_disputes(update: Update, context: BotContext) -> None:
    """List the disputed items, each with a button per other contractor and Reject."""
    context.require(Role.admin)
    found = await context.call(disputes, user_id=context.person.id)
    if not found.items:
        await update.message.reply_text(context.t("disputes.none"))
        return
    await update.message.reply_text(context.t("disputes.head", total=found.total))
    for dispute in found.items:
        await update.message.reply_text(
            _dispute_text(context, dispute), reply_markup=_settle_buttons(context, dispute)
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
        user_id=context.person.id,
        item_id=item_id,
        contractor_id=contractor_id,
        expected_version=version,  # a stale dispute message cannot move the item again
    )
    done = context.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name))
    await query.edit_message_text(done)
    await tell_contractor(context, moved.outcome, "notify.reassigned", id=item_id)


def _reassign_choices(context: BotContext, item_id: int, error: DomainError) -> Markup:
    version = error.params["version"]
    return keyboards.choices(
        [
            (context.t("btn.reassign_to", name=name), f"ra:{item_id}:{contractor_id}:{version}")
            for contractor_id, name in error.params["choices"]
        ]
    )


async def reassign_command(update: Update, context: BotContext) -> None:
    """Give an item to a contractor named in the command: /reassign 1042 明达水电."""
    context.require(Role.admin)
    item_id, name = _id_and_rest(update)
    if item_id is None or not name:
        await update.message.reply_text(context.t("reassign.usage"))
        return
    try:
        moved = await context.call(
            reassign, user_id=context.person.id, item_id=item_id, contractor_name=name
        )
    except DomainError as error:
        if error.key != "several_contractors":
            raise
        await update.message.reply_text(
            refusal(context, error), reply_markup=_reassign_choices(context, item_id, error)
        )
        return
    await update.message.reply_text(
        context.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name))
    )
    await tell_contractor(context, moved.outcome, "notify.reassigned", id=item_id)


async def start_reject(ask: Ask) -> None:
    """Ask why the dispute of this item is refused."""
    item_id, version = (int(g) for g in ask.match.groups())
    line = await ask.call(
        check_move_line,
        user_id=ask.user_id,
        item_id=item_id,
        action=Action.reject_dispute,
        expected_version=version,  # a Reject on an old /disputes message asks nothing
    )
    drafts.start(ask, "reject", line)
    text = ask.t("reject.ask_reason", contractor=esc(line.contractor_name), **_names_item(line))
    ask.show(text, choices.cancel_only(ask.lang, item_id))


async def reject_reason(ask: Ask) -> None:
    """Send the item back to its contractor with the reason; they are told at once."""
    draft = ask.dialogue.end()
    try:
        moved = await ask.call(
            reject_dispute,
            user_id=ask.user_id,
            item_id=draft["item"],
            reason=ask.incoming.text,
            expected_version=draft["version"],  # a stale dispute message cannot move it again
        )
    except DomainError as error:
        ask.show(ask.refusal(error))
        return
    line, reason = moved.line, esc(moved.outcome.event.note)
    contractor = esc(line.contractor_name)
    ask.show(ask.t("reject.done", contractor=contractor, reason=reason, **_names_item(line)))
    await tell_contractor_now(
        ask, moved.outcome, "notify.dispute_rejected", id=line.id, reason=reason
    )


async def cancel_command(update: Update, context: BotContext) -> None:
    """Cancel an item that is a duplicate or not a defect: /cancel 1042 duplicate."""
    context.require(Role.admin)
    item_id, reason = _id_and_rest(update)
    if item_id is None or not reason:
        await update.message.reply_text(context.t("cancel.usage"))
        return
    moved = await context.call(
        cancel_item, user_id=context.person.id, item_id=item_id, reason=reason
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
        reopen_item, user_id=context.person.id, item_id=item_id, reason=reason
    )
    contractor = esc(moved.line.contractor_name)
    await update.message.reply_text(context.t("reopen.done", id=item_id, contractor=contractor))
    await tell_contractor(context, moved.outcome, "notify.reopened", id=item_id, reason=esc(reason))


def _roles(context: BotContext, row: PersonRow) -> str:
    sep = "、" if context.lang == "zh" else ", "
    return sep.join(context.t(f"role.{r.value}") for r in row.roles)


def _people_text(context: BotContext, rows: list[PersonRow], total: int) -> str:
    """Return the people grouped by role, in Role's order; one holding two roles is in both."""
    lines = [context.t("users.head", project=esc(rows[0].project_name), n=total)]
    for role in Role:
        holders = [r for r in rows if role in r.roles]
        if not holders:
            continue
        lines.append(context.t("users.role", role=context.t(f"role.{role.value}"), n=len(holders)))
        lines += [
            context.t(
                "users.line",
                name=esc(render.short(r.name, NAME_SHOWN)),
                contractor=f" · {esc(render.short(r.contractor, NAME_SHOWN))}"
                if r.contractor and role is Role.contractor
                else "",
                you=context.t("users.you") if r.is_self else "",
            )
            for r in holders
        ]
    return "\n".join(lines)


def _people_parts(context: BotContext, people: list[PersonRow]) -> list[list[PersonRow]]:
    """Split a project's people into messages that fit Telegram's text and button limits."""
    parts: list[list[PersonRow]] = [[]]
    for row in people:
        part = parts[-1]
        full = len(part) >= PEOPLE_PER_MESSAGE
        if part and (full or len(_people_text(context, [*part, row], len(people))) > TEXT_LIMIT):
            parts.append([])
        parts[-1].append(row)
    return parts


def _person_buttons(context: BotContext, rows: list[PersonRow]) -> Markup:
    buttons = [
        Button(
            context.t("btn.person", name=render.short(r.name, NAME_SHOWN)),
            callback_data=f"pp:{r.project_id}:{r.user_id}",
        )
        for r in rows
    ]
    return Markup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def users(update: Update, context: BotContext) -> None:
    """List the people of my projects grouped by role, each with a button to their roles."""
    context.require(Role.admin)
    rows = await context.call(project_people, user_id=context.person.id)
    for _, in_project in groupby(rows, key=lambda r: r.project_id):
        people = list(in_project)
        for part in _people_parts(context, people):
            await update.message.reply_text(
                _people_text(context, part, len(people)),
                reply_markup=_person_buttons(context, part),
            )


def _person_text(context: BotContext, screen: PersonRoles) -> str:
    row = screen.row
    lines = [
        context.t(
            "person.head",
            name=esc(row.name),
            contractor=f" · {esc(row.contractor)}" if row.contractor else "",
            project=esc(row.project_name),
            roles=_roles(context, row),
        )
    ]
    params = {"name": esc(row.name), "project": esc(row.project_name)}
    lines += [
        f"{context.t(f'role.{c.role.value}')}: {context.t(f'error.{c.refused}', **params)}"
        for c in screen.choices
        if c.refused
    ]
    lines.append(context.t("person.hint" if screen.may_revoke else "person.hint_self"))
    return "\n".join(lines)


def _person_markup(context: BotContext, screen: PersonRoles) -> Markup:
    row = screen.row
    buttons = [
        Button(
            context.t(
                "btn.role_held" if c.held else "btn.role_not_held",
                role=context.t(f"role.{c.role.value}"),
            ),
            callback_data=f"pr:{row.project_id}:{row.user_id}:{c.role.value}:{0 if c.held else 1}",
        )
        for c in screen.choices
        if c.refused is None
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if screen.may_revoke:
        revoke_data = f"rv:{row.project_id}:{row.user_id}"
        rows.append([Button(context.t("btn.revoke"), callback_data=revoke_data)])
    return Markup(rows)


async def show_person(update: Update, context: BotContext) -> None:
    """Show one person's roles in a project, a button per role to give or take it, Revoke."""
    query = update.callback_query
    await query.answer()
    project_id, user_id = (int(g) for g in context.matches[0].groups())
    screen = await context.call(
        person_roles, user_id=context.person.id, project_id=project_id, member_id=user_id
    )
    await query.message.reply_text(
        _person_text(context, screen), reply_markup=_person_markup(context, screen)
    )


async def change_role(update: Update, context: BotContext) -> None:
    """Give or take one role; the screen shows the result, the person is told, menu redone."""
    query = update.callback_query
    await query.answer()
    project, user, role, give = context.matches[0].groups()
    screen = await context.call(
        set_role,
        user_id=context.person.id,
        project_id=int(project),
        member_id=int(user),
        role=Role(role),
        held=give == "1",
    )
    if not screen.changed:
        return  # pressed twice: the screen already says so
    await query.edit_message_text(
        _person_text(context, screen), reply_markup=_person_markup(context, screen)
    )
    await _tell_roles(context, screen.row)


async def _tell_roles(context: BotContext, row: PersonRow) -> None:
    found = await context.call(person_with_account, user_id=row.user_id, platform=Platform.telegram)
    if found is None:
        return
    person, chat = found[0], int(found[1])
    lang = pick_language(person.language, None, context.settings.default_language)
    sep = "、" if lang == "zh" else ", "
    roles = sep.join(t(lang, f"role.{r.value}") for r in row.roles)
    await set_menu(context.bot, chat, lang, person)
    text = t(lang, "roles.changed", project=esc(row.project_name), roles=roles)
    # They will see their new menu anyway; one blocked chat must not fail the admin's press.
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat, text)


async def revoke_ask(update: Update, context: BotContext) -> None:
    """Ask to confirm taking one person's access away."""
    query = update.callback_query
    await query.answer()
    project_id, user_id = (int(g) for g in context.matches[0].groups())
    row = await context.call(
        member, user_id=context.person.id, project_id=project_id, member_id=user_id
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
        revoke, user_id=context.person.id, project_id=project_id, member_id=user_id
    )
    text = context.t("revoke.done", name=esc(revoked.name), project=esc(revoked.project_name))
    if revoked.invites_withdrawn:
        text += "\n" + context.t("revoke.invites", n=revoked.invites_withdrawn)
    await query.edit_message_text(text)
    chats = await context.call(accounts, user_ids=[revoked.user_id], platform=Platform.telegram)
    if not revoked.still_elsewhere and revoked.user_id in chats:
        # Their command menu would only lead to refusals now; a menu is a convenience.
        with contextlib.suppress(TelegramError):
            await context.bot.delete_my_commands(BotCommandScopeChat(int(chats[revoked.user_id])))


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
    figures = await context.call(contractor_figures, user_id=context.person.id)
    text = _figures_text(context, figures) if figures else context.t("contractors.none")
    await send_long(context, update.effective_chat.id, text)


def routes(router: Router) -> None:
    """Route the refusing of a dispute (the rest of admin is still Telegram's own)."""
    router.choice(REJECT, start_reject)
    router.step("reject", text=reject_reason)


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
    app.add_handler(CallbackQueryHandler(show_person, pattern=PERSON))
    app.add_handler(CallbackQueryHandler(change_role, pattern=SET_ROLE))
    app.add_handler(CallbackQueryHandler(revoke_ask, pattern=REVOKE_ASK))
    app.add_handler(CallbackQueryHandler(revoke_yes, pattern=REVOKE_YES))
    app.add_handler(CallbackQueryHandler(revoke_no, pattern=REVOKE_NO))
    app.add_handler(CommandHandler("contractors", contractors))
