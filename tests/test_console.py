"""The terminal console: scripted sessions on the small project, read back as transcripts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import handlers.contractor
from bot.console import list_personas
from bot.telegram.console import run_console
from models import people
from models.tables import AppUser, Item, ItemState, Role
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    PNG,
    SERVICE,
    tg,
    tg_user,
)

# Numbers in the persona list: admin first, then contractors by firm, inspector, service.
N_ADMIN, N_WANG, N_ZHAO, N_LI, N_SUN = "1", "2", "3", "4", "5"
PROMPT = re.compile(r"^(?P<who>[^\s()]+ \([^()]*\)|请选择用户编号 \[0-\d+\])> (?P<line>.*)$")


async def session(bot, db, script: str, **kwargs) -> tuple[int, str]:
    """Run the console over a script; return its exit code and transcript."""
    out = io.StringIO()
    code = await run_console(
        bot.app, bot.transport, db, stdin=io.StringIO(script), stdout=out, **kwargs
    )
    return code, out.getvalue()


def replies(transcript: str) -> list[tuple[str, list[str]]]:
    """Split a transcript into (input line, lines printed after it), one pair per prompt."""
    steps: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        if match := PROMPT.match(line):
            steps.append((match["line"], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def png(tmp_path: Path, name: str = "fix.png") -> Path:
    """Write a small PNG file."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PNG(7))
    return path


async def test_repair_and_fail_loop(bot, world, db, tmp_path):
    leak, wall = world.items["leak"], world.items["wall"]
    photo = png(tmp_path)
    script = f"""
# the contractor repairs the leak
{N_WANG}
/mylist
1
1
:photo {photo} resealed the pipe
1

# the inspector fails it
:as {N_LI}
/tocheck
1
2
still drips after rain
:press 1
:as {N_WANG}
/mylist
"""
    code, out = await session(bot, db, script)
    assert code == 0
    assert out.splitlines()[0].startswith("交付维修机器人")
    assert "Handover repair bot" in out.splitlines()[1]
    assert "Wang · 施工单位 · 华建装饰  [id 2001]" in out
    steps = dict(replies(out))
    assert f"  [1] #{leak} 3-1-1202   [2] #{wall} 3-1-502" in steps["/mylist"]
    assert "Wang (施工单位)> /mylist" in out, "input lines are echoed after the prompt"
    assert "# the" not in out and "（机器人没有回复）" not in out, "comments are skipped"
    assert "  [1] ✅ 完工报验\n  [2] ✋ 不属于我们\n  [3] ◀ 返回清单" in out, "numbered across rows"
    assert f"问题 #{leak} · 3-1-1202 · kitchen 已完工报验" in out
    assert "Li (验收组)> /tocheck" in out
    assert "[photo]" in out, "the contractor's photo comes with the inspector's card"
    assert "» 按下 ❌ 验收不合格" in out
    assert f"→ 发给 Wang：🔁 返修：问题 #{leak} 验收不合格：still drips after rain" in out
    assert "返修×1" in steps_after_last(out, "/mylist")
    with db.session() as s:
        item = s.get(Item, leak)
        assert item.state is ItemState.rework and item.rework_count == 1


def steps_after_last(transcript: str, line: str) -> str:
    """The output of the last step whose input was `line`."""
    return "\n".join([lines for typed, lines in replies(transcript) if typed == line][-1])


async def test_file_document_then_pass_shows_the_edit(bot, world, db, tmp_path):
    wall = world.items["wall"]
    picture = png(tmp_path / "my photos", "after fix.png")
    with db.session() as s:
        people.set_language(s, user_id=tg(s, CONTRACTOR_A.id), language="en")
    script = f"""
/mylist
2
1
:file "{picture}" patched and painted
1
:as {INSPECTOR.id}
/tocheck
1
1
"""
    code, out = await session(bot, db, script, persona=CONTRACTOR_A.id)
    assert code == 0
    done = f"Item #{wall} · 3-1-502 · kitchen reported done; it now awaits acceptance. 1 left"
    assert done in out, "Wang chose English"
    assert "» 按下 ✅ 验收合格" in out
    assert f"(edited) ✅ 问题 #{wall} 验收合格，已关闭。" in out
    with db.session() as s:
        assert s.get(Item, wall).state is ItemState.closed


