"""Jobs and the neutral renderers load no chat platform: WeCom can deliver the same notices."""

from __future__ import annotations

import subprocess
import sys


def test_jobs_and_renderers_import_no_telegram():
    modules = "jobs.rhythm, jobs.morning, jobs.overdue, jobs.report, jobs.sender, jobs.notices"
    modules += ", handlers.render, handlers.choices, handlers.text, handlers.report_text"
    modules += ", handlers.overdue_text, handlers.printable_text"
    code = (
        f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('telegram')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_telegram_flows_do_load_it():
    # The check above can fail: importing a Telegram flow does bring telegram in.
    code = "import sys, handlers.flows; print('telegram' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "True"


def test_the_admin_and_push_flows_import_no_telegram():
    modules = "handlers.admin, handlers.pushes, handlers.drafts, handlers.menu"
    code = (
        f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('telegram')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
