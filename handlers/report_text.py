"""The manager's report as pictures and words: the same for /report, the 18:00 push and the CLI."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import partial

from handlers.i18n import t
from handlers.text import clip, esc
from models.charts import daily_chart, rework_chart
from models.report import ContractorAgeing, DailyReport, ReworkCause, ReworkReport

CAPTION_LIMIT = 1024  # Telegram's caption, in UTF-16 units
PROJECT_CHARS = 60
NAME_CHARS = 40  # a contractor's name on one line of the figures
TOP_CAUSES = 3  # the worst causes named under the rework picture


def chart_words(lang: str) -> Callable[..., str]:
    """Return the translator the pictures take, in this language."""
    return partial(t, lang)


def daily_picture(lang: str, report: DailyReport) -> bytes:
    """Draw the daily picture (PNG) with its labels in this language."""
    return daily_chart(report, chart_words(lang))


def rework_picture(lang: str, report: ReworkReport) -> bytes:
    """Draw the rework picture (PNG) with its labels in this language."""
    return rework_chart(report, chart_words(lang))


def _size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # as Telegram counts


def report_caption(lang: str, report: DailyReport) -> str:
    """Return today's figures of the project (HTML, well under a caption's 1,024)."""
    today = report.today
    return "\n".join(
        [
            t(
                lang,
                "report.head",
                project=esc(clip(report.project_name, PROJECT_CHARS)),
                day=report.day,
            ),
            t(
                lang,
                "report.today",
                raised=today.raised,
                reported=today.reported_repaired,
                passed=today.passed,
                failed=today.failed,
                closed=today.closed,
            ),
            t(lang, "report.now", open=today.open, overdue=today.overdue),
        ]
    )


def _contractor_line(lang: str, c: ContractorAgeing) -> str:
    rate = (
        t(lang, "report.rate", pct=round(c.first_pass_rate * 100))
        if c.first_pass_rate is not None
        else t(lang, "report.no_rate")
    )
    median = (
        t(lang, "report.median", days=f"{c.median_days_to_close:g}")
        if c.median_days_to_close is not None
        else t(lang, "report.no_median")
    )
    name = esc(clip(" ".join(c.name.split()), NAME_CHARS))
    return t(
        lang,
        "report.contractor",
        name=name,
        open=c.open,
        overdue=c.overdue,
        rate=rate,
        median=median,
    )


def report_details(lang: str, report: DailyReport) -> str:
    """Return per contractor the first-time pass rate and the median days to close (HTML)."""
    if not report.contractors:
        return t(lang, "report.no_contractors")
    lines = [_contractor_line(lang, c) for c in report.contractors]
    return "\n".join([t(lang, "report.contractors_head"), *lines])


def report_texts(lang: str, report: DailyReport) -> tuple[str, str | None]:
    """Return the picture's caption and the message after it (None when all fit the caption)."""
    caption, details = report_caption(lang, report), report_details(lang, report)
    together = f"{caption}\n\n{details}"
    if _size(plain(together)) <= CAPTION_LIMIT:  # Telegram counts the text as shown
        return together, None
    return caption, details


def _cause(lang: str, cause: ReworkCause, building: bool) -> str:
    what = cause.label_zh if lang == "zh" else cause.label_en
    if building:
        what = t(lang, "chart.building", building=what)
    return t(
        lang,
        "report.cause",
        what=esc(clip(what, NAME_CHARS)),
        contractor=esc(clip(" ".join(cause.contractor_name.split()), NAME_CHARS)),
        failed=cause.failed,
        reopened=cause.reopened,
    )


def rework_caption(lang: str, report: ReworkReport) -> str:
    """Return the rework picture's summary: totals, the worst categories and buildings (HTML)."""
    head = t(
        lang,
        "report.rework_head",
        project=esc(clip(report.project_name, PROJECT_CHARS)),
        day=report.day,
    )
    if not report.by_category:
        return "\n".join([head, t(lang, "report.rework_none")])
    failed = sum(c.failed for c in report.by_category)
    reopened = sum(c.reopened for c in report.by_category)
    lines = [head, t(lang, "report.rework_total", failed=failed, reopened=reopened), ""]
    lines.append(t(lang, "report.worst_categories"))
    lines += [_cause(lang, c, False) for c in report.by_category[:TOP_CAUSES]]
    lines.append(t(lang, "report.worst_buildings"))
    lines += [_cause(lang, c, True) for c in report.by_building[:TOP_CAUSES]]
    while _size(plain("\n".join(lines))) > CAPTION_LIMIT:  # only names full of "&" get here
        lines.pop()
    return "\n".join(lines)


def plain(text: str) -> str:
    """Return an HTML text of these functions as plain text (for a file)."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def report_heading(lang: str, *, project: str, day: str) -> str:
    """Return the line the evening report push starts with (project already escaped)."""
    return t(lang, "pushes.report_text", project=project, day=day)


def report_more(lang: str) -> str:
    """Return the pointer to /report under figures cut to one message."""
    return t(lang, "pushes.report_more")
