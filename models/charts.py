"""The manager's pictures as PNG: open items by contractor and age, the last 30 days, rework.

Drawn with matplotlib's Agg renderer in the packaged Chinese font only (models/fonts.py), so a
machine with no font of its own draws the same picture. Texts come through `tr(key, **params)`,
which the caller binds to the reader's language.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from models.fonts import MISSING, drawable, use_in_matplotlib
from models.report import AGE_BANDS, DailyReport, ReworkCause, ReworkReport

Translate = Callable[..., str]

DPI = 150
WIDTH_PX = 1080  # a phone screen's width: read without zooming
HEIGHT_PX = 1500
MARGIN_PX = 8  # no text nearer the picture's edge than this
MIN_FONT_PT = 8  # a text that does not fit is made smaller, down to this
TOP = 12  # contractors shown; the rest are counted in one "+k more" line
TOP_CAUSES = 10  # rows of each rework panel
NAME_UNITS = 24  # a name's width on the chart, in half-width characters (a CJK one is two)
CAUSE_UNITS = 20
# Calm to alarming, one colour per AGE_BANDS entry.
BAND_COLOURS = ("#66bb6a", "#d4e157", "#ffca28", "#fb8c00", "#c62828")
RAISED, CLOSED, STILL_OPEN = "#5c7cba", "#43a047", "#37474f"
FAILED, REOPENED = "#fb8c00", "#c62828"
ALARM = "#c62828"
# The legal form at the end of a firm's name, as a site office leaves it out when it speaks.
LEGAL_FORM = re.compile(
    r"\s*(股份有限公司|有限责任公司|集团有限公司|有限公司|Co\.?,?\s*Ltd\.?|Ltd\.?|Inc\.?)$", re.I
)

# matplotlib's settings are process-wide: one picture is drawn at a time, in its own settings.
_drawing = threading.Lock()


def _style() -> dict[str, Any]:
    return {
        "font.family": use_in_matplotlib(),
        "axes.unicode_minus": False,  # a plain hyphen: CJK fonts differ on U+2212
        "font.size": 12,
        "axes.titlesize": 14,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def fit(text: str, units: int) -> str:
    """Return a name the chart can draw (see `drawable`), at most `units` half-width
    characters wide: a long name keeps its start and its end, "…" between."""
    chars = list(drawable(text))
    widths = [_width(c) for c in chars]
    if sum(widths) > units:  # "有限公司" says nothing on a chart: drop it before cutting
        shorter = LEGAL_FORM.sub("", "".join(chars))
        if shorter:
            chars = list(shorter)
            widths = [_width(c) for c in chars]
    if sum(widths) <= units:
        return "".join(chars)
    # The end of a name tells branches apart ("……第一分公司", "……第二分公司").
    head_units = tail_units = (units - 1) // 2
    head, used = [], 0
    for char, width in zip(chars, widths, strict=True):
        if used + width > head_units:
            break
        head.append(char)
        used += width
    tail, used = [], 0
    for char, width in zip(reversed(chars), reversed(widths), strict=True):
        if used + width > tail_units:
            break
        tail.insert(0, char)
        used += width
    return "".join(head).rstrip() + "…" + "".join(tail).lstrip()


def _labels(names: Sequence[str], ids: Sequence[int], units: int) -> list[str]:
    """Fit names; a name with nothing drawable, or cut to the same label as another, gets its id."""
    fitted = [fit(name, units) for name in names]
    seen: dict[str, set[int]] = {}
    for label, name_id in zip(fitted, ids, strict=True):
        seen.setdefault(label, set()).add(name_id)
    out = []
    for name, label, name_id in zip(names, fitted, ids, strict=True):
        if not drawable(name).replace(MISSING, "").strip():
            label = f"#{name_id}"
        elif len(seen[label]) > 1:
            label = f"{fit(name, units - 6)} #{name_id}"
        out.append(label)
    return out


def _png(fig: Any) -> bytes:
    _keep_inside(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _keep_inside(fig: Any) -> None:
    """Bring the title and every panel's head back inside the picture, measured as drawn.

    A head starts at the picture's margin when its axes leave it too little room (a long head
    beside long contractor names); one still too wide (a long project name in the title) is
    made smaller until it fits. Matplotlib would cut it at the edge without a word. (Legends and
    tick labels are laid out only when drawn, inside their axes: they are not measured.)
    """
    renderer = fig.canvas.get_renderer()
    low, high = MARGIN_PX, WIDTH_PX - MARGIN_PX
    for ax in fig.axes:
        axes = ax.get_window_extent(renderer)
        for head in _heads(ax):
            if head.get_window_extent(renderer).x1 > high:
                head.set_x(min(0.0, (low - axes.x0) / axes.width))  # from the margin on
    for text in [*fig.texts, *(h for ax in fig.axes for h in _heads(ax))]:
        while text.get_fontsize() > MIN_FONT_PT:
            box = text.get_window_extent(renderer)
            if box.x0 >= low - 1 and box.x1 <= high + 1:
                break
            text.set_fontsize(text.get_fontsize() - 1)


def _heads(ax: Any) -> list[Any]:
    """Return the texts of an axes' titles (left, centre, right) and of its x label."""
    from matplotlib.text import Text

    titles = {ax.get_title(loc=loc) for loc in ("left", "center", "right")} - {""}
    found = [c for c in ax.get_children() if isinstance(c, Text) and c.get_text() in titles]
    label = ax.xaxis.label
    return [*found, label] if label.get_text() else found


