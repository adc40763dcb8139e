"""`run`, `console` and `demo` take `--platform` from the one registry (bot/platforms.py).

Every registered platform is accepted and used (run refuses with that platform's own missing
setting; console and demo chat over that platform's offline stand-in); an unknown one is
refused with the names there are, exit code 2; and no module of the command line keeps a list
of platforms of its own.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapter import SetupError
from bot.cli import main
from bot.platforms import ADAPTERS, adapter, names
from demo import ADMIN_ID
from handlers.i18n import t
from models.settings import Settings
from tests.test_demo_follow_ups import clean_env
from tests.test_real_run import ROOT

pytestmark = pytest.mark.usefixtures("real_clock")  # consoles in other processes share the data

CLI = ROOT / "bot" / "cli"


def python_m_bot(folder: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS < stdin` in `folder`, with only its own database settings."""
    env = {
        **clean_env(folder),
        "DATABASE_URL": "sqlite:///data/cli.db",
        "MEDIA_DIR": "data/media",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", names())
def test_run_serves_the_platform_it_is_given(name, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no .env, and the default database would land here
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    with pytest.raises(SetupError) as missing:
        adapter(name).check(Settings(_env_file=None))

    assert main(["run", "--platform", name]) == 2
    # That platform's own refusal, in one line, before any database is made.
    assert capsys.readouterr().err == f"error: {missing.value}\n"
    assert list(tmp_path.iterdir()) == []


def answered_a_stranger(output: str) -> bool:
    """Tell whether the bot's answer to someone nobody registered is in a console's output."""
    return any(t(lang, "error.not_registered") in output for lang in ("zh", "en"))


@pytest.mark.parametrize("name", names())
def test_console_chats_on_the_platform_it_is_given(name, tmp_path) -> None:
    done = python_m_bot(tmp_path, "/help\n:quit\n", "console", "--platform", name, "--as", "0")
    assert done.returncode == 0, done.stderr
    assert answered_a_stranger(done.stdout), done.stdout


@pytest.mark.parametrize("name", names())
def test_demo_opens_its_console_on_the_platform_it_is_given(name, tmp_path) -> None:
    # Person 0 (a newcomer) where the console lists people first; a text where it does not.
    done = python_m_bot(tmp_path, "0\n/help\n:quit\n", "demo", "--items", "40", "--platform", name)
    assert done.returncode == 0, done.stderr
    assert "Demo ready" in done.stderr and answered_a_stranger(done.stdout), done.stdout


def test_the_demo_on_wecom_chats_as_its_people_there(tmp_path) -> None:
    done = python_m_bot(
        tmp_path, "1\n/mylist\n:quit\n", "demo", "--items", "40", "--platform", "wecom"
    )
    assert done.returncode == 0, done.stderr
    assert "/mylist" in done.stdout, done.stdout

    # The first person (the demo's admin) chatted on the offline WeCom: linked to an account.
    with sqlite3.connect(tmp_path / "data" / "cli.db") as con:
        (person,) = con.execute(
            "SELECT user_id FROM identity WHERE platform = 'telegram' AND account = ?",
            (str(ADMIN_ID),),
        ).fetchone()
        on_wecom = con.execute(
            "SELECT account FROM identity WHERE user_id = ? AND platform = 'wecom'", (person,)
        ).fetchall()
    assert on_wecom, done.stdout


@pytest.mark.parametrize("command", ["run", "console", "demo"])
def test_an_unknown_platform_is_refused_with_the_ones_there_are(command, capsys) -> None:
    with pytest.raises(SystemExit) as refused:
        main([command, "--platform", "dingtalk"])
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert "--platform" in said and "'dingtalk'" in said, said
    assert all(name in said for name in names()), said


def test_the_registry_is_the_only_list_of_platforms_in_the_command_line() -> None:
    words = sorted({p.value for p in ADAPTERS} | {p.split(".")[-1] for p in ADAPTERS.values()})
    named = re.compile(rf"\b({'|'.join(map(re.escape, words))})\b|\bPlatform\.\w", re.IGNORECASE)
    found = {}
    for module in sorted(CLI.glob("*.py")):
        if module.name == "fake_telegram.py":  # the Telegram stand-in's own command, by name
            continue
        text = module.read_text().replace("fake-telegram", "")
        hits = [line.strip() for line in text.splitlines() if named.search(line)]
        if hits:
            found[module.name] = hits
    assert found == {}
    assert len(list(CLI.glob("*.py"))) > 5  # the package is where this looks
