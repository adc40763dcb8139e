"""Texts of workbooks in chat: templates, export, a file being read."""

ZH: dict[str, str] = {
    "cmd.template": "空白的项目设置表和问题录入表（Excel）",
    "cmd.export": "导出全部问题及处理记录（Excel）",
    "files.reading": "正在读取 {filename}……",
    "files.not_a_workbook": "请发送 .xlsx 或 .csv 文件（项目设置表或问题录入表）。可用 /template 获取空白表格。",
    "files.too_big": "文件太大（最大 {mb} MB），请拆分后再发送。",
    "files.templates": "空白表格：项目设置表（房号、施工单位、分派规则）和问题录入表。填好后直接发给我即可。",
    "files.export": "全部问题及处理记录，截至 {when}。",
    "bot.not_understood": "没看懂这条消息。发送 /help 查看您可以使用的命令。",
}

EN: dict[str, str] = {
    "cmd.template": "blank set-up and items workbooks (Excel)",
    "cmd.export": "every item and its history as a workbook (Excel)",
    "files.reading": "Reading {filename}…",
    "files.not_a_workbook": "Please send an .xlsx or .csv file (a set-up workbook or an items list). /template gives blank ones.",
    "files.too_big": "The file is too big ({mb} MB at most); please split it.",
    "files.templates": "Blank workbooks: the project set-up (flats, contractors, rules) and the items list. Fill one in and send it to me.",
    "files.export": "Every item and its history, as of {when}.",
    "bot.not_understood": "I did not understand that. Send /help to see what you can do.",
}
