"""The words of the domain: one Chinese and one English term per concept, and what not to say.

Chosen as a Chinese site office speaks (the source article; the design's "Words"): an owner
报修 (reports a defect); a contractor that finished a repair 完工 and asks for acceptance, 报验,
and the item is then 待验收; the acceptance team (验收组) finds it 验收合格 or 验收不合格; a failed
item goes back as 返修; an item cancelled by the project department is 作废. Every catalog, the
export, the printed lists and the charts use these terms; tests/test_glossary.py checks each
text against `misused` below, so a new text with a wrong word fails there.

`zh_not` and `en_not` are regular expressions of the variants that must not name the concept
(English ones are matched ignoring case). A variant that is an ordinary word in another sense
(取消 a dialogue, 过期 an invite) is allowed only in the catalog keys `elsewhere` names for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Term:
    """One concept: its one word in each language, that word's other forms, the wrong ones."""

    concept: str
    zh: str
    en: str
    zh_forms: tuple[str, ...] = ()  # the same word in its other grammatical places
    en_forms: tuple[str, ...] = ()
    zh_not: tuple[str, ...] = ()
    en_not: tuple[str, ...] = ()
    elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)  # variant -> key globs
    note: str = ""

    def words(self, lang: str) -> tuple[str, ...]:
        """Return the term and its forms in one language."""
        return (self.zh, *self.zh_forms) if lang == "zh" else (self.en, *self.en_forms)

    def wrong(self, lang: str) -> tuple[str, ...]:
        """Return the patterns of the variants that must not name the concept in one language."""
        return self.zh_not if lang == "zh" else self.en_not


