"""Joining by invite, help, language, and admins inviting people."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import keyboards
from handlers.common import BotContext, esc, refusal
from handlers.i18n import pick_language
from handlers.menu import help_text, set_menu
from models.errors import DomainError
from models.people import (
    InviteMade,
    accept_invite,
    find_person,
    invite_from_chat,
    parse_roles,
    set_language,
)
from models.tables import Platform, Role

INVITE_CHOICE = r"^iv:(\d{1,2}):(\d{1,12})$"  # roles as bits of Role's order, contractor


async def start(update: Update, context: BotContext) -> None:
    """Register with an invite code, or greet a known person."""
    user = update.effective_user
    if context.args:
        await context.call(
            accept_invite,
            code=context.args[0],
            platform=Platform.telegram,
            account=str(user.id),
            name=user.full_name,
            language=user.language_code and user.language_code[:2],
        )
        context.person = await context.call(
            find_person, platform=Platform.telegram, account=str(user.id)
        )
        context.lang = pick_language(
            context.person.language, user.language_code, context.settings.default_language
        )
        await update.message.reply_text(context.t("start.welcome", name=esc(user.full_name)))
    elif context.person is None:
        await update.message.reply_text(context.t("error.not_registered"))
        return
    await set_menu(context.bot, update.effective_chat.id, context.lang, context.person)
    await update.message.reply_text(help_text(context.lang, context.person))


async def show_help(update: Update, context: BotContext) -> None:
    """List the commands this person may use, one line each."""
    await update.message.reply_text(help_text(context.lang, context.person))


async def ask_language(update: Update, context: BotContext) -> None:
    """Offer the two languages."""
    await update.message.reply_text(context.t("lang.ask"), reply_markup=keyboards.languages())


async def choose_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and redo the menu in it."""
    query = update.callback_query
    await query.answer()
    lang = context.matches[0].group(1)
    await context.call(set_language, user_id=context.person.id, language=lang)
    context.lang = lang
    await query.edit_message_text(context.t("lang.set"))
    await set_menu(context.bot, update.effective_chat.id, lang, context.person)


def _made_text(context: BotContext, made: InviteMade) -> str:
    sep = "、" if context.lang == "zh" else ", "
    return context.t(
        "invite.made",
        roles=sep.join(context.t(f"role.{r.value}") for r in made.roles),
        contractor=f" · {esc(made.contractor)}" if made.contractor else "",
        project=esc(made.project),
        code=made.code,
        link=f"https://t.me/{context.bot.username}?start={made.code}",
        hours=context.settings.invite_hours,
    )


def _roles_mask(roles_text: str) -> int:
    roles = parse_roles(roles_text)
    return sum(1 << i for i, role in enumerate(Role) if role in roles)


def _mask_roles(mask: int) -> str:
    return ",".join(role.value for i, role in enumerate(Role) if mask & (1 << i))


async def invite(update: Update, context: BotContext) -> None:
    """Make a one-time invite: /invite ROLE[,ROLE] [CONTRACTOR NAME or a unique part of it]."""
    context.require(Role.admin)
    if not context.args:
        await update.message.reply_text(context.t("invite.usage"))
        return
    roles_text, contractor = context.args[0], " ".join(context.args[1:]) or None
    try:
        made = await context.call(
            invite_from_chat,
            user_id=context.person.id,
            roles_text=roles_text,
            contractor_name=contractor,
            hours=context.settings.invite_hours,
        )
    except DomainError as error:
        if error.key != "several_contractors":
            raise
        mask = _roles_mask(roles_text)
        options = [(name, f"iv:{mask}:{cid}") for cid, name in error.params["choices"]]
        await update.message.reply_text(
            refusal(context, error), reply_markup=keyboards.choices(options)
        )
        return
    await update.message.reply_text(_made_text(context, made))


async def invite_choice(update: Update, context: BotContext) -> None:
    """Make the invite for the contractor chosen of several that matched."""
    query = update.callback_query
    await query.answer()
    mask, contractor_id = (int(g) for g in context.matches[0].groups())
    made = await context.call(
        invite_from_chat,
        user_id=context.person.id,
        roles_text=_mask_roles(mask),
        contractor_id=contractor_id,
        hours=context.settings.invite_hours,
    )
    await query.edit_message_text(_made_text(context, made))


def register(app: Application) -> None:
    """Add the onboarding handlers."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("lang", ask_language))
    app.add_handler(CallbackQueryHandler(choose_language, pattern=keyboards.LANGUAGE))
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CallbackQueryHandler(invite_choice, pattern=INVITE_CHOICE))
