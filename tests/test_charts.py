"""The manager's pictures: real PNGs, opened and looked at, in the packaged font, both languages."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from PIL import Image

from handlers.i18n import t
from models import charts
from models.charts import BAND_COLOURS, HEIGHT_PX, WIDTH_PX, daily_chart, fit, rework_chart
from models.fonts import FAMILY, cjk_font, glyphs
from models.report import (
    AGE_BANDS,
    SERIES_DAYS,
    ContractorAgeing,
    DailyReport,
    DayCount,
    ReworkCause,
    ReworkReport,
    TodayFigures,
)

DAY = date(2026, 12, 16)
HOSTILE = (
    "😀🏗️" * 100,  # nothing the font can draw
    "\u202eשלום مرحبا" * 20,  # a bidi override and right-to-left scripts
    "X" * 200,
    "中建三局第一建设工程有限责任公司第一分公司",
    "中建三局第一建设工程有限责任公司第二分公司",
    "line\nbreak\tand\x00nul",
)


class Recorder:
    """The reader's language, remembering which texts the picture asked for."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.asked: dict[str, dict[str, Any]] = {}

    def __call__(self, key: str, **params: Any) -> str:
        self.asked[key] = params
        return t(self.lang, key, **params)


def ageing(i: int, name: str, bands: tuple[int, ...], overdue: int = 0) -> ContractorAgeing:
    return ContractorAgeing(i, name, bands, overdue, 0.75, 4.0)


def daily(contractors: list[ContractorAgeing], series: bool = True) -> DailyReport:
    contractors = sorted(contractors, key=lambda c: -c.open)
    days = [DAY - timedelta(days=SERIES_DAYS - 1 - i) for i in range(SERIES_DAYS)]
    counts = tuple(DayCount(d, i % 7, (i * 3) % 5, 40 + i) for i, d in enumerate(days))
    open_ = sum(c.open for c in contractors)
    overdue = sum(c.overdue for c in contractors)
    figures = TodayFigures(6, 4, 3, 1, 3, open_, overdue)
    return DailyReport(
        1, "滨江壹号 Riverside", DAY, figures, tuple(contractors), counts if series else ()
    )


def some_contractors(n: int, names: tuple[str, ...] = ("华建装饰", "明达水电")) -> list:
    return [
        ageing(
            i + 1,
            names[i % len(names)] + (f" {i}" if i >= len(names) else ""),
            (i % 4 + 1, 2, i % 3, 1, (i * 7) % 5),
            overdue=i % 3,
        )
        for i in range(n)
    ]