ITEM = Term(
    "one defect recorded for repair",
    zh="问题",
    en="item",
    zh_not=(r"(?<!施)工单",),
    en_not=(r"\bticket", r"\bwork order"),
    note="the physical fault may be called a defect (缺陷, defect); the record is the item",
)
OWNER_REPORT = Term(
    "an owner reporting a defect for repair",
    zh="报修",
    en="repair request",
    zh_forms=("业主报修",),
    note="the owner's word only: never the contractor's finished repair (see REPORT_DONE)",
)
REPORT_DONE = Term(
    "a contractor's finished repair, handed in for acceptance",
    zh="完工",
    en="report done",
    zh_forms=("报验", "完工报验", "已完工"),
    en_forms=("reported done", "report it done"),
    # 报修 is the owner's: only in an owner's text or said of the owner (业主报修).
    zh_not=("报修完成", "维修完成", "已维修", r"已修(?![改正补订])", r"(?<!业主)报修"),
    en_not=(r"\breport(ed)? repaired", r"\breport the repair"),
    elsewhere={r"(?<!业主)报修": ("owner.*",)},
    note=(
        "完工 is the act (已完工, 完工说明, the printed list's 完工 column), 报验 is asking for "
        "acceptance (提交报验, 报验 N 项); the event and the button say both, 完工报验"
    ),
)
AWAITING = Term(
    "an item reported done, waiting for the acceptance team",
    zh="待验收",
    en="awaiting acceptance",
    en_forms=("to check", "to-check list"),
    zh_not=("待检查", "待检验", "待查验", "待复查"),
    en_not=(
        r"\bwaiting for acceptance",
        r"\bpending (acceptance|inspection)",
        r"\bawaiting (inspection|check)",
    ),
    note="the inspector's list is the 待验收清单, in English the to-check list (/tocheck)",
)
PASS = Term(
    "the acceptance team finds the repair good; the item closes",
    zh="验收合格",
    en="pass",
    zh_forms=("合格",),
    en_forms=("passed",),
    zh_not=("验收通过", "通过验收"),
    en_not=(r"\bapproved", r"\baccepted", r"\bpassed inspection"),
)
FAIL = Term(
    "the acceptance team finds the repair not good; the item goes back as rework",
    zh="验收不合格",
    en="fail",
    zh_forms=("不合格",),
    en_forms=("failed", "failed acceptance"),
    zh_not=(r"验收[不未]通过", r"[不未]通过验收", "验收失败"),
    en_not=(r"\bfailed (our )?(inspection|check)", r"\bfailed inspections"),
)
REWORK = Term(
    "an item back on its contractor's list after it failed acceptance or was reopened",
    zh="返修",
    en="rework",
    zh_not=("重新维修", "重修", "返工", "重新整改"),
    en_not=(r"\bredo\b", r"\brepaired again", r"\bre-repair"),
)
CANCELLED = Term(
    "an item the project department struck off (a duplicate, not a defect)",
    zh="作废",
    en="cancel",
    zh_forms=("已作废",),
    en_forms=("cancelled",),
    zh_not=("撤销", "已取消"),
    en_not=(r"\bwithdrawn", r"\bvoid(ed)?\b"),
    elsewhere={
        # 取消 also drops what one was typing (✖ 取消) and takes a person's access away.
        "已取消": ("common.cancelled", "report.cancelled", "revoke.done"),
    },
    note="撤销 is not used at all: an undone press is 撤回 (see UNDO)",
)
UNDO = Term(
    "taking back a press made by mistake, within minutes",
    zh="撤回",
    en="undo",
    zh_forms=("撤回验收合格", "撤回验收不合格"),
    en_forms=("pass undone", "fail undone"),
    note="as WeChat users take back a message; 撤销 is not used",
)
RESTORE = Term(
    "the project department putting a cancelled item back where it was",
    zh="恢复",
    en="restore",
    en_forms=("restored",),
)
CORRECT = Term(
    "the project department correcting an item's description, location or category",
    zh="更正",
    en="correct",
    en_forms=("corrected",),
)
REOPEN = Term(
    "a closed item that came back (the leak after rain), on its contractor's list again",
    zh="重新打开",
    en="reopen",
    en_forms=("reopened",),
    zh_not=("重开",),
    en_not=(r"\bre-open",),
)
DISPUTE = Term(
    "a contractor saying an item is not theirs; the project department settles it",
    zh="争议",
    en="dispute",
    zh_forms=("有争议", "提出争议", "驳回争议", "不属于我们"),
    en_forms=("disputed", "not ours", "dispute rejected"),
    zh_not=("异议", "非本单位", "非我方"),
    en_not=(r"\bobjection",),
)
REASSIGN = Term(
    "the project department giving an item to another contractor",
    zh="改派",
    en="reassign",
    en_forms=("reassigned",),
    zh_not=("转派", "重新分派"),
)
OVERDUE = Term(
    "past its due date and still with the contractor",
    zh="逾期",
    en="overdue",
    zh_not=("超期", "过期", "延期", "拖期"),
    en_not=(r"\bdays? late\b", r"\bpast due"),
    elsewhere={
        # An invite code or an upload link expires: that is 过期, not an item's lateness.
        "过期": ("error.invite_expired", "wecom.upload_gone"),
    },
)
CONTRACTOR = Term(
    "the firm that repairs",
    zh="施工单位",
    en="contractor",
    zh_not=("维修单位", "责任单位", "承包商", "施工方"),
    en_not=(r"\bsubcontractor", r"\bvendor"),
)
ACCEPTANCE_TEAM = Term(
    "the people who check repairs and pass or fail them",
    zh="验收组",
    en="acceptance team",
    en_forms=("inspector",),
    zh_not=("验收人员", "验收员", "验收方"),
    en_not=(r"\binspection team", r"\bQA team"),
    note="one of them is an inspector (the role)",
)
FLAT = Term(
    "a flat, named by its code building-entrance-number (3-1-1202)",
    zh="房号",
    en="flat",
    zh_not=("房间号", "户号", "门牌号"),
    en_not=(r"\bapartment", r"\broom number"),
)
SHEET = Term(
    "the paper inspection form written with the owner at handover",
    zh="看房单",
    en="inspection sheet",
    en_forms=("sheet",),
    zh_not=("验房单", "看房表", "查验单"),
    en_not=(r"\binspection form",),
)
DUE = Term(
    "the day an item should be repaired by",
    zh="限期",
    en="due",
    zh_not=("整改期限", "截止日期", "到期日"),
    en_not=(r"\bdeadline",),
    note="整改天数 (repair days) is how many days a category gets, not the date",
)
DAYS_OPEN = Term(
    "how long an item has been open: today minus its raised date",
    zh="未关闭天数",
    en="days open",
    zh_forms=("天数",),
    zh_not=("账龄", "已拖"),
    en_not=(r"\bage \(days\)", r"\bby age\b"),
    note="the article's 未关闭时间; the source of 'oldest first'",
)
OPEN = Term(
    "not closed yet, in any state of the loop",
    zh="未关闭",
    en="open",
    zh_not=("未完成",),
    note="the state before the contractor reports it done is 待维修 (to repair)",
)
TO_REPAIR = Term(
    "the state of an item with its contractor, not yet reported done",
    zh="待维修",
    en="to repair",
    zh_not=(r"待修(?![改正])",),
)
CLOSED = Term(
    "passed, and out of the loop",
    zh="已关闭",
    en="closed",
    zh_forms=("关闭",),
)
RAISED = Term("the day a defect was recorded", zh="登记", en="raised")
SUBSTITUTE = Term(
    "another contractor repairing a late item, charged to the first",
    zh="代修",
    en="substitute repair",
)
FOLLOW_UP = Term("customer service calling the owner back", zh="回访", en="follow-up call")

