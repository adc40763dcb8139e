"""Texts for what no flow expects: /cancel with nothing going on, a stray photo or text."""

ZH: dict[str, str] = {
    "stray.cancel": "没有可取消的内容：现在没有正在填写的报告或录入。",
    "stray.cancel_item": "要作废一个问题，请写：/cancel 编号 原因，例如：/cancel 1042 重复登记",
    "stray.photo": "照片要属于某个问题：请先打开问题（{commands}），按相应按钮后再发照片。",
    "stray.photo_new": "录入新问题并附照片：/new",
    "stray.photo_none": "这里不收照片。发送 /help 查看您可以使用的命令。",
    "stray.text": "我只在命令之后、或我提问时读取文字。",
    "stray.text_commands": "可以带文字的命令：",
    "stray.text_item": "要给问题写说明，请先打开问题（{commands}），按相应按钮后再写。",
    "stray.help": "发送 /help 查看您可以使用的全部命令。",
    "stray.command": "没有 {command} 这个命令。发送 /help 查看您可以使用的命令。",
    # A photo right after opening a card: kept for that item until its report is begun.
    "kept.photo": "这张照片是问题 {item} 的吧？已留着，不用重发：按「{button}」开始填写它的报告。",
    "kept.note": "已记下，和照片一起留给问题 {item}。按「{button}」开始填写它的报告。",
}

EN: dict[str, str] = {
    "stray.cancel": "Nothing to cancel: no report or entry is in progress.",
    "stray.cancel_item": "To cancel an item, write /cancel ID reason, for example: /cancel 1042 duplicate",
    "stray.photo": "A photo belongs to an item: open the item first ({commands}), press its button, then send the photo.",
    "stray.photo_new": "To enter a new defect with its photos: /new",
    "stray.photo_none": "Photos are not taken here. Send /help to see what you can do.",
    "stray.text": "I read text only after a command, or when I ask for it.",
    "stray.text_commands": "Commands that take text:",
    "stray.text_item": "To write about an item, open it first ({commands}), press its button, then write.",
    "stray.help": "Send /help to see all you can do.",
    "stray.command": "There is no command {command}. Send /help to see what you can do.",
    "kept.photo": (
        "Is this photo for item {item}? It is kept, no need to send it again: press {button} "
        "to start its report with it."
    ),
    "kept.note": "Noted with the photo for item {item}. Press {button} to start its report.",
}
