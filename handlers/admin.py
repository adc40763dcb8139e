"""Project department: disputes and reassigning, cancel and reopen, people, contractors."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import groupby

from handlers import choices, drafts, render
from handlers.buttons import (
    Person,
    Reassign,
    Reject,
    Restore,
    RevokeAsk,
    RevokeNo,
    RevokeYes,
    SetRole,
)
from handlers.choices import Choice, Rows
from handlers.core import Ask, Router
from handlers.i18n import pick_language, t
from handlers.screens import Notice
from handlers.steps import Step
from handlers.tell import tell_contractor, tell_reassigned
from handlers.text import clip, esc, size
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
from models.queries import ItemLine
from models.repair import check_move_line
from models.roles import WORK, Work
from models.tables import Action, Role

# "/cancel 1042 duplicate" cancels an item; a bare "/cancel" drops a half-finished report.
CANCEL_ITEM = re.compile(r"^[#＃]?\d")  # the words after /cancel
ID_AND_REST = re.compile(r"^[#＃]?(\d+)[\s,，:：]*(.*)$", re.DOTALL)
PEOPLE_PER_MESSAGE = 40  # a screen's choices: Telegram takes 100 buttons a message at most
NAME_SHOWN = 40  # a person's or contractor's name in the people list and on its buttons


def _id_and_rest(ask: Ask) -> tuple[int | None, str]:
    # From the text as typed, not the words: a reason keeps its line breaks.
    parts = (ask.incoming.text or "").strip().split(None, 1)
    match = ID_AND_REST.match(parts[1].strip()) if len(parts) > 1 else None
    return (int(match[1]), match[2].strip()) if match else (None, "")


def names_an_item(ask: Ask) -> bool:
    """Tell whether a /cancel names an item ("/cancel 1042 duplicate"), not a report."""
    return bool(ask.args) and CANCEL_ITEM.match(ask.args[0]) is not None


def _usage(ask: Ask, work: Work, key: str) -> None:
    """Show how to use a command; to whom may not do its work, the refusal instead."""
    ask.require(*WORK[work])
    ask.show(ask.t(key))


def _when(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.strftime("%m-%d %H:%M")  # already the project's time


def _dispute_text(ask: Ask, dispute: Dispute) -> str:
    line = dispute.line
    text = ask.t(
        "disputes.item",
        id=line.id,
        unit=esc(line.unit_code),
        location=esc(line.location),
        category=esc(render.category(ask.lang, line)),
        description=esc(clip(line.description, DESCRIPTION_MAX)),
        contractor=esc(line.contractor_name),
        reason=esc(clip(dispute.reason or "-", NOTE_MAX)),
        by=esc(dispute.by or "-"),
        at=_when(dispute.at),
    )
    if not dispute.others:
        text += "\n" + ask.t("disputes.no_other", id=line.id)
    return text


def _settle_choices(lang: str, dispute: Dispute) -> Rows:
    """Return a choice per other contractor and Reject: the settling moves models/ offers."""
    line = dispute.line
    pairs = []
    if Action.reassign in dispute.moves:
        pairs += [
            (t(lang, "btn.reassign_to", name=c.name), Reassign(line.id, c.id, line.version))
            for c in dispute.others
        ]
    if Action.reject_dispute in dispute.moves:
        pairs.append((t(lang, "btn.reject_dispute"), Reject(line.id, line.version)))
    return choices.options(pairs)


def _names_item(line: ItemLine) -> dict[str, object]:
    """Return the #id, flat and location that name an item in a prompt or confirmation."""
    return {"id": line.id, "unit": esc(line.unit_code), "location": esc(line.location)}


async def show_disputes(ask: Ask) -> None:
    """List the disputed items, each with a choice per other contractor and Reject."""
    found = await ask.call(disputes, user_id=ask.user_id)
    if not found.items:
        ask.show(ask.t("disputes.none"))
        return
    ask.show(ask.t("disputes.head", total=found.total))
    for dispute in found.items:
        ask.show(_dispute_text(ask, dispute), _settle_choices(ask.lang, dispute))
    if found.total > len(found.items):
        ask.show(ask.t("disputes.more", shown=len(found.items), total=found.total))