def _figure(title: str, panels: int) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=17, y=1 - 16 / HEIGHT_PX, va="top")
    return fig, [fig.add_subplot(panels, 1, n + 1) for n in range(panels)]


def _side(fig: Any, axes: Sequence[Any]) -> float:
    """Return the figure fraction the widest y label of these axes takes, ticks included."""
    renderer = fig.canvas.get_renderer()
    widest = max(
        (t.get_window_extent(renderer).width for ax in axes for t in ax.get_yticklabels()),
        default=0,
    )
    return min((widest + 28) / WIDTH_PX, 0.5)


def _place(fig: Any, panels: Sequence[tuple[Sequence[Any], float, float]]) -> None:
    """Put each panel's axes between its bottom and top (figure fractions), all with one left
    edge that fits the widest label, a right edge that fits a second axis' labels.

    Measured, not constrained layout: that lays the whole figure out once more (3x the time).
    """
    left = _side(fig, [ax for axes, _, _ in panels for ax in axes[:1]])
    right = 1 - max(_side(fig, axes[1:]) if len(axes) > 1 else 0.03 for axes, _, _ in panels)
    for axes, bottom, top in panels:
        for ax in axes:
            ax.set_position([left, bottom, right - left, top - bottom])


def _empty(ax: Any, text: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=18, color="#455a64")


def _beside(ax: Any, x: float, row: int, text: str, after: float, **style: Any) -> None:
    """Write a figure just right of a bar's end, `after` points further on."""
    style = {"fontsize": 12, **style}
    ax.annotate(
        text, (x, row), xytext=(5 + after, 0), textcoords="offset points", va="center", **style
    )


def band_label(tr: Translate, index: int) -> str:
    """Return the legend label of one age band ("0–3 days", "over 30 days")."""
    low, high = AGE_BANDS[index]
    if high is None:
        return tr("chart.band_over", low=low - 1)
    return tr("chart.band", low=low, high=high)


def daily_chart(report: DailyReport, tr: Translate) -> bytes:
    """Draw the manager's daily picture: open items by contractor and age, the last 30 days."""
    with _drawing:
        import matplotlib

        with matplotlib.rc_context(_style()):
            title = tr("chart.daily_title", project=fit(report.project_name, 40), day=report.day)
            fig, (top, bottom) = _figure(title, 2)
            _ageing(top, report, tr)
            still = _series(bottom, report, tr)
            _place(fig, [([top], 0.47, 0.885), ([bottom, *still], 0.045, 0.375)])
            return _png(fig)


def _ageing(ax: Any, report: DailyReport, tr: Translate) -> None:
    """Draw the open items of the top contractors as bars stacked by age, overdue marked."""
    ranked = sorted((c for c in report.contractors if c.open), key=lambda c: (-c.open, c.name))
    head = tr("chart.open_head", open=report.today.open, overdue=report.today.overdue)
    ax.set_title(head, loc="left", pad=30)  # room for the legend of the bands below it
    if not ranked:
        _empty(ax, tr("chart.nothing_open"))
        return
    shown, hidden = ranked[:TOP], ranked[TOP:]
    names = _labels([c.name for c in shown], [c.contractor_id for c in shown], NAME_UNITS)
    rows = range(len(shown))
    left = [0] * len(shown)
    for band, colour in enumerate(BAND_COLOURS):
        counts = [c.bands[band] for c in shown]
        ax.barh(rows, counts, left=left, color=colour, label=band_label(tr, band), height=0.7)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    most = max(c.open for c in shown)
    for row, c in zip(rows, shown, strict=True):
        _beside(ax, c.open, row, str(c.open), 0)
        if c.overdue:  # on the same line, after the count: offsets in points, any scale
            mark = tr("chart.overdue_mark", n=c.overdue)
            _beside(ax, c.open, row, mark, 7.5 * len(str(c.open)) + 6, color=ALARM, fontsize=11)
    ax.set_yticks(list(rows), names, fontsize=11 if len(shown) > 8 else 12)
    ax.set_ylim(len(shown) - 0.5, -0.8)  # most open on top
    ax.set_xlim(0, most * 1.45)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncol=len(BAND_COLOURS),
        frameon=False,
        fontsize=10,
        handlelength=1.2,
        columnspacing=0.8,
        borderaxespad=0,
    )
    if hidden:
        ax.set_xlabel(
            tr("chart.more", k=len(hidden), n=sum(c.open for c in hidden)), loc="left", color="#555"
        )


