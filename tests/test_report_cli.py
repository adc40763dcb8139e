"""`python -m bot report --out DIR`: the pictures and figures of each project, written offline."""

from __future__ import annotations

import io

import numpy as np
import pdfplumber
import pypdf
import pytest
from PIL import Image

from bot.cli import main
from models import project as setup
from models.charts import HEIGHT_PX, WIDTH_PX
from models.tables import Action
from tests.conftest import CONTRACTOR_A, INSPECTOR, move


@pytest.fixture
def cli_env(monkeypatch, db, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return tmp_path


def opened(path) -> None:
    image = Image.open(io.BytesIO(path.read_bytes()))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    assert np.asarray(image.convert("RGB")).std() > 20


def test_every_project_gets_its_pictures_and_figures(cli_env, db, world, capsys):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "已修")
    move(db, world.items["leak"], INSPECTOR.id, Action.fail, "仍渗水")
    with db.session() as s:
        setup.create_project(s, name="Hill/side 2 😀")
    assert main(["report", "--out", "out", "--lang", "en"]) == 0
    printed = capsys.readouterr().out.split()
    names = sorted(p.name for p in (cli_env / "out").iterdir())
    pictures = sorted(
        f"{kind}-{project}-2026-12-16.{ext}"
        for project in ("Riverside_1", "Hill_side_2")
        for kind, ext in (("report", "png"), ("rework", "png"), ("figures", "txt"))
    )
    # The printable lists of the contractors with items to repair (none to check: it failed).
    lists = [
        "Riverside_1-repair-list-华建装饰-20261216.pdf",
        "Riverside_1-repair-list-明达水电-20261216.pdf",
    ]
    assert names == sorted(pictures + lists)
    assert sorted(p.rsplit("/", 1)[-1] for p in printed) == names
    huajian = pypdf.PdfReader(cli_env / "out" / lists[0])
    text = "".join(page.extract_text() for page in huajian.pages)
    assert f"{world.items['leak']}" in text and "卫生间吊顶渗水" in text and "\x00" not in text
    with pdfplumber.open(cli_env / "out" / lists[0]) as pdf:
        assert "客厅墙面空鼓" in "".join(page.extract_text() for page in pdf.pages)
    for name in names:
        if name.endswith(".png"):
            opened(cli_env / "out" / name)
    figures = (cli_env / "out" / "figures-Riverside_1-2026-12-16.txt").read_text()
    assert "Riverside 1 · daily report 2026-12-16" in figures
    assert "Today: raised 0 · reported done 1 · passed 0 · failed 1 · closed 0" in figures
    assert "华建装饰: open 2, overdue 0; first-time pass 0%; closes in none closed yet" in figures
    assert "Leak · 华建装饰: failed 1, reopened 0" in figures
    assert "<b>" not in figures


def test_the_walk_is_named_once_by_its_project(cli_env, db, world, capsys):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "已修")
    assert main(["report", "--out", "out", "--lang", "zh"]) == 0
    walks = [p.name for p in (cli_env / "out").iterdir() if "待验收清单" in p.name]
    assert walks == ["Riverside_1-待验收清单-20261216.pdf"]


def test_one_project_on_another_day_in_chinese(cli_env, db, world, capsys):
    args = ["report", "--out", "out", "--project", "Riverside 1", "--date", "2026-12-10"]
    assert main([*args, "--lang", "zh"]) == 0
    assert len(capsys.readouterr().out.split()) == 3 + 2  # two pictures, figures, two lists
    figures = (cli_env / "out" / "figures-Riverside_1-2026-12-10.txt").read_text()
    assert "Riverside 1 · 2026-12-10 维修日报" in figures and "今日：新增 0" in figures
    assert "截至 2026-12-10 返修原因" in figures
    opened(cli_env / "out" / "report-Riverside_1-2026-12-10.png")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--project", "Nowhere"], "no project named 'Nowhere' (projects: Riverside 1)"),
        (["--date", "2026-13-01"], "--date '2026-13-01' is not a date: write it as YYYY-MM-DD"),
        (["--date", "yesterday"], "is not a date"),
    ],
)
def test_a_bad_project_or_date_is_one_line_and_exit_2(cli_env, world, capsys, args, said):
    assert main(["report", "--out", "out", *args]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and err.startswith("error:")
    assert not (cli_env / "out").exists()


def test_no_project_yet_is_said(cli_env, db, capsys):
    assert main(["report", "--out", "out"]) == 2
    assert "no project yet" in capsys.readouterr().err
