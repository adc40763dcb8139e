"""Texts of overdue items: the marks on lists and cards, the digest, a contractor's warning."""

ZH: dict[str, str] = {
    "cmd.overdue": "逾期问题：按施工单位汇总",
    # marks on list lines, staff lines and cards
    "overdue.flag": " ⚠逾期{days}天",
    "overdue.staff_flag": " · ⚠逾期 {days} 天",
    "overdue.card": "⚠ 已逾期 {days} 天",
    "overdue.mylist_head": "⚠ 其中 {n} 项已逾期",
    # an item reported repaired waits for the acceptance team: its delay, not the contractor's
    "overdue.waiting_flag": " ⏳待验{days}天",
    "overdue.waiting_staff_flag": " · ⏳待验 {days} 天",
    "overdue.waiting_card": "⏳ 待验 {days} 天（等待验收）",
    # a contractor's morning list
    "overdue.mine_one": "⚠ 您有 1 项已逾期：#{id} 已逾期 {days} 天，请尽快处理。",
    "overdue.mine": "⚠ 您有 {n} 项已逾期，最早的 #{id} 已逾期 {days} 天，请尽快处理。",
    # the digest for admins and managers
    "overdue.head": "<b>逾期问题 · {project}</b>（{day}）",
    "overdue.none": "<b>{project}</b>：{day} 没有逾期的问题。",
    "overdue.total": "共 {total} 项逾期，涉及 {firms} 家施工单位：",
    "overdue.firm": "<b>{name}</b>：{n} 项，最久逾期 {days} 天",
    "overdue.item": "#{id} {unit}（{days}天）",
    "overdue.firm_more": "等 {n} 项",
    "overdue.more": "…另有 {firms} 家施工单位共 {n} 项逾期未列出",
    "overdue.tail": "查看某项：/item 编号",
}

EN: dict[str, str] = {
    "cmd.overdue": "overdue items by contractor",
    "overdue.flag": " ⚠overdue {days}d",
    "overdue.staff_flag": " · ⚠overdue {days:1 day|{days} days}",
    "overdue.card": "⚠ Overdue by {days:1 day|{days} days}",
    "overdue.mylist_head": "⚠ Overdue: {n} of them",
    "overdue.waiting_flag": " ⏳awaiting acceptance {days}d",
    "overdue.waiting_staff_flag": " · ⏳awaiting acceptance {days}d",
    "overdue.waiting_card": "⏳ Awaiting acceptance: {days}d",
    "overdue.mine_one": "⚠ You have 1 overdue item: #{id} is {days:1 day|{days} days} overdue. Please see to it.",
    "overdue.mine": (
        "⚠ You have {n} overdue items; the oldest, #{id}, is {days:1 day|{days} days} overdue. "
        "Please see to them."
    ),
    "overdue.head": "<b>Overdue items · {project}</b> ({day})",
    "overdue.none": "<b>{project}</b>: nothing is overdue on {day}.",
    "overdue.total": "Overdue items: {total} · contractors: {firms}",
    "overdue.firm": "<b>{name}</b>: {n}, the oldest {days:1 day|{days} days} overdue",
    "overdue.item": "#{id} {unit} ({days}d)",
    "overdue.firm_more": "+{n} more",
    "overdue.more": "…+{firms:1 more contractor|{firms} more contractors} with {n:1 overdue item|{n} overdue items}",
    "overdue.tail": "To open one: /item ID",
}
