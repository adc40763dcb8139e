"""Workbook reports as text, in zh or en: used by the chat and the command line alike."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.i18n import t
from handlers.screens import Limits
from handlers.text import size
from models.setup_sheet import CategoryChange, SetupReport
from models.sheets import ImportReport, Skipped
from models.workbook_reader import Problem

CHAT_LIMIT = 5  # bad rows shown per reason in a chat answer
ESCAPED = 500  # under a message's size: escaping the report for the chat lengthens it
SHOWN_ROWS = 20  # row numbers listed for skipped rows


def render_report(
    lang: str,
    report: SetupReport | ImportReport,
    *,
    limit: int | None = CHAT_LIMIT,
    fit: Limits | None = None,
) -> str:
    """Return a report as text; `limit` bad rows per reason (None: all), fitted to one
    message of the platform's `fit` (None: as long as it is)."""
    text = _render(lang, report, limit)
    # Hundreds of bad rows: show fewer per reason rather than cut the answer mid-line.
    while fit is not None and limit is not None and limit > 1 and _over(text, fit):
        limit //= 2
        text = _render(lang, report, limit)
    return text


def _over(text: str, fit: Limits) -> bool:
    return size(text, fit) > fit.chunk - ESCAPED


def _render(lang: str, report: SetupReport | ImportReport, limit: int | None) -> str:
    if isinstance(report, SetupReport):
        return _render_setup(lang, report, limit)
    return _render_import(lang, report, limit)


def _render_setup(lang: str, report: SetupReport, limit: int | None) -> str:
    lines: list[str] = []
    if report.problems:
        lines.append(t(lang, "sheet.setup_refused", filename=report.filename))
        lines += problem_lines(lang, report.problems, limit=limit)
    else:
        lines.append(t(lang, "sheet.setup_saved", filename=report.filename))
        for key, counts in report.counts.items():
            lines.append(
                t(
                    lang,
                    "sheet.setup_counts",
                    sheet=t(lang, f"sheet.name.{key}"),
                    added=counts.added,
                    updated=counts.updated,
                    unchanged=counts.unchanged,
                )
            )
        lines += _category_lines(lang, report)
    if report.example_rows:
        lines.append(t(lang, "sheet.example_ignored"))
    return "\n".join(lines)


def _category_lines(lang: str, report: SetupReport) -> list[str]:
    """Name every category the workbook added or removed, so that a typo shows."""
    lines = []
    for change in report.categories_added:
        line = t(lang, "sheet.category_added", name=_category_name(change))
        if change.repair_days:
            line += t(lang, "sheet.category_days", days=change.repair_days)
        if change.near:
            line += t(lang, "sheet.category_near", near=change.near)
        lines.append(line)
    for change in report.categories_removed:
        lines.append(
            t(lang, "sheet.category_removed", name=_category_name(change), rules=change.rules)
        )
    if report.categories_added:
        lines.append(t(lang, "sheet.categories_hint"))
    return lines


def _category_name(change: CategoryChange) -> str:
    if change.name_en == change.name_zh:
        return change.name_zh
    return f"{change.name_zh} / {change.name_en}"


def _render_import(lang: str, report: ImportReport, limit: int | None) -> str:
    lines: list[str] = []
    if report.problems:
        lines.append(t(lang, "sheet.import_refused", filename=report.filename))
        lines += problem_lines(lang, report.problems, limit=limit)
        if report.example_rows:
            lines.append(t(lang, "sheet.example_ignored"))
        return "\n".join(lines)
    if report.imported:
        lines.append(t(lang, "sheet.imported", count=report.imported, filename=report.filename))
        for name, count in report.by_contractor.items():
            lines.append(t(lang, "sheet.per_contractor", name=name, count=count))
    else:
        lines.append(t(lang, "sheet.nothing_new", filename=report.filename, count=report.rows))
    for reason, key in (
        ("already_imported", "sheet.skipped_already"),
        ("repeated", "sheet.skipped_repeated"),
    ):
        skipped = [s for s in report.skipped if s.reason == reason]
        if skipped:
            lines.append(t(lang, key, count=len(skipped), rows=_rows(skipped)))
    if report.example_rows:
        lines.append(t(lang, "sheet.example_ignored"))
    return "\n".join(lines)


def _rows(skipped: Sequence[Skipped]) -> str:
    numbers = [str(s.row) for s in skipped[:SHOWN_ROWS]]
    more = len(skipped) - SHOWN_ROWS
    return ", ".join(numbers) + (f" … (+{more})" if more > 0 else "")


def problem_lines(lang: str, problems: Sequence[Problem], *, limit: int | None = None) -> list[str]:
    """Return the problems as lines: the file's first, then bad rows grouped by reason."""
    lines = [_file_line(lang, p) for p in problems if p.row is None]
    by_reason: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.row is not None:
            by_reason.setdefault(problem.key, []).append(problem)
    if by_reason:
        rows = len({(p.sheet, p.row) for p in problems if p.row is not None})
        lines.append(t(lang, "sheet.rows_refused", rows=rows))
    for key, group in by_reason.items():
        lines.append(t(lang, f"sheet.title.{key}", count=len(group)))
        shown = group if limit is None else group[:limit]
        lines += [f"  {row_line(lang, p)}" for p in shown]
        if len(group) > len(shown):
            lines.append("  " + t(lang, "sheet.more", count=len(group) - len(shown)))
    return lines


def _file_line(lang: str, problem: Problem) -> str:
    detail = t(lang, f"sheet.{problem.key}", **problem.params)
    if problem.sheet and problem.sheet != "items":
        return t(
            lang, "sheet.in_sheet", sheet=t(lang, f"sheet.name.{problem.sheet}"), detail=detail
        )
    return detail


def row_line(lang: str, problem: Problem) -> str:
    """Return one bad row as a line: where, which column, why (and the nearest known value)."""
    if problem.sheet and problem.sheet != "items":
        sheet = t(lang, f"sheet.name.{problem.sheet}")
        where = t(lang, "sheet.at_sheet_row", sheet=sheet, row=problem.row)
    else:
        where = t(lang, "sheet.at_row", row=problem.row)
    detail = t(lang, f"sheet.{problem.key}", **problem.params)
    if problem.params.get("near"):
        detail += t(lang, "sheet.near", near=problem.params["near"])
    column = t(lang, f"sheet.col.{problem.column}") if problem.column else ""
    return t(lang, "sheet.line", where=where, column=column, detail=detail)