async def test_bad_inputs_get_one_line_and_the_console_goes_on(bot, world, db):
    script = """
:press 1
/mylist
:press 99
:press two
:photo /no/such/file.png
:photo
:bogus
:as 42
7
hello
/mylist
"""
    code, out = await session(bot, db, script, persona=CONTRACTOR_A.id)
    assert code == 0
    steps = replies(out)
    one_liners = {typed: lines for typed, lines in steps if typed != "/mylist"}
    assert one_liners == {
        ":press 1": ["本对话里没有带按钮的消息。"],
        ":press 99": ["没有按钮 99，请输入 1–3。"],
        ":press two": ["two 不是编号。"],
        ":photo /no/such/file.png": ["找不到文件：/no/such/file.png"],
        ":photo": ["用法：:photo PATH [caption]"],
        ":bogus": ["未知命令 :bogus，输入 :help 查看可用命令。"],
        ":as 42": ["没有编号 42，请输入 0–6。"],
        "7": ["没有按钮 7，请输入 1–3。"],
        "hello": [
            "我只在命令之后、或我提问时读取文字。",
            "可以带文字的命令：",
            "/item — 打开一个问题：完整记录和可做的操作（/item 编号，或只发编号）",
            "要给问题写说明，请先打开问题（/mylist），按相应按钮后再写。",
            "发送 /help 查看您可以使用的全部命令。",
        ],
    }
    assert [typed for typed, _ in steps][-1] == "/mylist", "still going after the errors"
    assert "待维修 2 项" in steps_after_last(out, "/mylist")


async def test_a_crashing_handler_is_one_line(bot, world, db, monkeypatch):
    def boom(**_: object) -> None:
        raise RuntimeError("database on fire\nsecond line")

    monkeypatch.setattr(handlers.contractor, "contractor_list", boom)
    code, out = await session(bot, db, f"{N_WANG}\n/mylist\n:as {N_LI}\n/tocheck\n")
    assert code == 0
    lines = dict(replies(out))["/mylist"]
    # The core answers a failed input itself (and logs it): the console just shows the answer.
    assert lines == ["抱歉，出了点问题，未做任何更改，请重试。"]
    assert "Traceback" not in out
    assert "目前没有待验收的问题。" in steps_after_last(out, "/tocheck")


async def test_refusals_are_the_bots_answer_not_errors(bot, world, db):
    code, out = await session(bot, db, "/tocheck\n", persona=SERVICE.id)
    assert code == 0
    assert dict(replies(out))["/tocheck"] == ["抱歉，您的角色不能进行此操作。"]


async def test_help_who_and_quit(bot, world, db):
    script = f":help\n:who\n:as {N_ZHAO}\n:help\n:who\n:quit\n/mylist\n"
    code, out = await session(bot, db, script)
    assert code == 0
    steps = replies(out)
    typed = [line for line, _ in steps]
    assert typed == [":help", ":who", f":as {N_ZHAO}", ":help", ":who", ":quit"]
    assert any(":photo 路径" in line for line in steps[0][1]), "help works before choosing"
    assert "   1. Chen · 项目部  [id 1001]" in steps[1][1]
    assert steps[2][1] == ["现在的身份：Zhao（施工单位）。"]
    assert steps[3][1] == steps[0][1]
    assert "*  3. Zhao · 施工单位 · 明达水电  [id 2002]" in steps[4][1], "marks who you are"
    assert steps[5][1] == [], "nothing is read after :quit"


async def test_end_of_input_and_start_up_failures(bot, world, db):
    assert (await session(bot, db, ""))[0] == 0, "EOF at the persona choice"
    code, out = await session(bot, db, f"x\n9\n:as\n:nope\n:as {N_LI}\n")
    assert code == 0
    assert "x 不是编号。" in out and "没有编号 9，请输入 0–6。" in out
    assert "用法：:as N" in out and "未知命令 :nope" in out
    assert "现在的身份：Li（验收组）。" in out
    code, out = await session(bot, db, "/help\n", persona=424242)
    assert code == 2 and "没有 Telegram id 为 424242 的在册用户。" in out


async def test_empty_database_offers_the_newcomer(bot, db):
    code, out = await session(bot, db, "1\n0\n/help\n")
    assert code == 0 and "还没有在册用户" in out and "没有编号 1，请输入 0–0。" in out
    assert "现在的身份：新用户（未登记）。" in out
    assert "新用户 (未登记)> /help" in out


