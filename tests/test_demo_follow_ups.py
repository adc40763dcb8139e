"""The README's follow-up commands after `make demo`, on the demo database it built.

`make demo` builds data/demo.db (the Makefile's DEMO_ENV); `invite`, `console < session.txt`,
`console --platform wecom` and `report --out` take `--demo` to work on it. A command that needs
data refuses a database that is not there, and leaves none behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.common import DEMO_DATABASE_URL, DEMO_MEDIA_DIR
from tests.test_real_run import ROOT

pytestmark = pytest.mark.usefixtures("real_clock")  # consoles in other processes share the data


def demo_env() -> dict[str, str]:
    """Return the Makefile's DEMO_ENV: the settings `make demo` builds the demo with."""
    makefile = (ROOT / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if x.startswith("DEMO_ENV"))
    return dict(pair.split("=", 1) for pair in line.split(":=", 1)[1].split())


def clean_env(home: Path) -> dict[str, str]:
    """Return an environment with none of our settings: only what --demo says."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }


def console(folder: Path, session: str, *args: str) -> str:
    """Replay a session file through `python -m bot console ARGS < session.txt`."""
    (folder / "session.txt").write_text(session)
    with (folder / "session.txt").open() as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "console", *args],
            cwd=folder,
            env=clean_env(folder),
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_means_what_the_makefile_builds() -> None:
    env = demo_env()
    assert env["DATABASE_URL"] == DEMO_DATABASE_URL
    assert env["MEDIA_DIR"] == DEMO_MEDIA_DIR


def test_the_readme_follow_ups_work_on_the_demo(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in demo_env().items():  # `make demo-db`
        monkeypatch.setenv(name, value)
    assert main(["demo", "--no-console", "--items", "60"]) == 0
    for name in demo_env():
        monkeypatch.delenv(name)
    capsys.readouterr()

    assert main(["invite", "inspector", "--demo"]) == 0
    code = re.search(r"/start (\S+)", capsys.readouterr().out)[1]
    joined = console(tmp_path, f"/start {code}\n/tocheck\n:quit\n", "--demo", "--as", "0")
    assert "注册成功" in joined and "待验收" in joined, joined

    assert main(["invite", "inspector", "--demo"]) == 0
    code = re.search(r"/start (\S+)", capsys.readouterr().out)[1]
    session = f"/start {code}\n/tocheck\n:quit\n"
    on_wecom = console(tmp_path, session, "--demo", "--platform", "wecom", "--as", "0")
    assert "注册成功" in on_wecom and "待验收" in on_wecom, on_wecom

    assert main(["report", "--out", "out", "--demo"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert any(name.startswith("report-") and name.endswith(".png") for name in written)
    assert any(name.endswith(".pdf") for name in written)
    # Nothing was made beside the demo: no data/handover.db of the default settings.
    databases = [p.name for p in (tmp_path / "data").iterdir() if p.suffix == ".db"]
    assert databases == ["demo.db"]


def test_invite_with_no_database_refuses_and_leaves_none(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["invite", "admin"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "python -m bot project" in said[0], said
    assert list(tmp_path.iterdir()) == [], "no data folder, no empty database"


def test_a_demo_command_before_the_demo_says_how_to_build_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--out", str(tmp_path / "out"), "--demo"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    # Not "add --demo": it was given; the demo's database is built by `make demo-db`.
    assert len(said) == 1 and "make demo-db" in said[0] and "add --demo" not in said[0], said
    assert list(tmp_path.iterdir()) == []