async def reassign_choice(ask: Ask) -> None:
    """Give a disputed item to the contractor chosen; they are told at once."""
    pressed: Reassign = ask.pressed
    item_id, contractor_id, version = pressed.item_id, pressed.contractor_id, pressed.version
    moved = await ask.call(
        reassign,
        user_id=ask.user_id,
        item_id=item_id,
        contractor_id=contractor_id,
        expected_version=version,  # a stale dispute message cannot move the item again
    )
    done = ask.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name))
    ask.show(done, replace=True)
    await tell_reassigned(ask, moved.outcome)


def _reassign_choices(lang: str, item_id: int, error: DomainError) -> Rows:
    version = error.params["version"]
    return choices.options(
        [
            (t(lang, "btn.reassign_to", name=name), Reassign(item_id, contractor_id, version))
            for contractor_id, name in error.params["choices"]
        ]
    )


async def reassign_command(ask: Ask) -> None:
    """Give an item to a contractor named in the command: /reassign 1042 明达水电."""
    item_id, name = _id_and_rest(ask)
    if item_id is None or not name:
        _usage(ask, Work.settle, "reassign.usage")
        return
    try:
        moved = await ask.call(reassign, user_id=ask.user_id, item_id=item_id, contractor_name=name)
    except DomainError as error:
        if error.key != "several_contractors":
            raise
        ask.show(ask.refusal(error), _reassign_choices(ask.lang, item_id, error))
        return
    ask.show(ask.t("reassign.done", id=item_id, contractor=esc(moved.line.contractor_name)))
    await tell_reassigned(ask, moved.outcome)


async def start_reject(ask: Ask) -> None:
    """Ask why the dispute of this item is refused."""
    item_id, version = ask.pressed.item_id, ask.pressed.version
    line = await ask.call(
        check_move_line,
        user_id=ask.user_id,
        item_id=item_id,
        action=Action.reject_dispute,
        expected_version=version,  # a Reject on an old /disputes message asks nothing
    )
    drafts.start(ask, Step.reject, line)
    text = ask.t("reject.ask_reason", contractor=esc(line.contractor_name), **_names_item(line))
    ask.show(text, choices.cancel_only(ask.lang, item_id))


async def reject_reason(ask: Ask) -> None:
    """Send the item back to its contractor with the reason; they are told at once."""
    draft = ask.dialogue.end()
    try:
        moved = await ask.call(
            reject_dispute,
            user_id=ask.user_id,
            item_id=draft.item,
            reason=ask.incoming.text,
            expected_version=draft.version,  # a stale dispute message cannot move it again
        )
    except DomainError as error:
        ask.show(ask.refusal(error))
        return
    line, reason = moved.line, esc(moved.outcome.event.note)
    contractor = esc(line.contractor_name)
    ask.show(ask.t("reject.done", contractor=contractor, reason=reason, **_names_item(line)))
    await tell_contractor(ask, moved.outcome, "notify.dispute_rejected", id=line.id, reason=reason)


async def cancel_command(ask: Ask) -> None:
    """Cancel an item that is a duplicate or not a defect: /cancel 1042 duplicate."""
    item_id, reason = _id_and_rest(ask)
    if item_id is None or not reason:
        _usage(ask, Work.settle, "cancel.usage")
        return
    moved = await ask.call(cancel_item, user_id=ask.user_id, item_id=item_id, reason=reason)
    # A mistaken cancel is taken back at once from here (models/ refuses a stale Restore).
    restore = Choice(ask.t("btn.restore"), Restore(item_id, moved.line.version).data())
    ask.show(ask.t("cancel.done", id=item_id, reason=esc(reason)), ((restore,),))
    await tell_contractor(ask, moved.outcome, "notify.cancelled", id=item_id, reason=esc(reason))


async def reopen_command(ask: Ask) -> None:
    """Reopen a closed item (the leak came back): /reopen 1042 leaks again after rain."""
    item_id, reason = _id_and_rest(ask)
    if item_id is None or not reason:
        _usage(ask, Work.reopen, "reopen.usage")
        return
    moved = await ask.call(reopen_item, user_id=ask.user_id, item_id=item_id, reason=reason)
    contractor = esc(moved.line.contractor_name)
    ask.show(ask.t("reopen.done", id=item_id, contractor=contractor))
    await tell_contractor(ask, moved.outcome, "notify.reopened", id=item_id, reason=esc(reason))