def _series(ax: Any, report: DailyReport, tr: Translate) -> list[Any]:
    """Draw the last days: raised and closed per day as bars, still open as a line on a
    second axis (returned)."""
    series = report.series
    ax.set_title(tr("chart.series_head", n=len(series)), loc="left")
    if not series:
        _empty(ax, tr("chart.no_data"))
        return []
    x = list(range(len(series)))
    ax.bar(
        [i - 0.2 for i in x],
        [d.raised for d in series],
        0.4,
        color=RAISED,
        label=tr("chart.raised"),
    )
    ax.bar(
        [i + 0.2 for i in x],
        [d.closed for d in series],
        0.4,
        color=CLOSED,
        label=tr("chart.closed"),
    )
    ax.yaxis.get_major_locator().set_params(integer=True)
    ticks = x[::-7][::-1]  # every week back from today, today included
    ax.set_xticks(ticks, [f"{series[i].day:%m-%d}" for i in ticks])
    ax.set_xlim(-0.7, len(series) - 0.3)
    still = ax.twinx()
    still.spines["right"].set_visible(True)
    still.plot(
        x, [d.open for d in series], color=STILL_OPEN, linewidth=2.5, label=tr("chart.still_open")
    )
    still.set_ylim(0, max(max(d.open for d in series) * 1.15, 1))
    still.yaxis.get_major_locator().set_params(integer=True)
    handles = [*ax.get_legend_handles_labels()[0], *still.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left", ncol=3, frameon=False, fontsize=10)
    ax.set_ylim(0, max(max(max(d.raised, d.closed) for d in series) * 1.35, 1))
    return [still]


def rework_chart(report: ReworkReport, tr: Translate) -> bytes:
    """Draw what causes rework: failed inspections and reopenings by category and by building,
    each row one contractor's share."""
    with _drawing:
        import matplotlib

        with matplotlib.rc_context(_style()):
            title = tr("chart.rework_title", project=fit(report.project_name, 40), day=report.day)
            fig, (by_category, by_building) = _figure(title, 2)
            _causes(by_category, report.by_category, tr("chart.by_category"), tr)
            _causes(by_building, report.by_building, tr("chart.by_building"), tr, buildings=True)
            _place(fig, [([by_category], 0.535, 0.915), ([by_building], 0.065, 0.445)])
            return _png(fig)


def _causes(
    ax: Any, causes: Sequence[ReworkCause], title: str, tr: Translate, buildings: bool = False
) -> None:
    """Draw the causes with the most rework as bars: failed, then reopened."""
    ax.set_title(title, loc="left")
    ranked = sorted(
        (c for c in causes if c.total),
        key=lambda c: (-c.total, c.key, c.contractor_name, c.contractor_id),
    )
    if not ranked:
        _empty(ax, tr("chart.no_rework"))
        return
    shown, hidden = ranked[:TOP_CAUSES], ranked[TOP_CAUSES:]
    in_zh = tr("chart.names_in") == "zh"
    what = [c.label_zh if in_zh else c.label_en for c in shown]
    if buildings:  # a building is its code: "3" is worded "3栋", "Bldg 3"
        what = [tr("chart.building", building=w) for w in what]
    what = [fit(w, CAUSE_UNITS) for w in what]
    who = _labels([c.contractor_name for c in shown], [c.contractor_id for c in shown], NAME_UNITS)
    rows = range(len(shown))
    failed = [c.failed for c in shown]
    ax.barh(rows, failed, color=FAILED, label=tr("chart.failed"), height=0.7)
    ax.barh(
        rows,
        [c.reopened for c in shown],
        left=failed,
        color=REOPENED,
        height=0.7,
        label=tr("chart.reopened"),
    )
    most = max(c.total for c in shown)
    for row, c in zip(rows, shown, strict=True):
        _beside(ax, c.total, row, str(c.total), 0)
    ax.set_yticks(list(rows), [f"{a}\n{b}" for a, b in zip(what, who, strict=True)], fontsize=10)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, most * 1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right", frameon=False, fontsize=10)
    if hidden:
        ax.set_xlabel(
            tr("chart.more_causes", k=len(hidden), n=sum(c.total for c in hidden)),
            loc="left",
            color="#555",
        )
