"""The console over the offline WeCom: any card still live can be pressed, numbered as WeCom
numbers a screen's buttons; images the app sends are saved."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.wecom.console import run_wecom_console
from bot.wecom.offline import OfflineWeCom
from bot.wecom.serve import build_wecom
from tests import test_wecom_chat
from tests.conftest import CONTRACTOR_A, MANAGER
from tests.test_console import replies
from tests.test_wecom_cards import more_items

wecom_settings = test_wecom_chat.wecom_settings


async def console(wecom_settings, db, script: str, persona: int, files: Path) -> str:
    """Run the WeCom console over a script; return its transcript."""
    offline = OfflineWeCom()
    server = build_wecom(wecom_settings, db, client=offline.client(), rhythm_timer=False)
    out = io.StringIO()
    try:
        code = await run_wecom_console(
            server,
            offline,
            db,
            stdin=io.StringIO(script),
            stdout=out,
            persona=persona,
            files_dir=files,
        )
    finally:
        await server.api.aclose()
    assert code == 0
    offline.assert_clean()
    return out.getvalue()


async def test_cards_still_live_can_be_pressed_numbered_on(
    wecom_settings, db, world, today, tmp_path
):
    extra = more_items(db, world, today, 8)
    script = "/mylist\n7\n:press 1.2\n:press 1.8\n"
    steps = dict(replies(await console(wecom_settings, db, script, CONTRACTOR_A.id, tmp_path)))
    listed = "\n".join(steps["/mylist"])
    # Two cards of one screen, their buttons numbered on as the cards number them: ⌨1.
    assert re.search(r"\[7\] #\d+", listed) and listed.count("⌨1") == 1, listed
    pressed = "\n".join(steps["7"])
    assert re.search(r"leak \d", pressed), "button 7, on the second card, opened its item"
    opened = "\n".join(steps[":press 1.2"])
    assert "客厅墙面空鼓" in opened, "the first card, still live, pressed after the second"
    assert steps[":press 1.8"] == ["键盘 ⌨1 已不在屏幕上（已被替换或已按过）。"]
    assert len(extra) == 8


async def test_images_the_app_sends_are_saved(wecom_settings, db, world, tmp_path):
    out = await console(wecom_settings, db, "/report\n", MANAGER.id, tmp_path)
    (saved,) = re.findall(r"^  已保存：(.+)$", out, flags=re.MULTILINE)
    assert Path(saved).read_bytes().startswith(b"\x89PNG")
