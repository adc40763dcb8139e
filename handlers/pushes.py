"""The daily pushes: mute the morning list, choose the reports, see who got theirs today."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import keyboards
from handlers.choices import kind_name, subscriptions
from handlers.common import BotContext, esc, send_long
from handlers.i18n import t
from models import clock
from models.errors import DomainError
from models.pushes import PushDay, PushLine, beats, choices_of, choose, push_day
from models.tables import PushKind, PushStatus

# The reports a manager or admin chooses with /reports (the morning list has /mute).
REPORTS = (PushKind.report, PushKind.overdue)
SUBSCRIBE = r"^sub:(report|overdue):([01])$"


def _me(context: BotContext) -> int:
    if context.person is None:
        raise DomainError("not_registered")
    return context.person.id


async def mute(update: Update, context: BotContext) -> None:
    """Stop pushing me the morning list."""
    await context.call(choose, user_id=_me(context), kind=PushKind.morning, wanted=False)
    await update.message.reply_text(context.t("pushes.muted"))


async def unmute(update: Update, context: BotContext) -> None:
    """Push me the morning list again."""
    await context.call(choose, user_id=_me(context), kind=PushKind.morning, wanted=True)
    at = context.settings.morning_push
    await update.message.reply_text(context.t("pushes.unmuted", at=at))


async def _report_choices(context: BotContext) -> dict[PushKind, bool]:
    wanted = await context.call(choices_of, user_id=_me(context))
    mine = {kind: on for kind, on in wanted.items() if kind in REPORTS}
    if not mine:
        raise DomainError("not_allowed")
    return mine


async def reports(update: Update, context: BotContext) -> None:
    """Show a toggle for each report I may receive."""
    mine = await _report_choices(context)
    await update.message.reply_text(
        context.t("pushes.reports_head"),
        reply_markup=keyboards.markup(subscriptions(context.lang, mine)),
    )


async def toggle(update: Update, context: BotContext) -> None:
    """Turn one report on or off (models/ checks that I may receive it), then redraw."""
    kind, wanted = PushKind(context.matches[0][1]), context.matches[0][2] == "1"
    await context.call(choose, user_id=_me(context), kind=kind, wanted=wanted)
    mine = await _report_choices(context)
    await update.callback_query.edit_message_text(
        context.t("pushes.reports_head"),
        reply_markup=keyboards.markup(subscriptions(context.lang, mine)),
    )


async def show_pushes(update: Update, context: BotContext) -> None:
    """Show today's pushes of my project: delivered, failed and why, blocked, unconfirmed."""
    view = await context.call(push_day, user_id=context.person.id)
    settings = context.settings
    times = {
        b.kind: b.at.strftime("%H:%M")
        for b in beats(morning_at=settings.morning_push, report_at=settings.daily_report_at)
    }
    await send_long(context, update.effective_chat.id, day_text(context.lang, view, times))


def day_text(lang: str, view: PushDay, times: dict[PushKind, str]) -> str:
    """Render a project's pushes of the day, kind by kind, people by name."""
    out = [t(lang, "pushes.day_head", project=esc(view.project), day=view.day.isoformat())]
    for kind in PushKind:
        name = kind_name(lang, kind)
        run = view.runs.get(kind)
        if run is None:
            out.append(t(lang, "pushes.run_none", kind=name, at=times.get(kind, "")))
        elif run.finished_at is None:
            out.append(t(lang, "pushes.run_going", kind=name, at=_hm(run.started_at, view)))
        else:
            out.append(t(lang, "pushes.run_done", kind=name, at=_hm(run.finished_at, view)))
        out += _people(lang, [line for line in view.lines if line.kind is kind])
    if view.blocked:
        out += ["", t(lang, "pushes.skipped", names=_names(view.blocked))]
    return "\n".join(out)


def _people(lang: str, lines: list[PushLine]) -> list[str]:
    by = {s: [x for x in lines if x.status is s] for s in PushStatus}
    out = [t(lang, "pushes.sent", n=len(by[PushStatus.sent]))] if lines else []
    if failed := by[PushStatus.failed]:
        out.append(t(lang, "pushes.failed", n=len(failed)))
        out += [
            t(lang, "pushes.failed_line", name=esc(x.name), reason=esc(x.reason or "?"))
            for x in failed
        ]
    if blocked := by[PushStatus.blocked]:
        out.append(t(lang, "pushes.blocked", names=_names([x.name for x in blocked])))
    if cut := by[PushStatus.sending]:
        out.append(t(lang, "pushes.unconfirmed", names=_names([x.name for x in cut])))
    return out


def _names(names: list[str]) -> str:
    return "、".join(esc(n) for n in names)


def _hm(at: datetime, view: PushDay) -> str:
    return clock.local(at, view.timezone).strftime("%H:%M")


def register(app: Application) -> None:
    """Add the push choices and the admin's push log."""
    app.add_handler(CommandHandler("mute", mute))
    app.add_handler(CommandHandler("unmute", unmute))
    app.add_handler(CommandHandler("reports", reports))
    app.add_handler(CallbackQueryHandler(toggle, pattern=SUBSCRIBE))
    app.add_handler(CommandHandler("pushes", show_pushes))
