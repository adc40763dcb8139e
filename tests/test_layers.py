"""Jobs, the neutral renderers, the ported flows and models/ load no chat platform."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import models

NEUTRAL = (
    "jobs.rhythm, jobs.morning, jobs.overdue, jobs.report, jobs.sender, jobs.notices"
    ", handlers.render, handlers.choices, handlers.text, handlers.report_text"
    ", handlers.overdue_text, handlers.printable_text, handlers.screens, handlers.core"
)
# The flows on the neutral core (handlers/flows.py ROUTED) checked so far; every module under
# handlers/ once the last flow is ported.
PORTED = "handlers.service, handlers.report, handlers.overdue, handlers.printable"


def loaded(modules: str) -> list[str]:
    """Return the telegram and bot modules a fresh interpreter loads with these imports."""
    code = (
        f"import json, sys, {modules}; "
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('telegram', 'bot'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def test_jobs_and_renderers_import_no_telegram_and_nothing_from_bot():
    assert loaded(NEUTRAL) == []


def test_the_ported_flows_import_no_telegram_and_nothing_from_bot():
    assert loaded(PORTED) == []


def test_no_module_of_models_imports_telegram():
    names = sorted(
        f"models.{m.name}"
        for m in pkgutil.iter_modules([str(Path(models.__file__).parent)])
        if m.name != "migrations"
    )
    assert len(names) > 20
    assert loaded(", ".join(names)) == []


def test_every_flow_and_model_imports_no_telegram_and_the_adapter_does():
    # All of handlers/ and models/ together load no telegram; the check can fail: the adapter does.
    names = sorted(
        f"{p.parent.name}.{p.stem}"
        for folder in ("handlers", "models")
        for p in Path(folder).glob("*.py")
        if p.stem != "__init__"
    )
    code = f"import sys, {', '.join(names)}; print('telegram' in sys.modules)"
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip() == "False"
    code = "import sys, bot.telegram.chat; print('telegram' in sys.modules)"
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip() == "True"


def test_the_admin_and_push_flows_import_no_telegram():
    modules = "handlers.admin, handlers.pushes, handlers.drafts, handlers.menu"
    code = (
        f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('telegram')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
