"""Texts of taking a mistake back: restoring a cancelled item, undoing a Pass or Fail, correcting."""

ZH: dict[str, str] = {
    # commands
    "cmd.restore": "恢复误作废的问题：/restore 编号 原因",
    "cmd.correct": "更正问题的描述、部位或类别：/correct 编号",
    # the history and the export
    "action.restore": "恢复",
    "action.undo_pass": "撤回验收合格",
    "action.undo_fail": "撤回验收不合格",
    "action.correct": "更正",
    "field.description": "问题描述",
    "field.location": "部位",
    "field.category": "类别",
    "history.change": "{field}：{old} → {new}",
    # refusals
    "error.nothing_to_undo": "问题 #{item} 没有可撤回的操作（{state}），未做任何更改。",
    "error.undo_not_yours": "只有按下验收结果的本人可以撤回问题 #{item} 的结果。",
    "error.undo_too_late": "问题 #{item} 的验收结果只能在 {minutes} 分钟内撤回，现已超时，未做任何更改。",
    "error.undo_moved_on": "问题 #{item} 之后已有新的处理（{state}），验收结果不能再撤回。",
    "error.correct_cancelled": "问题 #{item} 已作废：请先恢复（/restore {item} 原因），再更正。",
    "error.nothing_changed": "问题 #{item} 本来就是这样，未做任何更改。",
    # undoing a Pass or Fail
    "btn.undo_pass": "↩ 撤回合格",
    "btn.undo_fail": "↩ 撤回不合格",
    "undo.hint": "按错了？{minutes} 分钟内可以撤回。",
    "undo.pass_done": "↩ 已撤回问题 #{id} 的验收合格，重新待验收。施工单位会收到通知。",
    "undo.fail_done": "↩ 已撤回问题 #{id} 的验收不合格，重新待验收，无需返修。施工单位会收到通知。",
    "notify.pass_undone": "↩ 撤回：验收组撤回了问题 #{id} 的验收合格，重新待验收。你们无需操作。",
    "notify.fail_undone": "↩ 撤回：验收组撤回了问题 #{id} 的验收不合格，无需返修，重新待验收。",
    # restoring a cancelled item
    "btn.restore": "♻ 恢复",
    "restore.usage": "用法：/restore 编号 原因，例如：/restore 1042 误作废",
    "restore.ask_reason": "恢复问题 #{id}（{unit} · {location}）：回到作废前的状态（{state}）。请输入恢复原因：",
    "restore.done": "♻ 问题 #{id} 已恢复：{state}，施工单位 {contractor}。原因：{reason}",
    "restore.told": "已通知 {contractor}。",
    "notify.restored": "♻ 恢复：问题 #{id} 之前被误作废，现已恢复，仍由你们维修。原因：{reason}",
    # correcting an item
    "btn.correct": "✏ 更正",
    "correct.usage": "用法：/correct 编号，例如：/correct 1042",
    "correct.what": "更正问题 #{id}（{unit} · {location}）的哪一项？",
    "correct.ask_description": "现在的描述：{old}\n请输入新的问题描述：",
    "correct.ask_location": "现在的部位：{old}\n请输入新的部位：",
    "correct.ask_category": "现在的类别：{old}\n请选择新的类别（施工单位不变）：",
    "correct.done": "✏ 问题 #{id} 已更正。{change}",
    "correct.by_rule": "施工单位仍为 {contractor}；按分派规则，此类别由 {rule} 维修。如需改派，请按下方按钮。",
}

EN: dict[str, str] = {
    # commands
    "cmd.restore": "restore an item cancelled by mistake: /restore ID reason",
    "cmd.correct": "correct an item's description, location or category: /correct ID",
    # the history and the export
    "action.restore": "Restored",
    "action.undo_pass": "Pass undone",
    "action.undo_fail": "Fail undone",
    "action.correct": "Corrected",
    "field.description": "Description",
    "field.location": "Location",
    "field.category": "Category",
    "history.change": "{field}: {old} → {new}",
    # refusals
    "error.nothing_to_undo": "Item #{item} has nothing to undo ({state}). Nothing was changed.",
    "error.undo_not_yours": "Only the person who passed or failed item #{item} may undo it.",
    "error.undo_too_late": "Too late: a pass or fail can be undone within {minutes} minutes, and item #{item}'s was longer ago. Nothing was changed.",
    "error.undo_moved_on": "Item #{item} has moved on since ({state}): its pass or fail can no longer be undone.",
    "error.correct_cancelled": "Item #{item} is cancelled: restore it first (/restore {item} reason), then correct it.",
    "error.nothing_changed": "Item #{item} says that already. Nothing was changed.",
    # undoing a Pass or Fail
    "btn.undo_pass": "↩ Undo pass",
    "btn.undo_fail": "↩ Undo fail",
    "undo.hint": "Pressed by mistake? You can undo it within {minutes} minutes.",
    "undo.pass_done": "↩ Pass of item #{id} undone: it is awaiting acceptance again. The contractor is told.",
    "undo.fail_done": "↩ Fail of item #{id} undone: it is awaiting acceptance again, no rework. The contractor is told.",
    "notify.pass_undone": "↩ Taken back: the acceptance team undid the pass of item #{id}; it is awaiting acceptance again. Nothing for you to do.",
    "notify.fail_undone": "↩ Taken back: the acceptance team undid the fail of item #{id}: no rework needed, it is awaiting acceptance again.",
    # restoring a cancelled item
    "btn.restore": "♻ Restore",
    "restore.usage": "Usage: /restore ID reason, for example: /restore 1042 cancelled by mistake",
    "restore.ask_reason": "Restore item #{id} ({unit} · {location}) to where it was before the cancel ({state}). Type the reason:",
    "restore.done": "♻ Item #{id} restored: {state}, contractor {contractor}. Reason: {reason}",
    "restore.told": "{contractor} has been told.",
    "notify.restored": "♻ Restored: item #{id} was cancelled by mistake and is back on your list. Reason: {reason}",
    # correcting an item
    "btn.correct": "✏ Correct",
    "correct.usage": "Usage: /correct ID, for example: /correct 1042",
    "correct.what": "What to correct of item #{id} ({unit} · {location})?",
    "correct.ask_description": "Now: {old}\nType the new description:",
    "correct.ask_location": "Now: {old}\nType the new location in the flat:",
    "correct.ask_category": "Now: {old}\nChoose the new category (the contractor stays):",
    "correct.done": "✏ Item #{id} corrected. {change}",
    "correct.by_rule": "The contractor stays {contractor}; by the assignment rules this category goes to {rule}. Press below to reassign it.",
}
