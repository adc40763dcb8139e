"""The daily pushes: mute the morning list, choose the reports, see who got theirs today."""

from __future__ import annotations

from datetime import datetime

from handlers.buttons import Subscribe
from handlers.choices import kind_name, subscriptions
from handlers.core import Ask, Router
from handlers.i18n import t
from handlers.text import esc
from models import clock
from models.errors import DomainError
from models.pushes import NoticeDay, PushDay, PushLine, beats, choices_of, choose, push_day
from models.tables import PushKind, PushStatus, Undelivered

# The reports a manager or admin chooses with /reports (the morning list has /mute).
REPORTS = (PushKind.report, PushKind.overdue)


async def mute(ask: Ask) -> None:
    """Stop pushing me the morning list."""
    await ask.call(choose, user_id=ask.user_id, kind=PushKind.morning, wanted=False)
    ask.show(ask.t("pushes.muted"))


async def unmute(ask: Ask) -> None:
    """Push me the morning list again."""
    await ask.call(choose, user_id=ask.user_id, kind=PushKind.morning, wanted=True)
    ask.show(ask.t("pushes.unmuted", at=ask.settings.morning_push))


async def _report_choices(ask: Ask) -> dict[PushKind, bool]:
    wanted = await ask.call(choices_of, user_id=ask.user_id)
    mine = {kind: on for kind, on in wanted.items() if kind in REPORTS}
    if not mine:
        raise DomainError("not_allowed")
    return mine


async def reports(ask: Ask) -> None:
    """Show a toggle for each report I may receive."""
    mine = await _report_choices(ask)
    ask.show(ask.t("pushes.reports_head"), subscriptions(ask.lang, mine))


async def toggle(ask: Ask) -> None:
    """Turn one report on or off (models/ checks that I may receive it), then redraw."""
    kind, wanted = ask.pressed.kind, ask.pressed.wanted
    await ask.call(choose, user_id=ask.user_id, kind=kind, wanted=wanted)
    mine = await _report_choices(ask)
    ask.show(ask.t("pushes.reports_head"), subscriptions(ask.lang, mine), replace=True)


async def show_pushes(ask: Ask) -> None:
    """Show today's pushes of my project: delivered, failed and why, blocked, unconfirmed."""
    view = await ask.call(push_day, user_id=ask.user_id)
    settings = ask.settings
    times = {
        b.kind: b.at.strftime("%H:%M")
        for b in beats(morning_at=settings.morning_push, report_at=settings.daily_report_at)
    }
    ask.show(day_text(ask.lang, view, times))


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
    out += _notices(lang, view.notices, view)
    if view.blocked:
        out += ["", t(lang, "pushes.skipped", names=_names(view.blocked))]
    return "\n".join(out)


def why(lang: str, reason: Undelivered | None, parts_sent: int = 0) -> str:
    """Return why a message did not arrive, in the reader's language (and what of it did)."""
    said = t(lang, f"pushes.why.{reason.value if reason else 'unknown'}")
    return t(lang, "pushes.why_partly", why=said, n=parts_sent) if parts_sent else said


def _notices(lang: str, day: NoticeDay, view: PushDay) -> list[str]:
    """Render the day's notices of flows: how many arrived, and each that did not (yet)."""
    if not day.sent and not day.missed:
        return []
    out = ["", t(lang, "pushes.notices", n=day.sent)]
    if day.missed:
        out.append(t(lang, "pushes.notices_missed", n=len(day.missed)))
    for line in day.missed:
        said = (
            t(lang, "pushes.notice_sending")
            if line.status is PushStatus.sending
            else why(lang, line.why)
        )
        out.append(
            t(
                lang,
                "pushes.notice_line",
                at=_hm(line.at, view),
                name=esc(line.name),
                why=said,
                what=esc(line.summary),
            )
        )
    return out


def _people(lang: str, lines: list[PushLine]) -> list[str]:
    by = {s: [x for x in lines if x.status is s] for s in PushStatus}
    out = [t(lang, "pushes.sent", n=len(by[PushStatus.sent]))] if lines else []
    if failed := by[PushStatus.failed]:
        out.append(t(lang, "pushes.failed", n=len(failed)))
        out += [
            t(lang, "pushes.failed_line", name=esc(x.name), reason=why(lang, x.why, x.parts_sent))
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


def routes(router: Router) -> None:
    """Route the push choices and the admin's push log."""
    router.command("mute", mute)
    router.command("unmute", unmute)
    router.command("reports", reports)
    router.press(Subscribe, toggle)
    router.command("pushes", show_pushes)
