"""Texts only WeCom shows: a pressed card, photos not all shown, the one-time upload page."""

ZH: dict[str, str] = {
    "cmd.upload": "发送工作簿（Excel/CSV）：获取一次性上传链接",
    "wecom.pressed": "已选择",
    "wecom.choose": "请选择",
    "wecom.more_choices": "请选择（{part}/{parts}）",
    "wecom.photos_some": "共 {total} 张照片，此处显示最近 {shown} 张。",
    "wecom.upload_link": (
        "企业微信应用不能接收文件。请在 30 分钟内用此链接上传工作簿（仅限一次，仅限您本人）：\n{link}"
    ),
    "wecom.upload_title": "上传工作簿",
    "wecom.upload_button": "上传",
    "wecom.upload_done": "已收到文件，结果将在企业微信中发给您。",
    "wecom.upload_gone": "此上传链接无效或已过期，请在企业微信中发送 /upload 获取新链接。",
    "wecom.upload_empty": "没有收到文件，请选择一个文件再上传。",
    "wecom.upload_too_big": "文件太大（最多 {limit} MB）。",
}

EN: dict[str, str] = {
    "cmd.upload": "Send a workbook (Excel/CSV): get a one-time upload link",
    "wecom.pressed": "Chosen",
    "wecom.choose": "Choose",
    "wecom.more_choices": "Choose ({part}/{parts})",
    "wecom.photos_some": "{total} photos; the latest {shown} are shown here.",
    "wecom.upload_link": (
        "A WeCom app cannot receive files. Upload the workbook with this link within 30 minutes "
        "(once, and only for you):\n{link}"
    ),
    "wecom.upload_title": "Upload a workbook",
    "wecom.upload_button": "Upload",
    "wecom.upload_done": "File received; the result will be sent to you in WeCom.",
    "wecom.upload_gone": "This upload link is not valid or has expired: send /upload in WeCom for a new one.",
    "wecom.upload_empty": "No file arrived: choose a file, then upload.",
    "wecom.upload_too_big": "The file is too big (at most {limit} MB).",
}
