"""中文文本。"""

TEXTS: dict[str, str] = {
    # 拒绝原因（models.errors.DomainError 的 key）
    "error.not_registered": "抱歉，本机器人仅供项目团队使用。请向项目部索取邀请链接。",
    "error.not_allowed": "抱歉，您的角色不能进行此操作。",
    "error.account_taken": "该账号已属于团队中的另一位成员。",
    "error.not_your_item": "问题 #{item} 不在您的清单上。",
    "error.already_handled": "问题 #{item} 已经处理过了（{state}），未做任何更改。",
    "error.wrong_state": "问题 #{item} 当前为「{state}」，不能进行此操作。",
    "error.no_such_item": "没有编号为 #{item} 的问题。",
    "error.reason_required": "请填写原因。",
    "error.photo_required": "需要完工照片，请发送一张照片。",
    "error.no_such_contractor": "本项目没有这个施工单位。",
    "error.same_contractor": "该问题已经在这个施工单位名下。",
    "error.no_rule": "{building} 栋的这个类别还没有指定施工单位。",
    "error.no_such_project": "没有这个项目。",
    "error.no_such_unit": "本项目没有房号 {unit}。",
    "error.no_such_category": "没有类别 {category}。",
    "error.description_required": "请填写问题描述。",
    "error.bad_language": "请选择 zh 或 en。",
    "error.bad_role": (
        "未知角色：{role}。可选角色：项目部、录入人员、施工单位、验收组、领导、客服"
        "（英文也可：admin、clerk、contractor、inspector、manager、service），"
        "多个角色用逗号、顿号或空格隔开，施工单位名称写在最后。"
    ),
    "error.contractor_required": "邀请施工单位人员时需要写明施工单位名称。",
    "error.no_such_contractor_named": "没有名为 {name} 的施工单位。",
    "error.invite_unknown": "邀请码无效，请重新索取。",
    "error.invite_used": "邀请码已被使用，请重新索取。",
    "error.invite_expired": "邀请码已过期，请重新索取。",
    "error.project_exists": "已存在名为 {name} 的项目。",
    "error.bad_unit_code": "{unit} 不是有效房号（例如 3-1-1202）。",
    "error.not_demo_database": "该数据库保存的是真实数据，演示不会覆盖它。",
    "error.no_project_yet": "还没有项目，请先创建（python -m bot project 项目名）。",
    "error.which_project": "有多个项目，请指定其中一个：{names}。",
    "error.unknown_project": "没有名为 {name} 的项目。您的项目：{names}。",
    "error.sheet_no_too_long": "看房单号 {sheet}… 太长（最多 40 个字符）。",
    "error.location_too_long": "部位太长了（最多 {max} 个字）。",
    "error.description_too_long": "问题描述太长了：{length} 个字，最多 {max} 个字。请精简后重新发送。",
    "error.note_too_long": "这段文字太长了：{length} 个字，最多 {max} 个字。未做任何更改，请精简后重新发送。",
    "error.already_entered": "这个问题已经录入过了，编号 #{item}。",
    "error.internal": "抱歉，出了点问题，未做任何更改，请重试。",
    "error.not_an_image": "这个文件不是照片（JPEG、PNG、GIF、WebP 或 HEIC），没有保存。",
    "error.stale_button": "这个按钮已失效。",
    # 状态、操作、角色
    "state.open": "待维修",
    "state.repaired": "待验收",
    "state.rework": "返修",
    "state.disputed": "有争议",
    "state.closed": "已关闭",
    "state.cancelled": "已作废",
    "action.raise": "登记",
    "action.report_repaired": "完工报验",
    "action.dispute": "提出争议",
    "action.pass": "验收合格",
    "action.fail": "验收不合格",
    "action.reassign": "改派",
    "action.cancel": "作废",
    "action.reopen": "重新打开",
    "role.admin": "项目部",
    "role.clerk": "录入人员",
    "role.contractor": "施工单位",
    "role.inspector": "验收组",
    "role.manager": "领导",
    "role.service": "客服",
    # 命令
    "cmd.help": "我能为您做什么",
    "cmd.lang": "语言：中文 / English",
    "cmd.mylist": "我的待维修清单（返修在前，其余最早的在前；/mylist 3 只看 3 栋）",
    "cmd.tocheck": "待验收清单（/tocheck 3 只看 3 栋）",
    "cmd.invite": "邀请人员：/invite 角色 [施工单位]",
    # 按钮
    "btn.prev": "◀ 上一页",
    "btn.next": "下一页 ▶",
    "btn.back": "◀ 返回清单",
    "btn.repaired": "✅ 完工报验",
    "btn.not_ours": "✋ 不属于我们",
    "btn.pass": "✅ 验收合格",
    "btn.fail": "❌ 验收不合格",
    "btn.done": "✔ 完成",
    "btn.skip": "跳过照片",
    "btn.cancel": "✖ 取消",
    "btn.open_item": "打开 #{id}",
    "btn.my_list": "📋 我的清单",
    "btn.to_check": "📋 待验收清单",
    # 清单
    "list.line": "#{id} {unit} {location} · {category} · {description} · {age}天{flag}",
    "list.rework_flag": " 🔁返修×{n}",
    "list.overdue_flag": " ⚠逾期",
    "list.page": "第 {page}/{pages} 页",
    "mylist.empty": "{contractor}：没有待维修的问题，辛苦了！",
    "mylist.header": "<b>{contractor}</b>：待维修 {total} 项（返修 {rework} 项），{oldest:都是今天登记的|最久 1 天|最久 {oldest} 天}",
    "tocheck.empty": "目前没有待验收的问题。",
    "tocheck.header": "<b>待验收：{total} 项</b>（施工单位已报验）",
    "tocheck.building": "<b>{building} 栋</b>",
    "tocheck.floor": "  {floor} 层",
    "tocheck.entrance": " {entrance} 单元",
    "tocheck.empty_building": "{building} 栋目前没有待验收的问题。",
    "mylist.empty_building": "{contractor}：{building} 栋没有待维修的问题。",
    "list.building": "只显示 {building} 栋 · 全部楼栋请发 {command}",
    "error.bad_building": "“{text}”不是楼栋号。例如：/tocheck 3",
    "error.waiting_for_repair": "#{item} 正在等待施工单位维修（{state}），未做任何更改。",
    "tocheck.line": "#{id} {unit} {location} · {category} · {description}（{contractor}）",
    # 问题卡片
    "card.head": "<b>#{id}</b> {unit} · {location} · {category}",
    "card.state": "状态：{state} · 登记 {raised}（{age:今天|1 天|{age} 天}）· 限期 {due}\n施工单位：{contractor}",
    "card.rework": "🔁 已返修 {n} 次",
    "card.report": "完工说明：{note}（照片 {n} 张）",
    "card.report_no_photo": "完工说明：{note}",
    "card.history": "<b>处理记录</b>",
    "card.photos": "📷{n}",
    # 注册
    "help.head": "{name}，您的角色：{roles}\n可用命令：",
    "start.welcome": "欢迎，{name}！注册成功。",
    "start.welcome_unnamed": "欢迎！注册成功。",
    "lang.ask": "请选择语言：",
    "lang.set": "语言已设为中文。",
    "invite.usage": (
        "用法：/invite 角色 [施工单位名称]\n角色：项目部、录入人员、施工单位、验收组、领导、客服"
        "（英文也可：admin、clerk、contractor、inspector、manager、service），"
        "多个角色用逗号、顿号或空格隔开：/invite 客服,领导\n例如：/invite 施工单位 华建装饰"
    ),
    "invite.made_code": (
        "邀请对象：{roles}{contractor}（{project}）\n"
        "邀请码：<code>{code}</code>\n请对方在应用里发送：/start {code}\n仅可使用一次，{hours} 小时内有效。"
    ),
    "invite.made": (
        "邀请对象：{roles}{contractor}（{project}）\n"
        "邀请码：<code>{code}</code>\n请把此链接发给对方：{link}\n仅可使用一次，{hours} 小时内有效。"
    ),
    # 施工单位
    "repair.ask_photo": (
        "问题 {item}：请发送完工照片，并写明维修情况（照片说明也算），先后不限。发完请按「完成」。"
    ),
    "repair.photo_saved": (
        "问题 {item}：照片已保存（{n} 张）。请输入维修情况，或继续发照片，或按「完成」。"
    ),
    "repair.album_saved": "问题 {item}：照片已收到。可输入维修情况、继续发照片，或按「完成」提交报验。",
    "repair.note_saved": "问题 {item}：说明已记下。可继续发照片或文字，或按「完成」。",
    "repair.photo_noted": "问题 {item}：照片和说明已保存（{n} 张）。可继续发照片或文字，或按「完成」。",
    "repair.album_noted": "问题 {item}：照片和说明已收到。可继续发照片或文字，或按「完成」。",
    "repair.still_need_photo": "问题 {item}：说明已记下，请再发送一张完工照片。",
    "repair.done": "问题 {item} 已完工报验，等待验收组验收。您的清单还剩 {left} 项。",
    "dispute.ask_reason": "问题 {item}：为什么不属于你们？请输入原因。",
    "dispute.done": "问题 {item} 已标记为不属于你们，项目部会处理：改派其他单位，或说明原因退回给你们。",
    "report.dropped": "问题 {item} 的报告没有填完，已放弃，没有记录任何内容。",
    "report.cancelled": "问题 {item} 的报告已取消，未做任何更改。",
    "report.resumed": "仍在处理问题 {item}：已发送的内容都保留着，请继续。",
    "report.none_open": "当前没有正在填写的报告。请先打开一个问题，再按卡片上的按钮。",
    "common.cancelled": "已取消，未做任何更改。",
    # 验收
    "check.passed": "✅ 问题 #{id} 验收合格，已关闭。",
    "fail.ask_reason": "问题 {item}：不合格的原因是什么？请输入（也可以发带说明的照片）。",
    "fail.ask_photos": "问题 {item}：原因已记下。请发送问题照片，或按「完成」。",
    "fail.photo_saved": "问题 {item}：照片已保存（{n} 张）。可继续发送，或按「完成」。",
    "fail.still_need_reason": "问题 {item}：照片已保存（{n} 张）。请输入不合格的原因。",
    "fail.reason_required": "请先输入不合格的原因。",
    "fail.done": "❌ 问题 {item} 验收不合格，已退回施工单位返修。",
    # 通知
    "notify.rework": "🔁 返修：问题 #{id} 验收不合格：{reason}",
}