def _roles(lang: str, roles: tuple[Role, ...]) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(t(lang, f"role.{r.value}") for r in roles)


def _people_text(ask: Ask, rows: list[PersonRow], total: int) -> str:
    """Return the people grouped by role, in Role's order; one holding two roles is in both."""
    lines = [ask.t("users.head", project=esc(rows[0].project_name), n=total)]
    for role in Role:
        holders = [r for r in rows if role in r.roles]
        if not holders:
            continue
        lines.append(ask.t("users.role", role=ask.t(f"role.{role.value}"), n=len(holders)))
        lines += [
            ask.t(
                "users.line",
                name=esc(render.short(r.name, NAME_SHOWN)),
                contractor=f" · {esc(render.short(r.contractor, NAME_SHOWN))}"
                if r.contractor and role is Role.contractor
                else "",
                you=ask.t("users.you") if r.is_self else "",
            )
            for r in holders
        ]
    return "\n".join(lines)


def _people_parts(ask: Ask, people: list[PersonRow]) -> list[list[PersonRow]]:
    """Split a project's people into screens that fit a message's text and choice limits."""
    limits = ask.platform.limits
    parts: list[list[PersonRow]] = [[]]
    for row in people:
        part = parts[-1]
        full = len(part) >= PEOPLE_PER_MESSAGE
        text = _people_text(ask, [*part, row], len(people))
        if part and (full or size(text, limits) > limits.chunk):
            parts.append([])
        parts[-1].append(row)
    return parts


def _pairs(buttons: list[Choice]) -> Rows:
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _person_choices(lang: str, rows: list[PersonRow]) -> Rows:
    return _pairs(
        [
            Choice(
                t(lang, "btn.person", name=render.short(r.name, NAME_SHOWN)),
                Person(r.project_id, r.user_id).data(),
            )
            for r in rows
        ]
    )


async def users(ask: Ask) -> None:
    """List the people of my projects grouped by role, each with a choice to their roles."""
    rows = await ask.call(project_people, user_id=ask.user_id)
    for _, in_project in groupby(rows, key=lambda r: r.project_id):
        people = list(in_project)
        for part in _people_parts(ask, people):
            ask.show(_people_text(ask, part, len(people)), _person_choices(ask.lang, part))


def _person_text(ask: Ask, screen: PersonRoles) -> str:
    row = screen.row
    lines = [
        ask.t(
            "person.head",
            name=esc(row.name),
            contractor=f" · {esc(row.contractor)}" if row.contractor else "",
            project=esc(row.project_name),
            roles=_roles(ask.lang, row.roles),
        )
    ]
    params = {"name": esc(row.name), "project": esc(row.project_name)}
    lines += [
        f"{ask.t(f'role.{c.role.value}')}: {ask.t(f'error.{c.refused}', **params)}"
        for c in screen.choices
        if c.refused
    ]
    lines.append(ask.t("person.hint" if screen.may_revoke else "person.hint_self"))
    return "\n".join(lines)


def _role_choices(lang: str, screen: PersonRoles) -> Rows:
    """Return a toggle per role, every role in one order, then Revoke.

    Every role keeps its place whatever is held, so the same button (or number) pressed twice
    gives then takes the same role; one that cannot change is refused by models/ with why.
    """
    row = screen.row
    rows = _pairs(
        [
            Choice(
                t(
                    lang,
                    "btn.role_held" if c.held else "btn.role_not_held",
                    role=t(lang, f"role.{c.role.value}"),
                ),
                SetRole(row.project_id, row.user_id, c.role, not c.held).data(),
            )
            for c in screen.choices
        ]
    )
    if screen.may_revoke:
        revoke_ask = RevokeAsk(row.project_id, row.user_id).data()
        rows += ((Choice(t(lang, "btn.revoke"), revoke_ask),),)
    return rows


async def show_person(ask: Ask) -> None:
    """Show one person's roles in a project, a choice per role to give or take it, Revoke."""
    project_id, member_id = ask.pressed.project_id, ask.pressed.user_id
    screen = await ask.call(
        person_roles, user_id=ask.user_id, project_id=project_id, member_id=member_id
    )
    ask.show(_person_text(ask, screen), _role_choices(ask.lang, screen))


