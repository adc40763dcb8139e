"""Every layering rule: bot -> jobs -> handlers -> models, adapters apart, chat libraries."""

from __future__ import annotations

import ast
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import models
from models.tables import Platform

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


# Every layering rule, read from the source with `ast` (imports at module level and inside
# functions alike), so an import that runs back up is named even where no test loads it.
ROOT = Path(__file__).resolve().parent.parent
# One way down: a layer imports only layers below it.
LAYERS = ("models", "handlers", "jobs", "bot")
# The chat platforms' libraries: only inside bot/ (and telegram only inside bot/telegram/).
CHAT_LIBRARIES = ("telegram", "aiohttp", "httpx")
# The demo builder fills a database: of our own code it needs models/ alone.
DEMO = "demo"
SKIPPED = {".venv", ".git", "tests", "docs", "build", "dist", "__pycache__"}


def module_of(path: Path, root: Path) -> str:
    """Return the dotted name of a source file (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """Return (line, module) of every import in a file, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_of(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            # `from bot import telegram` imports bot.telegram: name each imported name too.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def sources(root: Path) -> list[Path]:
    """Return every .py file of the product (tests and tooling apart)."""
    return sorted(
        p
        for p in root.rglob("*.py")
        if not SKIPPED & set(p.relative_to(root).parts[:-1]) and p.parent != root
    )


def adapters(root: Path) -> set[str]:
    """Return the platform packages under bot/: named as a Platform, or exporting ADAPTER."""
    platforms = {p.value for p in Platform}
    found = set()
    for init in (root / "bot").glob("*/__init__.py"):
        text = init.read_text(encoding="utf-8")
        if init.parent.name in platforms or re.search(r"\bADAPTER\b", text):
            found.add(init.parent.name)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def broken_rules(root: Path) -> list[str]:
    """Return every import that breaks a layering rule, as "file:line imports module (why)"."""
    platforms = adapters(root)
    broken = []
    for path in sources(root):
        here = module_of(path, root)
        top = here.split(".")[0]
        mine = here.split(".")[1] if top == "bot" and here.count(".") >= 1 else None
        mine = mine if mine in platforms and (root / "bot" / mine).is_dir() else None
        for line, name in imports_of(path, root):
            why = _why(top, mine, name, platforms)
            if why:
                broken.append(f"{path.relative_to(root)}:{line} imports {name} ({why})")
    return broken


def _why(top: str, adapter: str | None, name: str, platforms: set[str]) -> str | None:
    """Say which rule an import from a module of this top package (and adapter) breaks."""
    first = name.split(".")[0]
    if top in LAYERS and first in LAYERS and LAYERS.index(first) > LAYERS.index(top):
        return f"{top}/ is below {first}/"
    if top == DEMO and first in LAYERS and first != "models":
        return "the demo builder imports models/ only"
    if first in CHAT_LIBRARIES and top != "bot":
        return f"{first} only inside bot/"
    if first == "telegram" and adapter != "telegram":
        return "telegram only inside bot/telegram/"
    for other in platforms - {adapter}:
        if adapter is not None and _under(name, f"bot.{other}"):
            return f"the {adapter} adapter imports the {other} adapter"
    return None


def test_no_import_breaks_a_layering_rule():
    platforms = adapters(ROOT)
    assert {"telegram", "wecom"} <= platforms
    assert len(sources(ROOT)) > 100
    assert broken_rules(ROOT) == []


FORGED = {
    "models/fine.py": "from models import clock\n",
    "models/up.py": "def f():\n    from handlers import core\n",
    "handlers/up.py": "import jobs.rhythm\n",
    "jobs/up.py": "from bot.telegram import chat\n",
    "jobs/lib.py": "import httpx\n",
    "handlers/tg.py": "from telegram import Bot\n",
    "bot/cli.py": "from telegram.ext import Application\n",
    "bot/telegram/__init__.py": "",
    "bot/telegram/chat.py": "from telegram import Bot\nfrom ..wecom import api\n",
    "bot/wecom/__init__.py": "",
    "bot/wecom/chat.py": "import aiohttp\nfrom bot.telegram.common import x\n",
    "bot/dingtalk/__init__.py": "ADAPTER = object()\n",
    "bot/dingtalk/chat.py": "from bot import wecom\nfrom bot.adapter import Adapter\n",
    "demo/build.py": "from models import repair\nfrom handlers.texts import zh\n",
}


def test_the_layering_check_names_each_offending_file_and_import(tmp_path):
    for name, text in FORGED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert adapters(tmp_path) == {"telegram", "wecom", "dingtalk"}
    assert broken_rules(tmp_path) == [
        "bot/cli.py:1 imports telegram.ext.Application (telegram only inside bot/telegram/)",
        "bot/dingtalk/chat.py:1 imports bot.wecom (the dingtalk adapter imports the wecom adapter)",
        "bot/telegram/chat.py:2 imports bot.wecom.api (the telegram adapter imports the wecom"
        " adapter)",
        "bot/wecom/chat.py:2 imports bot.telegram.common.x (the wecom adapter imports the"
        " telegram adapter)",
        "demo/build.py:2 imports handlers.texts.zh (the demo builder imports models/ only)",
        "handlers/tg.py:1 imports telegram.Bot (telegram only inside bot/)",
        "handlers/up.py:1 imports jobs.rhythm (handlers/ is below jobs/)",
        "jobs/lib.py:1 imports httpx (httpx only inside bot/)",
        "jobs/up.py:1 imports bot.telegram.chat (jobs/ is below bot/)",
        "models/up.py:2 imports handlers.core (models/ is below handlers/)",
    ]
