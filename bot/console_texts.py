"""The console's own words (its chrome), in Chinese and English; what the bot says comes from
the handlers' catalogs."""

from __future__ import annotations

BANNER = (
    "交付维修机器人 · 终端对话（离线）。输入 :help 查看命令，:quit 退出。",
    "Handover repair bot · terminal chat (offline). Type :help for commands, :quit to leave.",
)
UI: dict[str, dict[str, str]] = {
    "zh": {
        "personas": "可扮演的用户：",
        "choose": "请选择用户编号 [0-{n}]> ",
        "no_people": (
            "数据库里还没有在册用户：可载入演示数据，或以 0 号新用户身份发送"
            " /start 邀请码（邀请码由 python -m bot invite 生成）。"
        ),
        "stranger": "新用户",
        "unregistered": "未登记",
        "saved": "  已保存：{path}",
        "unwritable": "无法保存 {path}：{error}",
        "no_persona": "没有 Telegram id 为 {id} 的在册用户。",
        "now_as": "现在的身份：{name}（{roles}）。",
        "bad_number": "没有编号 {arg}，请输入 0–{n}。",
        "not_number": "{arg} 不是编号。",
        "no_keyboard": "本对话里没有带按钮的消息。",
        "no_such_keyboard": "没有键盘 ⌨{k}。",
        "keyboard_gone": "键盘 ⌨{k} 已不在屏幕上（已被替换或已按过）。",
        "keyboard_elsewhere": "键盘 ⌨{k} 是发给 {name} 的：请先用 :as 切换到该用户。",
        "no_button": "没有按钮 {arg}，请输入 1–{n}。",
        "link_button": "按钮 {arg} 是链接，终端里无法打开。",
        "pressed": "» 按下 {label}",
        "no_file": "找不到文件：{path}",
        "unreadable": "无法读取 {path}：{error}",
        "usage": "用法：{usage}",
        "unknown": "未知命令 {command}，输入 :help 查看可用命令。",
        "failed": "处理出错（{error}），已跳过，可继续输入。",
        "no_reply": "（机器人没有回复）",
        "to": "→ 发给 {name}：",
        "sep": "、",
        "help": (
            "以冒号开头的是终端命令，其余内容都作为消息发给机器人"
            "（如 /help、/mylist、/tocheck）：\n"
            "  :as N                 换成第 N 个用户（也可写 Telegram id；0 是未登记的新用户）\n"
            "  :who                  列出可扮演的用户\n"
            "  :photo 路径 [说明]    把图片文件作为照片发送\n"
            "  :file 路径 [说明]     把文件作为文档发送\n"
            "  :press N 或直接输入 N 按下最近一组按钮的第 N 个\n"
            "  :press K.N 或 K.N     按下标着 ⌨K 的那组按钮的第 N 个（仍在屏幕上的都可以）\n"
            "  :say 文字             原样发送文字（例如一个数字）\n"
            "  :help                 显示本帮助\n"
            "  :quit                 退出（也可按 Ctrl-D）"
        ),
    },
    "en": {
        "personas": "People you can chat as:",
        "choose": "Pick a person [0-{n}]> ",
        "no_people": (
            "No registered users in the database yet: load the demo, or be the newcomer (0) and"
            " send /start CODE with a code from python -m bot invite."
        ),
        "stranger": "Newcomer",
        "unregistered": "not registered",
        "saved": "  saved: {path}",
        "unwritable": "Cannot save {path}: {error}",
        "no_persona": "No registered user has Telegram id {id}.",
        "now_as": "Now chatting as {name} ({roles}).",
        "bad_number": "There is no number {arg}: choose 0–{n}.",
        "not_number": "{arg} is not a number.",
        "no_keyboard": "No message with buttons in this chat.",
        "no_such_keyboard": "There is no keyboard ⌨{k}.",
        "keyboard_gone": "Keyboard ⌨{k} is no longer on screen (replaced, or pressed already).",
        "keyboard_elsewhere": "Keyboard ⌨{k} was sent to {name}: switch to them with :as first.",
        "no_button": "There is no button {arg}: choose 1–{n}.",
        "link_button": "Button {arg} is a link; it cannot be opened here.",
        "pressed": "» pressed {label}",
        "no_file": "No such file: {path}",
        "unreadable": "Cannot read {path}: {error}",
        "usage": "Usage: {usage}",
        "unknown": "Unknown command {command}; type :help for the list.",
        "failed": "The bot failed ({error}); skipped, carry on.",
        "no_reply": "(no reply from the bot)",
        "to": "→ to {name}: ",
        "sep": ", ",
        "help": (
            "Lines starting with a colon are console commands; anything else is sent to the bot "
            "(e.g. /help, /mylist, /tocheck):\n"
            "  :as N                 chat as person N (or a Telegram id; 0 is a newcomer)\n"
            "  :who                  list the people\n"
            "  :photo PATH [caption] send an image file as a photo\n"
            "  :file PATH [caption]  send a file as a document\n"
            "  :press N, or just N   press button N of the latest buttons\n"
            "  :press K.N, or K.N    press button N of the buttons marked ⌨K, if still on screen\n"
            "  :say TEXT             send TEXT as it is (e.g. a number)\n"
            "  :help                 show this help\n"
            "  :quit                 leave (or Ctrl-D)"
        ),
    },
}
USAGE = {
    "as": ":as N",
    "press": ":press N | :press K.N",
    "photo": ":photo PATH [caption]",
    "file": ":file PATH [caption]",
    "say": ":say TEXT",
}