async def change_role(ask: Ask) -> None:
    """Give or take one role; the screen shows the result, the person is told, menu redone."""
    pressed: SetRole = ask.pressed
    screen = await ask.call(
        set_role,
        user_id=ask.user_id,
        project_id=pressed.project_id,
        member_id=pressed.user_id,
        role=pressed.role,
        held=pressed.give,
    )
    if not screen.changed:
        return  # pressed twice: the screen already says so
    ask.show(_person_text(ask, screen), _role_choices(ask.lang, screen), replace=True)
    row = screen.row
    lang = pick_language(row.language, None, ask.settings.default_language)
    text = t(lang, "roles.changed", project=esc(row.project_name), roles=_roles(lang, row.roles))
    ask.notify(Notice(row.user_id, text, lang=lang))
    ask.redo_menu(row.user_id)


async def revoke_ask(ask: Ask) -> None:
    """Ask to confirm taking one person's access away."""
    project_id, member_id = ask.pressed.project_id, ask.pressed.user_id
    row = await ask.call(member, user_id=ask.user_id, project_id=project_id, member_id=member_id)
    text = ask.t(
        "revoke.ask",
        name=esc(row.name),
        roles=_roles(ask.lang, row.roles),
        project=esc(row.project_name),
    )
    yes = Choice(ask.t("btn.revoke_yes"), RevokeYes(project_id, member_id).data())
    ask.show(text, ((yes, Choice(ask.t("btn.revoke_no"), RevokeNo().data())),))


async def revoke_yes(ask: Ask) -> None:
    """Take the person's access to the project away; the bot refuses them from now on."""
    project_id, member_id = ask.pressed.project_id, ask.pressed.user_id
    revoked = await ask.call(
        revoke, user_id=ask.user_id, project_id=project_id, member_id=member_id
    )
    text = ask.t("revoke.done", name=esc(revoked.name), project=esc(revoked.project_name))
    if revoked.invites_withdrawn:
        text += "\n" + ask.t("revoke.invites", n=revoked.invites_withdrawn)
    ask.show(text, replace=True)
    # Their command menu would lead to refusals now (a menu is a convenience).
    ask.redo_menu(revoked.user_id)


async def revoke_no(ask: Ask) -> None:
    """Keep the person; nothing changes."""
    ask.show(ask.t("revoke.kept"), replace=True)


def _figure_line(ask: Ask, f: ContractorFigures) -> str:
    oldest = (
        ask.t("contractors.days", n=f.oldest_days)
        if f.oldest_days is not None
        else ask.t("contractors.nothing")
    )
    return ask.t(
        "contractors.line",
        name=esc(f.name),
        open=f.open,
        rework=f.rework,
        repaired=f.repaired,
        disputed=f.disputed,
        oldest=oldest,
    )


def _figures_text(ask: Ask, figures: list[ContractorFigures]) -> str:
    blocks = [
        "\n".join(
            [ask.t("contractors.head", project=esc(project))] + [_figure_line(ask, f) for f in rows]
        )
        for project, rows in groupby(figures, key=lambda f: f.project_name)
    ]
    return "\n\n".join(blocks)


async def contractors(ask: Ask) -> None:
    """Show each contractor's open, rework, awaiting and disputed counts and oldest age."""
    figures = await ask.call(contractor_figures, user_id=ask.user_id)
    ask.show(_figures_text(ask, figures) if figures else ask.t("contractors.none"))


def routes(router: Router) -> None:
    """Route the project department's commands and choices (/cancel is drafts' to route)."""
    router.command("disputes", show_disputes)
    router.press(Reassign, reassign_choice)
    router.press(Reject, start_reject)
    router.step(Step.reject, text=reject_reason)
    router.command("reassign", reassign_command)
    router.command("reopen", reopen_command)
    router.command("users", users)
    router.press(Person, show_person)
    router.press(SetRole, change_role)
    router.press(RevokeAsk, revoke_ask)
    router.press(RevokeYes, revoke_yes)
    router.press(RevokeNo, revoke_no)
    router.command("contractors", contractors)
