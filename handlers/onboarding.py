"""Joining by invite, help, language, and admins inviting people."""

from __future__ import annotations

from handlers import choices, service
from handlers.buttons import ChooseLanguage, InviteFor
from handlers.core import Ask, Router
from handlers.i18n import pick_language
from handlers.menu import help_text
from handlers.text import esc
from models.errors import DomainError
from models.links import is_item_start, parse_item_start
from models.people import InviteMade, accept_invite, find_person, parse_invite, set_language
from models.people import invite_from_chat as make_invite
from models.tables import Role


async def start(ask: Ask) -> None:
    """Register with an invite code (on any platform), open a printed item's link, or greet."""
    incoming = ask.incoming
    if ask.args and is_item_start(ask.args[0]):  # never an invite code
        await _open_printed(ask, ask.args[0])
        return
    if ask.args:
        await ask.call(
            accept_invite,
            code=ask.args[0],
            platform=incoming.platform,
            account=incoming.account,
            name=incoming.name,
            language=incoming.language,
        )
        ask.person = await ask.call(
            find_person, platform=incoming.platform, account=incoming.account
        )
        ask.lang = pick_language(
            ask.person.language, incoming.language, ask.settings.default_language
        )
        name = incoming.name.strip()
        welcome = ask.t("start.welcome", name=esc(name)) if name else ask.t("start.welcome_unnamed")
        ask.show(welcome)
    elif ask.person is None:
        ask.show(ask.t("error.not_registered"))
        return
    ask.redo_menu()
    ask.show(help_text(ask.lang, ask.person))


async def _open_printed(ask: Ask, payload: str) -> None:
    """Open the item a printed list's QR code links to (t.me/BOT?start=item_2423)."""
    if ask.person is None:
        ask.show(ask.t("error.not_registered"))
        return
    item_id = parse_item_start(payload)
    if item_id is not None:
        await service.show_item(ask, item_id)


async def show_help(ask: Ask) -> None:
    """List the commands this person may use, one line each."""
    ask.show(help_text(ask.lang, ask.person))


async def ask_language(ask: Ask) -> None:
    """Offer the two languages."""
    ask.show(ask.t("lang.ask"), choices.languages())


async def choose_language(ask: Ask) -> None:
    """Store the chosen language and redo the menu in it."""
    lang = ask.pressed.lang
    await ask.call(set_language, user_id=ask.user_id, language=lang)
    ask.lang = lang
    ask.show(ask.t("lang.set"), replace=True)
    ask.redo_menu()


def _made_text(ask: Ask, made: InviteMade) -> str:
    sep = "、" if ask.lang == "zh" else ", "
    link = ask.platform.invite_link(made.code)
    return ask.t(
        "invite.made" if link else "invite.made_code",
        roles=sep.join(ask.t(f"role.{r.value}") for r in made.roles),
        contractor=f" · {esc(made.contractor)}" if made.contractor else "",
        project=esc(made.project),
        code=made.code,
        link=link,
        hours=ask.settings.invite_hours,
    )


def _roles_mask(roles: list[Role]) -> int:
    return sum(1 << i for i, role in enumerate(Role) if role in roles)


def _mask_roles(mask: int) -> str:
    return ",".join(role.value for i, role in enumerate(Role) if mask & (1 << i))


async def invite(ask: Ask) -> None:
    """Make a one-time invite: /invite 施工单位 华建, /invite 客服,领导 (any language)."""
    if not ask.args:
        ask.show(ask.t("invite.usage"))
        return
    text = " ".join(ask.args)
    try:
        made = await ask.call(
            make_invite, user_id=ask.user_id, text=text, hours=ask.settings.invite_hours
        )
    except DomainError as error:
        if error.key != "several_contractors":
            raise
        mask = _roles_mask(parse_invite(text)[0])
        pairs = [(name, InviteFor(mask, cid)) for cid, name in error.params["choices"]]
        ask.show(ask.refusal(error), choices.options(pairs))
        return
    ask.show(_made_text(ask, made))


async def invite_choice(ask: Ask) -> None:
    """Make the invite for the contractor chosen of several that matched."""
    mask, contractor_id = ask.pressed.roles, ask.pressed.contractor_id
    made = await ask.call(
        make_invite,
        user_id=ask.user_id,
        text=_mask_roles(mask),
        contractor_id=contractor_id,
        hours=ask.settings.invite_hours,
    )
    ask.show(_made_text(ask, made), replace=True)


def routes(router: Router) -> None:
    """Route joining, help, language and invites."""
    router.command("start", start, strangers=True)
    router.command("help", show_help)
    router.command("lang", ask_language)
    router.press(ChooseLanguage, choose_language)
    router.command("invite", invite)
    router.press(InviteFor, invite_choice)
