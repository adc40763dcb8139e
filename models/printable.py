"""Printable lists: an A4 PDF a contractor or the inspection team takes on site each morning.

Many workers have no smartphone; the site office prints these. The font is embedded (a TrueType
collection from pip, see models/fonts.py) so the page prints the same from any phone or PC, and
its text can be searched and copied.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from itertools import groupby

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.table import Row, Table
from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.fonts import FACE, cjk_font, drawable
from models.print_lists import (
    PrintList,
    contractor_print,
    my_print_lists,
    to_check_print,
    to_check_print_lists,
)
from models.queries import ItemLine, Only
from models.tables import Contractor, Item, ItemState

# tr(key, **params) -> text in the reader's language (the caller's catalog; models/ has none).
Tr = Callable[..., str]
Printout = tuple[str, bytes]  # (file name, PDF bytes)
# The link that opens an item's card in the chat the list is printed for (the platform's
# deep link); None where the platform has none (WeCom: the printed id is typed instead).
ItemLink = Callable[[int], str | None]

FONT = "wqy"
BODY_PT = 9
ID_PT = 15  # large: a clerk types it into /done from the paper, a WeCom user into the chat
MARGIN = 10  # mm
WIDTH_MM = 277  # between the margins of A4 landscape
DESCRIPTION_CHARS = 120  # at most four or five lines of its column: one row never spans a page
SHORT_CHARS = 24  # flat, location, category, contractor
TEAM_CHARS = 40  # names in the page's heading, which is cut again to fit its line
PROJECT_CHARS = 24
TITLE_MM = 230  # the heading's line; the date is right of it
QR_MM = 12  # the QR column: a 10 mm code, about 0.3 mm a module, which a phone reads off paper
WRITE_MM = 12  # the walk's rows are at least this tall: room to write a fail reason by hand
DESCRIPTION = "pdf.col_description"  # the column that takes the width the others leave
SCAN = "pdf.col_scan"

# (catalog key of the heading, width in mm). Both lists go stairwell by stairwell (a heading
# line per building and entrance), the floor on every row, so each stairwell is walked once.
REPAIR_COLUMNS: tuple[tuple[str, int], ...] = (
    ("pdf.col_id", 20),
    ("pdf.col_floor", 10),
    ("pdf.col_flat", 20),
    ("pdf.col_location", 18),
    ("pdf.col_category", 16),
    (DESCRIPTION, 0),
    ("pdf.col_raised", 19),
    ("pdf.col_age", 9),
    ("pdf.col_rework", 15),
    ("pdf.col_due", 28),  # "2026-12-10 逾期" on one line
    ("pdf.col_result_repair", 19),
    ("pdf.col_sign", 19),
)
CHECK_COLUMNS: tuple[tuple[str, int], ...] = (
    ("pdf.col_id", 20),
    ("pdf.col_floor", 10),
    ("pdf.col_flat", 20),
    ("pdf.col_location", 16),
    ("pdf.col_category", 14),
    (DESCRIPTION, 0),
    ("pdf.col_contractor", 28),  # who repaired it: who gets it back if it fails
    ("pdf.col_rework", 13),
    ("pdf.col_waiting", 14),
    ("pdf.col_result_check", 52),  # room for a fail reason
    ("pdf.col_sign", 16),
)
HEADING = FontFace(emphasis=None, fill_color=(225, 225, 225))
GROUP = FontFace(emphasis=None, fill_color=(245, 240, 220), size_pt=BODY_PT + 1)
LARGE_ID = FontFace(emphasis=None, size_pt=ID_PT)
OVERDUE = FontFace(emphasis=None, color=(180, 0, 0))
Cell = tuple[str, FontFace | None, str]  # text, style, alignment


def printable(text: str, limit: int | None = None) -> str:
    """Return text the font can draw on one line (see fonts.drawable), cut to `limit`."""
    clean = drawable(text)
    if limit is not None and len(clean) > limit:
        clean = clean[: limit - 1].rstrip() + "…"
    return clean


@lru_cache(maxsize=20_000)  # ~300 bytes each: a list printed again costs no new codes
def qr_png(link: str) -> bytes:
    """Return a QR code of `link` as a PNG (4 pixels a module, a 1-module margin)."""
    # Level L keeps the code small (version 3 for a t.me link); paper in a site office is clean.
    code = segno.make(link, error="l", boost_error=False, micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=4, border=1)
    return out.getvalue()


class _Pages(FPDF):
    """A4 landscape with the list's heading and page number on every page."""

    def __init__(self, heading: tuple[str, str, str], page_label: Callable[[int], str]) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.heading = heading
        self.page_label = page_label
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 6)
        self.add_font(FONT, fname=str(cjk_font()), collection_font_number=FACE)
        self.set_font(FONT, size=BODY_PT)
        self.alias_nb_pages()

    def header(self) -> None:
        """Write the project, the team and the date, and the summary under them."""
        title, day, summary = self.heading
        self.set_xy(MARGIN, MARGIN - 2)
        self.set_font(FONT, size=13)
        self.cell(TITLE_MM, 7, self.fit(title, TITLE_MM), new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(0, 7, day, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=BODY_PT)
        self.cell(0, 5, self.fit(summary, self.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def fit(self, text: str, width: float) -> str:
        """Return the text cut (with "…") to fit one line of `width` mm in the current font."""
        if self.get_string_width(text) <= width - 2:
            return text
        while text and self.get_string_width(text + "…") > width - 2:
            text = text[:-1]
        return text.rstrip() + "…"

    def footer(self) -> None:
        """Write the page number, "第 2 / 5 页"."""
        self.set_y(-MARGIN - 3)
        self.set_font(FONT, size=BODY_PT)
        self.cell(0, 5, self.page_label(self.page_no()), align="C")


def render_pdf(plist: PrintList, tr: Tr, link: ItemLink | None = None) -> bytes:
    """Draw one printed list; an empty one is a page that says so.

    With `link`, each row has a QR code of it that opens the item's card in the chat.
    """
    day = clock.today(plist.timezone)
    checking = plist.contractor_id is None
    team = tr("pdf.inspection_team") if checking else plist.contractor_name or ""
    title = tr(
        "pdf.head",
        project=printable(plist.project_name, PROJECT_CHARS),
        title=tr("pdf.title_check" if checking else "pdf.title_repair"),
        team=printable(team, TEAM_CHARS),
    )
    pdf = _Pages(
        (title, tr("pdf.date", date=day.isoformat()), _summary(plist, tr)),
        lambda n: tr("pdf.page", page=n, pages="{nb}"),
    )
    links = _links(plist, link)
    pdf.add_page()
    pdf.set_font(FONT, size=BODY_PT - 1)
    tip = tr("pdf.tip_check" if checking else "pdf.tip_repair")
    if links:
        tip = tr("pdf.sep").join([tip, tr("pdf.tip_scan")])
    pdf.cell(0, 5, pdf.fit(tip, pdf.epw))
    pdf.ln(6)
    pdf.set_font(FONT, size=BODY_PT)
    if not plist.lines:
        pdf.set_font(FONT, size=14)
        pdf.cell(0, 12, tr("pdf.empty"))
        return bytes(pdf.output())
    _tables(pdf, plist, tr, links)
    return bytes(pdf.output())


def _links(plist: PrintList, link: ItemLink | None) -> dict[int, str] | None:
    """Return each printed item's link, or None when the list is printed without them."""
    if link is None:
        return None
    found = {line.id: url for line in plist.lines if (url := link(line.id))}
    return found or None


def _summary(plist: PrintList, tr: Tr) -> str:
    if plist.contractor_id is None:
        parts = [tr("pdf.total_check", total=plist.total)]
    else:
        figures = {"total": plist.total, "rework": plist.rework, "overdue": plist.overdue}
        parts = [tr("pdf.total_repair", **figures)]
    if plist.only is not None:
        parts.insert(0, tr(f"pdf.only_{plist.only.name}"))
    if plist.building:
        parts.insert(0, tr("pdf.building", building=printable(plist.building, 10)))
    if plist.cut:
        parts.append(tr("pdf.cut", shown=f"{len(plist.lines):,}", total=f"{plist.total:,}"))
    return tr("pdf.sep").join(parts)


def columns(checking: bool, qr: bool) -> tuple[tuple[str, int], ...]:
    """Return a list's columns: the QR code beside the id when it has one, the description
    as wide as the others leave."""
    chosen = list(CHECK_COLUMNS if checking else REPAIR_COLUMNS)
    if qr:
        chosen.insert(1, (SCAN, QR_MM))
    rest = WIDTH_MM - sum(width for _, width in chosen)
    return tuple((key, rest if key == DESCRIPTION else width) for key, width in chosen)


def _tables(pdf: FPDF, plist: PrintList, tr: Tr, links: dict[int, str] | None) -> None:
    # One table per stairwell whose two heading rows (the stairwell, the columns) repeat on
    # every page it runs over: a page that starts mid-stairwell still says where it is, and a
    # stairwell's heading is never left alone at the foot of a page.
    checking = plist.contractor_id is None
    chosen = columns(checking, links is not None)
    for n, ((building, entrance), group) in enumerate(
        groupby(plist.lines, key=lambda x: (x.building, x.entrance))
    ):
        lines = list(group)
        if n:
            pdf.ln(3)
        with _open_table(pdf, chosen, heading_rows=2) as table:
            heading = _group_heading(lines, tr, checking, building, entrance)
            table.row().cell(heading, colspan=len(chosen), style=GROUP)
            _headings(table, chosen, tr)
            # A row holds its code whole (fpdf2 shrinks an image to a row's text height).
            tall = WRITE_MM if checking else QR_MM if links else None
            for line in lines:
                _item_row(table.row(min_height=tall), chosen, line, tr, (links or {}).get(line.id))


def _group_heading(
    lines: list[ItemLine], tr: Tr, checking: bool, building: str, entrance: str
) -> str:
    where = {"building": printable(building, 10), "entrance": printable(entrance, 10)}
    if checking:
        return tr("pdf.group", **where, n=len(lines))
    rework = sum(1 for x in lines if x.is_rework)
    overdue = sum(1 for x in lines if x.overdue)
    return tr("pdf.group_repair", **where, n=len(lines), rework=rework, overdue=overdue)


def _open_table(pdf: FPDF, chosen: tuple[tuple[str, int], ...], *, heading_rows: int) -> Table:
    return pdf.table(
        col_widths=tuple(width for _, width in chosen),
        width=sum(width for _, width in chosen),
        headings_style=FontFace(emphasis=None),  # the font has no bold face; cells bring fills
        num_heading_rows=heading_rows,
        repeat_headings=1,
        line_height=BODY_PT * 0.5,
        borders_layout=TableBordersLayout.ALL,
        v_align="MIDDLE",
        padding=1,
    )


def _headings(table: Table, chosen: tuple[tuple[str, int], ...], tr: Tr) -> None:
    row = table.row()
    for key, _ in chosen:
        row.cell(tr(key), style=HEADING)


def _item_row(
    row: Row, chosen: tuple[tuple[str, int], ...], line: ItemLine, tr: Tr, link: str | None
) -> None:
    for key, _ in chosen:
        if key == SCAN:
            if link:
                row.cell(img=io.BytesIO(qr_png(link)), link=link)
            else:
                row.cell("")
            continue
        text, style, align = _cell(key, line, tr)
        row.cell(text, style=style, align=align)


def _cell(key: str, line: ItemLine, tr: Tr) -> Cell:
    """Return what one column of a row shows."""
    category = line.category_zh if tr("pdf.lang") == "zh" else line.category_en
    due = line.due_on.isoformat() if line.due_on else ""
    cells: dict[str, Callable[[], Cell]] = {
        "pdf.col_id": lambda: (str(line.id), LARGE_ID, "C"),
        "pdf.col_floor": lambda: (tr("pdf.floor", floor=line.floor), None, "C"),
        "pdf.col_flat": lambda: (printable(line.unit_code, SHORT_CHARS), None, "L"),
        "pdf.col_location": lambda: (printable(line.location, SHORT_CHARS), None, "L"),
        "pdf.col_category": lambda: (printable(category, SHORT_CHARS), None, "L"),
        DESCRIPTION: lambda: (printable(line.description, DESCRIPTION_CHARS), None, "L"),
        "pdf.col_contractor": lambda: (printable(line.contractor_name, SHORT_CHARS), None, "L"),
        "pdf.col_raised": lambda: (line.raised_on.isoformat(), None, "C"),
        "pdf.col_age": lambda: (str(line.age_days), None, "C"),
        "pdf.col_rework": lambda: (
            tr("pdf.rework_mark", n=line.rework_count) if line.rework_count else "",
            None,
            "C",
        ),
        "pdf.col_due": lambda: (
            (f"{due} {tr('pdf.overdue_mark')}", OVERDUE, "C") if line.overdue else (due, None, "C")
        ),
        "pdf.col_waiting": lambda: (
            tr("pdf.waiting_mark", days=line.waiting_days) if line.waiting_days else "",
            None,
            "C",
        ),
    }
    make = cells.get(key)
    return make() if make is not None else ("", None, "C")  # a column to write in


def file_name(plist: PrintList, tr: Tr) -> str:
    """Return a file name safe on any system: the list, the team, the narrowing, the day.

    The to-check list is the whole project's: its name says no project (the heading, the
    caption and `report --out`'s folder or prefix already do).
    """
    checking = plist.contractor_id is None
    parts = [tr("pdf.file_check" if checking else "pdf.file_repair")]
    if not checking:
        parts.append(_slug(plist.contractor_name or "") or f"c{plist.contractor_id}")
    if plist.building:
        parts.append(_slug(plist.building))
    if plist.only is not None:
        parts.append(_slug(tr(f"pdf.file_{plist.only.name}")))
    parts.append(f"{clock.today(plist.timezone):%Y%m%d}")
    return "-".join(p for p in parts if p) + ".pdf"


def _slug(text: str, limit: int = 30) -> str:
    # Letters and digits of any script, nothing else: no slashes, dots, quotes or bidi marks.
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text))
    return "_".join(words)[:limit].strip("_")


def printout(plist: PrintList, tr: Tr, link: ItemLink | None = None) -> Printout:
    """Return the file name and the PDF of one printed list."""
    return file_name(plist, tr), render_pdf(plist, tr, link)


def contractor_pdf(
    session: Session,
    *,
    contractor_id: int,
    tr: Tr,
    building: str | None = None,
    link: ItemLink | None = None,
) -> Printout | None:
    """Return one contractor's printed list (file name, PDF), or None when it has nothing to do."""
    plist = contractor_print(session, contractor_id=contractor_id, building=building)
    return printout(plist, tr, link) if plist.total else None


def to_check_pdf(
    session: Session,
    *,
    project_id: int,
    tr: Tr,
    building: str | None = None,
    link: ItemLink | None = None,
) -> Printout | None:
    """Return the inspection team's printed to-check list, or None when nothing waits."""
    plist = to_check_print(session, project_id=project_id, building=building)
    return printout(plist, tr, link) if plist.total else None


def project_printables(
    session: Session, *, project_id: int, tr: Tr, link: ItemLink | None = None
) -> list[Printout]:
    """Return every printed list of a project: one per contractor with items, then to-check."""
    contractors = session.exec(
        select(Contractor.id)
        .where(Contractor.project_id == project_id)
        .where(
            col(Contractor.id).in_(
                select(Item.contractor_id).where(
                    Item.project_id == project_id,
                    col(Item.state).in_([ItemState.open, ItemState.rework]),
                )
            )
        )
        .order_by(Contractor.id)
    ).all()
    out = [contractor_pdf(session, contractor_id=c, tr=tr, link=link) for c in contractors]
    out.append(to_check_pdf(session, project_id=project_id, tr=tr, link=link))
    return [p for p in out if p is not None]


def my_list_pdfs(
    session: Session,
    *,
    user_id: int,
    tr: Tr,
    building: str | None = None,
    only: Only | None = None,
    link: ItemLink | None = None,
) -> list[tuple[PrintList, Printout]]:
    """Return this contractor's own printed lists; refuse when there is nothing to print."""
    found = my_print_lists(session, user_id=user_id, building=building, only=only)
    return _or_refuse([(p, printout(p, tr, link)) for p in found if p.total])


def to_check_pdfs(
    session: Session,
    *,
    user_id: int,
    tr: Tr,
    building: str | None = None,
    link: ItemLink | None = None,
) -> list[tuple[PrintList, Printout]]:
    """Return the printed to-check lists this person may walk; refuse when nothing waits."""
    lists = to_check_print_lists(session, user_id=user_id, building=building)
    return _or_refuse([(p, printout(p, tr, link)) for p in lists if p.total])


def _or_refuse(made: list[tuple[PrintList, Printout]]) -> list[tuple[PrintList, Printout]]:
    if not made:
        raise DomainError("nothing_to_print")
    return made


def list_day(plist: PrintList) -> date:
    """Return the day a printed list is for: its project's today."""
    return clock.today(plist.timezone)
