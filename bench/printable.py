"""Time the printable lists on the demo data: `python -m bench.printable [--out DIR]`.

Builds the demo (3,000 items) in a temporary SQLite file, then times the one capped query of a
list, the PDF of the busiest contractor, the to-check PDF, every PDF of the project (what the
morning push attaches), and a full list at the cap (2,000 rows, the demo's own lines repeated).
Each PDF is timed twice: as printed for WeCom (no links) and for Telegram (a QR code of the
bot's deep link on every row, the code cache emptied before each run). With --out, the PDFs
(for Telegram) and a PNG of each first page are written there.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import select

from demo import build_demo
from handlers.i18n import t
from models.db import Database
from models.print_lists import PRINT_CAP, PrintList, contractor_print, to_check_print
from models.printable import file_name, project_printables, qr_png, render_pdf
from models.tables import Contractor


def zh(key: str, **params: Any) -> str:
    """Return a Chinese text of the catalog (what a site office prints)."""
    return t("zh", key, **params)


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    """Return the median and the worst of `reps` runs in seconds, and the last result."""
    samples, result = [], None
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples), result


def telegram_link(item_id: int) -> str:
    """Return the deep link a Telegram bot prints in a row's QR code."""
    return f"https://t.me/handover_bot?start=item_{item_id}"


def with_qr(plist: PrintList) -> bytes:
    """Draw a list as printed for Telegram, no QR code made before."""
    qr_png.cache_clear()
    return render_pdf(plist, zh, telegram_link)


def busiest(db: Database, project_id: int) -> PrintList:
    """Return the printed list of the contractor with the most items to repair."""
    with db.session() as s:
        ids = s.exec(select(Contractor.id).where(Contractor.project_id == project_id)).all()
        lists = [contractor_print(s, contractor_id=c) for c in ids]
    return max(lists, key=lambda p: p.total)


def at_cap(plist: PrintList) -> PrintList:
    """Return a list of PRINT_CAP rows: the contractor's own lines, repeated, in walking order."""
    lines = (plist.lines * (PRINT_CAP // max(1, len(plist.lines)) + 1))[:PRINT_CAP]
    walk = sorted(lines, key=lambda x: (len(x.building), x.building, x.entrance, x.floor))
    return dataclasses.replace(plist, lines=tuple(walk), total=len(lines) + 500)


def first_page_png(data: bytes, path: Path) -> None:
    """Write the first page of a PDF as a PNG (pypdfium2 comes with pdfplumber)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        document[0].render(scale=2).to_pil().save(path)
    finally:
        document.close()


def main() -> None:
    """Build the demo, time the printable lists, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write the PDFs and first-page PNGs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        db = Database(f"sqlite:///{Path(root) / 'bench.db'}")
        db.migrate()
        summary = build_demo(db, items=args.items)
        contractor = busiest(db, summary.project_id)
        rows = []

        def query() -> PrintList:
            with db.session() as s:
                return contractor_print(s, contractor_id=contractor.contractor_id)

        def check_query() -> PrintList:
            with db.session() as s:
                return to_check_print(s, project_id=summary.project_id)

        def everything() -> list[tuple[str, bytes]]:
            with db.session() as s:
                return project_printables(s, project_id=summary.project_id, tr=zh)

        def everything_qr() -> list[tuple[str, bytes]]:
            qr_png.cache_clear()
            with db.session() as s:
                return project_printables(
                    s, project_id=summary.project_id, tr=zh, link=telegram_link
                )

        checking = check_query()
        full = at_cap(contractor)
        runs = (
            (f"contractor list query ({contractor.total} rows)", query, args.reps),
            (f"to-check list query ({checking.total} rows)", check_query, args.reps),
            (f"contractor PDF ({contractor.total} rows)", lambda: render_pdf(contractor, zh), 3),
            (f"to-check PDF ({checking.total} rows)", lambda: render_pdf(checking, zh), 3),
            (f"PDF at the cap ({PRINT_CAP:,} rows)", lambda: render_pdf(full, zh), 1),
            ("every PDF of the project", everything, 1),
            (f"contractor PDF, QR ({contractor.total} rows)", lambda: with_qr(contractor), 3),
            (f"to-check PDF, QR ({checking.total} rows)", lambda: with_qr(checking), 3),
            (f"PDF at the cap, QR ({PRINT_CAP:,} rows)", lambda: with_qr(full), 1),
            ("every PDF of the project, QR", everything_qr, 1),
        )
        results: dict[str, Any] = {}
        for name, fn, reps in runs:
            median, worst, results[name] = timed(fn, reps)
            rows.append((name, reps, median, worst))
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"Demo: {summary.items:,} items, {summary.contractors} contractors; load {load}\n")
        print("| printable | n | median s | max s |\n|---|---:|---:|---:|")
        for name, reps, median, worst in rows:
            print(f"| {name} | {reps} | {median:.3f} | {worst:.3f} |")
        for key in ("every PDF of the project", "every PDF of the project, QR"):
            made = results[key]
            print(f"\n{key}: {len(made)} files, {sum(len(d) for _, d in made):,} bytes")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            capped = (f"cap-{file_name(full, zh)}", results[runs[8][0]])
            for name, data in [*made, capped]:
                (args.out / name).write_bytes(data)
                first_page_png(data, (args.out / name).with_suffix(".png"))
            print(f"Written to {args.out}")
        db.dispose()


if __name__ == "__main__":
    main()