def test_personas_list_roles_and_firms(world, db):
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(INSPECTOR.id),
            name="Li",
            roles=[Role.clerk],
        )
        gone = people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(7),
            name="Gone",
            roles=[Role.manager],
        )
        s.get(AppUser, gone.id).active = False
    with db.session() as s:
        listed = [(p.telegram_id, p.roles, p.contractors) for p in list_personas(session=s)]
    assert listed == [
        (ADMIN.id, (Role.admin,), ()),
        (INSPECTOR.id, (Role.clerk, Role.inspector), ()),
        (CONTRACTOR_A.id, (Role.contractor,), ("华建装饰",)),
        (CONTRACTOR_B.id, (Role.contractor,), ("明达水电",)),
        (MANAGER.id, (Role.manager,), ()),
        (SERVICE.id, (Role.service,), ()),
    ]


async def test_a_newcomer_joins_with_an_invite(bot, world, db):
    with db.session() as s:
        code = people.create_invite(s, project_id=world.project_id, roles=[Role.inspector]).code
    script = f"/mylist\n/start {code}\n/tocheck\n:who\n:as 0\n:who\n"
    code_, out = await session(bot, db, f"0\n{script}")
    assert code_ == 0
    assert "  0. 新用户 · 未登记" in out and "现在的身份：新用户（未登记）。" in out
    steps = replies(out)
    assert steps[1][0] == "/mylist" and steps[1][1], "the bot answers a stranger"
    assert "欢迎，新用户！注册成功。" in "\n".join(steps[2][1])
    assert "新用户 (验收组)> /tocheck" in out, "the prompt follows the new role at once"
    listed = "\n".join(steps[4][1])
    assert "*  7. 新用户 · 验收组  [id 900000001]" in listed, "now a person, numbered last"
    assert "   5. Zhou · 领导  [id 1201]" in listed, "everyone else keeps their number"
    assert "*  0. 新用户 · 未登记" in "\n".join(steps[-1][1]), "a fresh newcomer"
    with db.session() as s:
        joined = tg_user(s, 900_000_001)
        assert joined.name == "新用户"


async def test_documents_the_bot_sends_are_saved_and_their_paths_printed(bot, world, db, tmp_path):
    folder = tmp_path / "console files"
    out = io.StringIO()
    script = io.StringIO("/export\n/export\n/template\n")
    code = await run_console(
        bot.app, bot.transport, db, stdin=script, stdout=out, persona=ADMIN.id, files_dir=folder
    )
    assert code == 0
    sent = [m for m in bot.transport.outbox if m.kind == "document"]
    saved = re.findall(r"^  已保存：(.+)$", out.getvalue(), flags=re.MULTILINE)
    assert len(sent) == len(saved) == 4
    for message, path in zip(sent, saved, strict=True):
        assert Path(path).parent == folder and Path(path).read_bytes() == message.file_bytes
    first, second = Path(saved[0]).name, Path(saved[1]).name
    assert first == sent[0].filename and second == first.replace(".xlsx", "-2.xlsx")
    assert [Path(p).name for p in saved[2:]] == ["setup-项目设置.xlsx", "items-问题录入.xlsx"]


async def test_any_buttons_still_on_screen_can_be_pressed(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    # ⌨1: the list; ⌨2: the first item's card; then 1.2 presses the list's second item.
    script = "/mylist\n1\n:press 1.2\n/lang\n1\n:press 4.2\n:press 9.1\n:as 4\n:press 1.1\n"
    code, out = await session(bot, db, script, persona=CONTRACTOR_A.id)
    assert code == 0
    steps = dict(replies(out))
    assert f"  [1] #{leak} 3-1-1202   [2] #{wall} 3-1-502" in steps["/mylist"]
    assert "  [3] 🖨 打印版 PDF   ⌨1" in steps["/mylist"], "the keyboard's mark, on its last row"
    assert any("客厅墙面空鼓" in line for line in steps[":press 1.2"]), "the older list's button"
    assert steps[":press 4.2"] == ["键盘 ⌨4 已不在屏幕上（已被替换或已按过）。"]
    assert steps[":press 9.1"] == ["没有键盘 ⌨9。"]
    assert steps[":press 1.1"] == ["键盘 ⌨1 是发给 Wang 的：请先用 :as 切换到该用户。"]


async def test_photos_the_bot_sends_are_saved_too(bot, world, db, tmp_path):
    out = io.StringIO()
    code = await run_console(
        bot.app,
        bot.transport,
        db,
        stdin=io.StringIO("/report\n"),
        stdout=out,
        persona=MANAGER.id,
        files_dir=tmp_path,
    )
    assert code == 0
    (photo,) = [m for m in bot.transport.outbox if m.kind == "photo"]
    (saved,) = re.findall(r"^  已保存：(.+)$", out.getvalue(), flags=re.MULTILINE)
    assert Path(saved).read_bytes() == photo.file_bytes and saved.endswith(".png")
