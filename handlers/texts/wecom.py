"""Texts only WeCom shows: a pressed card, photos not all shown, the one-time upload page."""

ZH: dict[str, str] = {
    "cmd.upload": "发送工作簿（Excel/CSV）：获取一次性上传链接",
    "wecom.pressed": "已选择",
    "wecom.choose": "请选择",
    "wecom.more_choices": "请选择（{part}/{parts}）",
    "wecom.photos_some": "共 {total} 张照片，此处显示最近 {shown} 张。",
    "wecom.upload_link": (
        "企业微信应用不能接收文件。请在企业微信中打开此链接上传工作簿：30 分钟内有效，可上传一个文件；"
        "企业微信会确认是您本人，转发给别人也打不开。\n{link}"
    ),
    "wecom.upload_title": "上传工作簿",
    "wecom.upload_button": "上传",
    "wecom.upload_done": "已收到文件，结果将在企业微信中发给您。",
    "wecom.upload_gone": "此上传链接无效或已过期，请在企业微信中发送 /upload 获取新链接。",
    "wecom.upload_empty": "没有收到文件，请选择一个文件再上传。",
    "wecom.upload_too_big": "文件太大（最多 {limit} MB）。",
    "wecom.upload_busy": "正在通过此链接上传一个文件，请在企业微信中等待结果。",
    "wecom.upload_bad": "上传不完整或格式不对，没有收到文件。请重新选择文件上传。",
    "wecom.upload_bad_name": "文件名含有不能用在文件名里的字符（或太长），没有收到文件。请改名后重新上传。",
    "wecom.upload_not_yours": "此链接是发给另一位成员的。请在企业微信中给应用发送 /upload，获取您自己的链接。",
    "wecom.upload_open_in_wecom": "请在企业微信中打开此链接（企业微信会确认是您本人）。",
    "wecom.upload_wecom_down": "暂时无法连接企业微信确认您的身份，请稍后重新打开此链接。",
    "wecom.upload_no_sign_in": "企业微信拒绝确认身份：应用的可信域名不是本服务器的地址。请联系管理员在企业微信管理后台设置。",
}

EN: dict[str, str] = {
    "cmd.upload": "Send a workbook (Excel/CSV): get a one-time upload link",
    "wecom.pressed": "Chosen",
    "wecom.choose": "Choose",
    "wecom.more_choices": "Choose ({part}/{parts})",
    "wecom.photos_some": "{total} photos; the latest {shown} are shown here.",
    "wecom.upload_link": (
        "A WeCom app cannot receive files. Open this link in WeCom to upload the workbook: it "
        "works for 30 minutes and takes one file; WeCom confirms it is you, so it opens for no "
        "one you forward it to.\n{link}"
    ),
    "wecom.upload_title": "Upload a workbook",
    "wecom.upload_button": "Upload",
    "wecom.upload_done": "File received; the result will be sent to you in WeCom.",
    "wecom.upload_gone": "This upload link is not valid or has expired: send /upload in WeCom for a new one.",
    "wecom.upload_empty": "No file arrived: choose a file, then upload.",
    "wecom.upload_too_big": "The file is too big (at most {limit} MB).",
    "wecom.upload_busy": "A file is being uploaded through this link: wait for the answer in WeCom.",
    "wecom.upload_bad": "The upload was incomplete or malformed, and no file arrived. Choose the file and upload it again.",
    "wecom.upload_bad_name": "The file's name has characters a file name cannot have (or is too long), and no file arrived. Rename it and upload it again.",
    "wecom.upload_not_yours": "This link was sent to another member. Send /upload to the app in WeCom for a link of your own.",
    "wecom.upload_open_in_wecom": "Open this link in WeCom (WeCom confirms it is you).",
    "wecom.upload_wecom_down": "WeCom could not be reached to confirm who you are: open this link again in a moment.",
    "wecom.upload_no_sign_in": "WeCom refused to confirm who you are: the app's trusted domain is not this server's address. Ask the administrator to set it in the WeCom admin console.",
}
