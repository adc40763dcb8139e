"""The bad-file set, sent in chat for every file the bot reads: each refused with a clear
answer, nothing changed (no row, no stored photo), nothing Telegram would refuse.

Workbooks (set-up and items, .xlsx and .csv) and photos (a photo, or an image sent as a file).
The readers' own limits are tested in test_file_limits.py (a bomb in detail, a file too big
before it is fetched) and test_sheets.py (each problem named); here is the whole set through
the real application, one table.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import ADMIN, CONTRACTOR_A, PNG, OfflineUser, texts
from tests.probes import changed, rows
from tests.test_file_limits import GOOD_ROW, blank_rows, hand_made, items_rows
from tests.test_files_chat import CSV, XLSX
from tests.test_sheets import ITEM_HEADERS_ZH, setup_book, xlsx

MB = 1024 * 1024


def _formulas() -> bytes:
    """An items workbook whose every cell is a formula (never calculated: no cached value)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "问题"
    sheet.append(ITEM_HEADERS_ZH)
    sheet.append(["=A1", '=HYPERLINK("http://x.invalid","渗漏")', "=1+1", "=CMD|' /C calc'!A0"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_of(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, data)
    return out.getvalue()


def _good() -> bytes:
    return xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]})


CSV_TEXT = "\n".join(",".join(r) for r in (ITEM_HEADERS_ZH[:6], GOOD_ROW[:6]))


@dataclass(frozen=True)
class Bad:
    """A bad file: how it is sent (a document, or a photo in a report) and what is answered."""

    make: Callable[[], bytes]  # made when the test runs, not when the module is collected
    name: str = "items.xlsx"
    mime: str | None = XLSX
    says: str = "Nothing was imported"  # in the (English) answer
    photo: bool = False  # sent as a photo message, not a file


BAD = {
    # Workbooks.
    "corrupt xlsx": Bad(lambda: b"PK\x03\x04" + bytes(range(256)) * 40),
    "xlsx cut in half": Bad(lambda: _good()[: len(_good()) // 2]),
    "set-up workbook cut off": Bad(lambda: setup_book("en")[:-200], "setup.xlsx"),
    "zip bomb": Bad(lambda: hand_made(items_rows(ITEM_HEADERS_ZH) + blank_rows(600_000), "A1:H2")),
    "a zip of something else": Bad(lambda: _zip_of("evil.sh", b"rm -rf /" * 1000)),
    "huge": Bad(lambda: b"x" * (21 * MB), "huge.xlsx", says="too big"),
    "formulas": Bad(lambda: _formulas()),
    "a PNG named .xlsx": Bad(lambda: PNG(1)),
    "an .exe named .xlsx": Bad(lambda: b"MZ\x90\x00" + b"\x00" * 500),
    "an old .xls": Bad(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500,
        "items.xls",
        None,
        "send an .xlsx or .csv",
    ),
    "a PDF named .csv": Bad(lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "items.csv", CSV),
    "empty CSV": Bad(lambda: b"", "items.csv", CSV),
    "UTF-16 CSV": Bad(lambda: CSV_TEXT.encode("utf-16"), "items.csv", CSV),
    "Shift-JIS CSV": Bad(
        lambda: CSV_TEXT.replace("卫生间", "浴室").encode("shift_jis", errors="replace"),
        "items.csv",
        CSV,
    ),
    "CSV of NULs": Bad(lambda: b"\x00" * 4096, "items.csv", CSV),
    "an unknown type": Bad(
        lambda: b"hello", "notes.txt", "text/plain", says="send an .xlsx or .csv"
    ),
    # Photos, in a report waiting for them.
    "junk as a photo": Bad(
        lambda: bytes(range(256)) * 8, "p.jpg", "image/jpeg", "not a photo", True
    ),
    "HTML sent as an image": Bad(
        lambda: b"<html><script>alert(1)</script>", "x.html", "image/png", "not a photo"
    ),
    "an .exe named photo.jpg": Bad(
        lambda: b"MZ\x90\x00" * 100, "photo.jpg", "image/jpeg", "not a photo"
    ),
    "an empty image": Bad(lambda: b"", "empty.png", "image/png", "not a photo"),
}


def _stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_a_bad_file_is_refused_clearly_and_changes_nothing(
    bot, world, db, settings, bad, caplog
):
    caplog.set_level(logging.ERROR)
    who: OfflineUser = CONTRACTOR_A if bad.says == "not a photo" else ADMIN
    chat = bot.chat(who)
    if who is CONTRACTOR_A:  # a report that waits for its photos
        await chat.send("/mylist")
        await chat.press(f"it:{world.items['leak']}")
        await chat.press(f"rp:{world.items['leak']}")
    before, media = rows(db), _stored(settings.media_dir)
    if bad.photo:
        answer = texts(await chat.send_photo(bad.make()))
    else:
        answer = texts(await chat.send_document(bad.make(), bad.name, bad.mime))
    assert bad.says in answer, answer
    assert "went wrong" not in answer
    assert changed(before, rows(db)) == {}
    assert _stored(settings.media_dir) == media
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_set_covers_every_reader():
    kinds = {Path(b.name).suffix for b in BAD.values()}
    assert {".xlsx", ".csv", ".xls", ".jpg", ".png"} <= kinds
    assert sum(b.says == "not a photo" for b in BAD.values()) >= 4
    assert len(BAD) >= 20