TERMS: tuple[Term, ...] = (
    ITEM,
    OWNER_REPORT,
    REPORT_DONE,
    AWAITING,
    PASS,
    FAIL,
    REWORK,
    CANCELLED,
    UNDO,
    RESTORE,
    CORRECT,
    REOPEN,
    DISPUTE,
    REASSIGN,
    OVERDUE,
    CONTRACTOR,
    ACCEPTANCE_TEAM,
    FLAT,
    SHEET,
    DUE,
    DAYS_OPEN,
    OPEN,
    TO_REPAIR,
    CLOSED,
    RAISED,
    SUBSTITUTE,
    FOLLOW_UP,
)

# The names of the item's states and of the steps of its history, exactly: each is one term
# (or one of its forms) in both languages. Chat, cards, histories, /pushes and the export take
# them from these catalog keys.
LABELS: dict[str, tuple[Term, str, str]] = {
    "state.open": (TO_REPAIR, "待维修", "to repair"),
    "state.repaired": (AWAITING, "待验收", "awaiting acceptance"),
    "state.rework": (REWORK, "返修", "rework"),
    "state.disputed": (DISPUTE, "有争议", "disputed"),
    "state.closed": (CLOSED, "已关闭", "closed"),
    "state.cancelled": (CANCELLED, "已作废", "cancelled"),
    "action.raise": (RAISED, "登记", "Raised"),
    "action.report_repaired": (REPORT_DONE, "完工报验", "Reported done"),
    "action.dispute": (DISPUTE, "提出争议", "Disputed"),
    "action.pass": (PASS, "验收合格", "Passed"),
    "action.fail": (FAIL, "验收不合格", "Failed acceptance"),
    "action.reassign": (REASSIGN, "改派", "Reassigned"),
    "action.cancel": (CANCELLED, "作废", "Cancelled"),
    "action.reopen": (REOPEN, "重新打开", "Reopened"),
    "action.reject_dispute": (DISPUTE, "驳回争议", "Dispute rejected"),
    "action.restore": (RESTORE, "恢复", "Restored"),
    "action.undo_pass": (UNDO, "撤回验收合格", "Pass undone"),
    "action.undo_fail": (UNDO, "撤回验收不合格", "Fail undone"),
    "action.correct": (CORRECT, "更正", "Corrected"),
}


def _allowed(term: Term, pattern: str, key: str | None) -> bool:
    return key is not None and any(
        fnmatchcase(key, glob) for glob in term.elsewhere.get(pattern, ())
    )


def misused(lang: str, text: str, key: str | None = None) -> list[tuple[Term, str]]:
    """Return each term a text of `lang` names wrongly, with the first wrong word found.

    `key` names the text's catalog entry, where a word may be allowed in another sense.
    """
    flags = re.IGNORECASE if lang == "en" else 0
    found = []
    for term in TERMS:
        hits = (re.search(p, text, flags) for p in term.wrong(lang) if not _allowed(term, p, key))
        hit = next((h for h in hits if h), None)
        if hit:
            found.append((term, hit.group(0)))
    return found
