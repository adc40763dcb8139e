"""English texts."""

TEXTS: dict[str, str] = {
    # refusals (models.errors.DomainError keys)
    "error.not_registered": (
        "Sorry, this bot is only for the project team. Ask the project department for an "
        "invite link."
    ),
    "error.not_allowed": "Sorry, your role cannot do that.",
    "error.account_taken": "That account already belongs to someone else on the team.",
    "error.not_your_item": "Item #{item} is not on your list.",
    "error.already_handled": "Item #{item} was already handled ({state}). Nothing was changed.",
    "error.wrong_state": "Item #{item} is {state} now, so that cannot be done.",
    "error.no_such_item": "There is no item #{item}.",
    "error.reason_required": "Please give a reason.",
    "error.photo_required": "A photo of the repair is required. Please send one.",
    "error.no_such_contractor": "There is no such contractor in this project.",
    "error.same_contractor": "The item is already with that contractor.",
    "error.no_rule": "No contractor is set for this category in building {building}.",
    "error.no_such_project": "There is no such project.",
    "error.no_such_unit": "There is no flat {unit} in this project.",
    "error.no_such_category": "There is no category {category}.",
    "error.description_required": "Please describe the defect.",
    "error.bad_language": "Choose zh or en.",
    "error.bad_role": (
        "Unknown role {role}. Roles: admin, clerk, contractor, inspector, manager, service "
        "(or their Chinese names: 项目部, 录入人员, 施工单位, 验收组, 领导, 客服), several with "
        "commas or spaces, the contractor's name last."
    ),
    "error.contractor_required": "A contractor invite needs the contractor's name.",
    "error.no_such_contractor_named": "There is no contractor named {name}.",
    "error.invite_unknown": "This invite code is not valid. Ask for a new one.",
    "error.invite_used": "This invite code was already used. Ask for a new one.",
    "error.invite_expired": "This invite code has expired. Ask for a new one.",
    "error.project_exists": "A project named {name} already exists.",
    "error.bad_unit_code": "{unit} is not a flat code (for example 3-1-1202).",
    "error.not_demo_database": "This database holds real data; the demo will not overwrite it.",
    "error.no_project_yet": "There is no project yet: create one first (python -m bot project NAME).",
    "error.which_project": "There are several projects; name one of: {names}.",
    "error.unknown_project": "There is no project named {name}. Yours: {names}.",
    "error.sheet_no_too_long": "Sheet number {sheet}… is too long (40 characters at most).",
    "error.location_too_long": "That location is too long ({max} characters at most).",
    "error.description_too_long": (
        "That description is too long: {length} characters, {max} at most. "
        "Please shorten it and send it again."
    ),
    "error.note_too_long": (
        "That text is too long: {length} characters, {max} at most. Nothing was changed; "
        "please shorten it and send it again."
    ),
    "error.already_entered": "This defect is already entered, as item #{item}.",
    "error.internal": "Sorry, something went wrong. Nothing was changed; please try again.",
    "error.not_an_image": "That file is not a photo (JPEG, PNG, GIF, WebP or HEIC); nothing was kept.",
    "error.stale_button": "This button is no longer active.",
    # states, actions, roles
    "state.open": "to repair",
    "state.repaired": "awaiting acceptance",
    "state.rework": "rework",
    "state.disputed": "disputed",
    "state.closed": "closed",
    "state.cancelled": "cancelled",
    "action.raise": "Raised",
    "action.report_repaired": "Reported done",
    "action.dispute": "Disputed",
    "action.pass": "Passed",
    "action.fail": "Failed acceptance",
    "action.reassign": "Reassigned",
    "action.cancel": "Cancelled",
    "action.reopen": "Reopened",
    "role.admin": "project admin",
    "role.clerk": "clerk",
    "role.contractor": "contractor",
    "role.inspector": "inspector",
    "role.manager": "manager",
    "role.service": "customer service",
    # commands
    "cmd.help": "what I can do for you",
    "cmd.lang": "language: 中文 / English",
    "cmd.mylist": "my items to repair, rework first, then oldest (/mylist 3: building 3 only)",
    "cmd.tocheck": "items awaiting acceptance (/tocheck 3: building 3 only)",
    "cmd.invite": "invite a person: /invite ROLE [CONTRACTOR]",
    # buttons
    "btn.prev": "◀ Previous",
    "btn.next": "Next ▶",
    "btn.back": "◀ Back to list",
    "btn.repaired": "✅ Report done",
    "btn.not_ours": "✋ Not ours",
    "btn.pass": "✅ Pass",
    "btn.fail": "❌ Fail",
    "btn.done": "✔ Done",
    "btn.skip": "Skip photo",
    "btn.cancel": "✖ Cancel",
    "btn.open_item": "Open #{id}",
    "btn.my_list": "📋 My list",
    "btn.to_check": "📋 To-check list",
    # lists
    "list.line": "#{id} {unit} {location} · {category} · {description} · {age}d{flag}",
    "list.rework_flag": " 🔁rework×{n}",
    "list.overdue_flag": " ⚠overdue",
    "list.page": "Page {page}/{pages}",
    "mylist.empty": "{contractor}: nothing to repair. Well done!",
    "mylist.header": (
        "<b>{contractor}</b>: {total} to repair ({rework} rework), {oldest:all raised today|oldest 1 day|oldest {oldest} days}"
    ),
    "tocheck.empty": "Nothing is awaiting acceptance.",
    "tocheck.header": "<b>Awaiting acceptance: {total:1 item|{total} items}</b> (reported done)",
    "tocheck.building": "<b>Building {building}</b>",
    "tocheck.floor": "  Floor {floor}",
    "tocheck.entrance": " Entrance {entrance}",
    "tocheck.empty_building": "Nothing in building {building} is awaiting acceptance.",
    "mylist.empty_building": "{contractor}: nothing to repair in building {building}.",
    "list.building": "Building {building} only · every building: {command}",
    "error.bad_building": "“{text}” is not a building. Send, for example, /tocheck 3.",
    "error.waiting_for_repair": (
        "Item #{item} is waiting for repair by its contractor ({state}). Nothing was changed."
    ),
    "tocheck.line": "#{id} {unit} {location} · {category} · {description} ({contractor})",
    # cards
    "card.head": "<b>#{id}</b> {unit} · {location} · {category}",
    "card.state": (
        "State: {state} · raised {raised} ({age:today|1 day|{age} days}) · due {due}\nContractor: {contractor}"
    ),
    "card.rework": "🔁 Back for rework {n:once|{n} times}",
    "card.report": "Repair report: {note} ({n:1 photo|{n} photos})",
    "card.report_no_photo": "Repair report: {note}",
    "card.history": "<b>History</b>",
    "card.photos": "📷{n}",
    # onboarding
    "help.head": "{name}, you are registered as: {roles}\nCommands:",
    "start.welcome": "Welcome, {name}! You are registered.",
    "start.welcome_unnamed": "Welcome! You are registered.",
    "lang.ask": "Choose your language:",
    "lang.set": "Language set: English.",
    "invite.usage": (
        "Usage: /invite ROLE [CONTRACTOR NAME]\nRoles: admin, clerk, contractor, inspector, "
        "manager, service (several with commas: clerk,inspector).\n"
        "Example: /invite contractor 华建装饰"
    ),
    "invite.made_code": (
        "Invite for: {roles}{contractor} ({project})\n"
        "Invite code: <code>{code}</code>\nThe person sends this to the app: /start {code}\n"
        "It works once, for {hours} hours."
    ),
    "invite.made": (
        "Invite for: {roles}{contractor} ({project})\n"
        "Invite code: <code>{code}</code>\nSend this link to the person: {link}\n"
        "It works once, for {hours} hours."
    ),
    # contractor
    "repair.ask_photo": (
        "Item {item}: send a photo of the repair (as many as you like) and type what was done, "
        "in any order; a caption counts too. Then press Done."
    ),
    "repair.photo_saved": (
        "Photo saved ({n}) for item {item}. Type what was done, send more photos, or press Done."
    ),
    "repair.album_saved": (
        "Photos received for item {item}. Type what was done, send more, or press Done "
        "to report it done."
    ),
    "repair.note_saved": "Note saved for item {item}. Send photos, type more, or press Done.",
    "repair.photo_noted": "Photo and note saved ({n}) for item {item}. Send more, or press Done.",
    "repair.album_noted": "Photos and note received for item {item}. Send more, or press Done.",
    "repair.still_need_photo": "Note saved for item {item}. Now send a photo of the repair.",
    "repair.done": "Item {item} reported done; it now awaits acceptance. {left} left on your list.",
    "dispute.ask_reason": "Item {item}: why is it not yours? Type the reason.",
    "dispute.done": "Item {item} marked not yours. The project department will settle it: another contractor, or back to you with a reason.",
    "report.dropped": "Report for item {item} dropped; nothing was recorded.",
    "report.cancelled": "Report for item {item} cancelled. Nothing was changed.",
    "report.resumed": "Still on item {item}: what you sent so far is kept. Carry on.",
    "report.none_open": "No report is open. Open an item and press a button on its card first.",
    "common.cancelled": "Cancelled. Nothing was changed.",
    # inspector
    "check.passed": "✅ Item #{id} passed and closed.",
    "fail.ask_reason": "Item {item}: why does it fail? Type the reason (or send a photo with it).",
    "fail.ask_photos": "Reason noted for item {item}. Send photos of the defect, or press Done.",
    "fail.photo_saved": "Photo saved ({n}) for item {item}. Send more, or press Done.",
    "fail.still_need_reason": "Photo saved ({n}) for item {item}. Now type the reason it fails.",
    "fail.reason_required": "Type the reason it fails first.",
    "fail.done": "❌ Item {item} failed. It is back on the contractor's list as rework.",
    # notices
    "notify.rework": "🔁 Rework: item #{id} failed acceptance: {reason}",
}