@pytest.fixture
def font_complaints(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Return what matplotlib has said so far about a font or a glyph it could not find."""
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def heard() -> list[str]:
            said = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
            return said + [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()]

        yield heard


def picture(png: bytes) -> np.ndarray:
    """Open a PNG as Telegram would show it; check its size and that something is drawn."""
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 20, "the picture is blank"
    return pixels


def has_colour(pixels: np.ndarray, colour: str, at_least: int = 200) -> bool:
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return int((pixels == rgb).all(axis=2).sum()) >= at_least


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_daily_picture_shows_every_age_band_in_the_packaged_font(lang, font_complaints):
    report = daily(some_contractors(5))
    tr = Recorder(lang)
    pixels = picture(daily_chart(report, tr))
    top = pixels[: HEIGHT_PX * 3 // 5]
    assert all(has_colour(top, colour) for colour in BAND_COLOURS)
    assert tr.asked["chart.open_head"] == {"open": report.today.open, "overdue": 4}
    assert "chart.overdue_mark" in tr.asked and "chart.more" not in tr.asked
    assert tr.asked["chart.series_head"] == {"n": SERIES_DAYS}
    assert font_complaints() == []


def test_chinese_is_drawn_with_the_packaged_font_not_a_fallback(font_complaints):
    from matplotlib import font_manager

    picture(daily_chart(daily(some_contractors(3)), Recorder("zh")))
    found = font_manager.findfont(
        font_manager.FontProperties(family=FAMILY), fallback_to_default=False
    )
    assert found == str(cjk_font())
    # A font without Chinese would have drawn boxes and said "Glyph ... missing" for each.
    assert font_complaints() == []
    assert all(ord(c) in glyphs() for c in t("zh", "chart.daily_title", project="滨江", day=DAY))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_forty_contractors_with_hostile_names_still_make_one_readable_picture(
    lang, font_complaints
):
    report = daily(some_contractors(40, HOSTILE))
    tr = Recorder(lang)
    picture(daily_chart(report, tr))
    hidden = sorted(report.contractors, key=lambda c: (-c.open, c.name))[charts.TOP :]
    assert tr.asked["chart.more"] == {"k": 40 - charts.TOP, "n": sum(c.open for c in hidden)}
    assert font_complaints() == []  # emoji and Arabic never reach the renderer


def test_a_name_is_cut_to_its_start_and_end_on_one_line_of_drawable_characters():
    assert fit("华建装饰", 24) == "华建装饰"
    assert fit("江苏华禹防水工程有限公司", 20) == "江苏华禹防水工程"  # the legal form goes first
    assert fit("江苏华禹防水工程有限公司", 24) == "江苏华禹防水工程有限公司"  # only when too long
    assert fit("X" * 200, 24) == "X" * 11 + "…" + "X" * 11
    first, second = (fit(name, 24) for name in HOSTILE[3:5])
    assert first != second and first.endswith("第一分公司")
    assert fit("😀🏗️" * 100, 24) == charts.MISSING
    hostile = fit(HOSTILE[1] + " 华建", 24)
    assert "\u202e" not in hostile and hostile.endswith("华建")
    assert fit("line\nbreak\tand\x00nul", 40) == "line break andnul"
    for name in HOSTILE:
        assert sum(charts._width(c) for c in fit(name, 24)) <= 24


def test_names_that_show_nothing_or_the_same_are_told_apart_by_their_id():
    names = ["😀" * 5, HOSTILE[3], HOSTILE[3].replace("第一建设", "第二建设"), "明达水电"]
    labels = charts._labels(names, [7, 8, 9, 10], 24)
    assert labels[0] == "#7" and labels[3] == "明达水电"
    assert labels[1] != labels[2] and labels[1].endswith("#8")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_open_is_a_calm_picture_not_a_crash(lang, font_complaints):
    tr = Recorder(lang)
    zero = ageing(1, "华建装饰", (0,) * len(AGE_BANDS))
    pixels = picture(daily_chart(daily([zero]), tr))
    assert "chart.nothing_open" in tr.asked
    assert not any(has_colour(pixels, colour, at_least=1) for colour in BAND_COLOURS)
    picture(daily_chart(daily([], series=False), tr))  # a project with no items at all
    assert "chart.no_data" in tr.asked
    assert font_complaints() == []


def causes(n_keys: int, contractors: tuple[str, ...]) -> tuple[ReworkCause, ...]:
    return tuple(
        ReworkCause(j + 1, name, f"k{i}", f"类别{i}", f"Category {i}", 3 + i + j, (i * j) % 4)
        for i in range(n_keys)
        for j, name in enumerate(contractors)
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_rework_picture_shows_failed_and_reopened_by_category_and_building(
    lang, font_complaints
):
    report = ReworkReport(
        1,
        "滨江壹号",
        DAY,
        causes(6, ("华建装饰", HOSTILE[0], HOSTILE[2])),
        causes(2, ("明达水电",)),
    )
    tr = Recorder(lang)
    pixels = picture(rework_chart(report, tr))
    half = HEIGHT_PX // 2
    for panel in (pixels[:half], pixels[half:]):
        assert has_colour(panel, charts.FAILED) and has_colour(panel, charts.REOPENED)
    assert tr.asked["chart.more_causes"]["k"] == 6 * 3 - charts.TOP_CAUSES
    assert "chart.no_rework" not in tr.asked
    assert font_complaints() == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_rework_at_all_says_so(lang, font_complaints):
    tr = Recorder(lang)
    pixels = picture(rework_chart(ReworkReport(1, "滨江壹号", DAY), tr))
    assert "chart.no_rework" in tr.asked
    assert not has_colour(pixels, charts.FAILED, at_least=1)
    assert font_complaints() == []


def ink_at_the_edges(pixels: np.ndarray, frame: int = 3) -> list[str]:
    """Return the edges of a picture with anything drawn on them: text cut off by the edge."""
    edges = {
        "top": pixels[:frame],
        "bottom": pixels[-frame:],
        "left": pixels[:, :frame],
        "right": pixels[:, -frame:],
    }
    return [name for name, strip in edges.items() if int(strip.min()) < 200]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_text_of_the_pictures_fits_inside_them(lang):
    # A site's real names and counts from tens to tens of thousands, and the longest names a
    # list holds: a head, legend or label cut off by the edge leaves ink on it (matplotlib cuts
    # without a word); a manager would not read it.
    for n in (54, 405, 3000, 12345):
        real = [ageing(i + 1, "南京佳美精装工程有限公司", (n,) * 5, n) for i in range(8)]
        long = [ageing(i + 1, HOSTILE[3 + i % 2], (n,) * 5, n) for i in range(8)]
        for contractors in (real, long):
            shown = picture(daily_chart(daily(contractors), Recorder(lang)))
            assert ink_at_the_edges(shown) == [], (n, contractors[0].name)
    rework = ReworkReport(1, HOSTILE[3] * 3, DAY, causes(6, HOSTILE[3:5]), causes(6, HOSTILE[3:5]))
    assert ink_at_the_edges(picture(rework_chart(rework, Recorder(lang)))) == []
