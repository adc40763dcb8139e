"""The glossary check: every text users read names each concept by the glossary's one term.

Catalogs are checked entry by entry (zh and en); the export, the printed lists and the charts
are checked as made (the workbook and the PDFs opened, the labels a chart asked for), and the
repair loop is played in Chinese on both offline platforms with every text read checked.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf
import pytest
from openpyxl import load_workbook

from handlers.i18n import CATALOGS, LANGUAGES, t
from handlers.texts.glossary import (
    CANCELLED,
    LABELS,
    OVERDUE,
    REPORT_DONE,
    TERMS,
    misused,
)
from models import people
from models.charts import daily_chart, rework_chart
from models.db import Database
from models.intake import raise_item
from models.repair import apply_transition
from models.report import daily_report, rework_report
from models.tables import Action, ItemState
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    SERVICE,
    World,
    move,
    texts,
    tg,
    tg_user,
)
from tests.test_wecom_chat import (  # noqa: F401 (the WeCom fixtures)
    CAST,
    Seen,
    TelegramDriver,
    WeComDriver,
    wecom,
    wecom_settings,
)


def wrong_words(lang: str, text: str, key: str | None = None) -> list[str]:
    """Return what the glossary says is wrong in a text, as readable lines."""
    return [
        f"{found!r} for {term.concept!r}: say {term.words(lang)[0]!r}"
        for term, found in misused(lang, text, key)
    ]


# ---------------------------------------------------------------- the glossary itself


def test_no_term_is_its_own_wrong_word():
    for term in TERMS:
        for lang in LANGUAGES:
            for word in term.words(lang):
                assert [x for x, _ in misused(lang, word) if x is term] == [], (term, word)
            for pattern in term.elsewhere:
                assert pattern in term.zh_not + term.en_not, (term.concept, pattern)


def test_a_new_text_with_a_wrong_word_fails_the_check():
    assert [t for t, _ in misused("zh", "问题 #3 已报修完成。")] == [REPORT_DONE]
    assert [t for t, _ in misused("zh", "🚫 已撤销：问题 #3")] == [CANCELLED]
    assert [t for t, _ in misused("zh", "已取消", "service.group_cancelled")] == [CANCELLED]
    assert [t for t, _ in misused("en", "Item 3 is 2 days late")] == [OVERDUE]
    # 报修 is the owner's: said of the owner, or in a text to the owner.
    assert misused("zh", "客服登记业主报修") == []
    assert misused("zh", "您报修的问题", "owner.head") == []
    assert [t for t, _ in misused("zh", "您报修的问题", "repair.done")] == [REPORT_DONE]
    # A word in another sense, where the glossary allows it.
    assert misused("zh", "已取消，未做任何更改。", "common.cancelled") == []
    assert misused("zh", "邀请码已过期", "error.invite_expired") == []
    assert misused("en", "the latest 5 are shown") == []
    assert misused("en", "Too late to undo it now.") == []


# ---------------------------------------------------------------- catalogs


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_text_uses_the_glossary_terms(lang):
    wrong = {key: wrong_words(lang, text, key) for key, text in CATALOGS[lang].items()}
    assert {key: found for key, found in wrong.items() if found} == {}


def test_states_and_history_steps_are_named_by_their_terms():
    assert set(LABELS) == {f"state.{s.value}" for s in ItemState} | {
        f"action.{a.value}" for a in Action
    }
    for key, (term, zh, en) in LABELS.items():
        assert zh in term.words("zh"), key
        assert en.lower() in [w.lower() for w in term.words("en")], key
        assert (CATALOGS["zh"][key], CATALOGS["en"][key]) == (zh, en)


# ---------------------------------------------------------------- export, PDFs, charts


# The steps _every_step takes, each once at least.
PERFORMED = (Action.raise_, Action.report_repaired, Action.fail, Action.pass_, Action.reopen)
PERFORMED += (Action.dispute, Action.reject_dispute, Action.cancel, Action.reassign)


def _every_step(db: Database, world: World) -> None:
    """Move the world's items through the loop's actions, so each state and step is exported."""
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "换了密封圈")
    move(db, world.items["leak"], INSPECTOR.id, Action.fail, "仍渗水")
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "重做防水")
    move(db, world.items["leak"], INSPECTOR.id, Action.pass_)
    move(db, world.items["leak"], ADMIN.id, Action.reopen, "雨后又渗水")
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.dispute, "是水电的")
    move(db, world.items["wall"], ADMIN.id, Action.reject_dispute, "是墙面")
    move(db, world.items["wall"], ADMIN.id, Action.cancel, "重复登记")
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.dispute, "不是我们的")
    with db.session() as s:
        apply_transition(
            s,
            item_id=world.items["socket"],
            user=tg_user(s, ADMIN.id),
            action=Action.reassign,
            contractor_id=world.huajian,
        )


def _labels(kind: str) -> set[str]:
    return {f"{zh} {en}" for key, (_, zh, en) in LABELS.items() if key.startswith(kind)}


async def test_the_export_headers_states_and_steps_use_the_glossary(bot, world, db):
    _every_step(db, world)
    replies = await bot.chat(ADMIN).send("/export")
    [document] = [m for m in replies if m.kind == "document"]
    book = load_workbook(io.BytesIO(document.file_bytes), read_only=True)
    items = list(book["Items"].iter_rows(values_only=True))
    events = list(book["Events"].iter_rows(values_only=True))
    for header in (*items[0], *events[0]):
        assert wrong_words("zh", header) + wrong_words("en", header) == [], header
    assert "未关闭天数 days open" in items[0] and "逾期 overdue" in items[0]
    zh_state = items[0].index("状态（中文） state (zh)")
    en_state = items[0].index("状态（英文） state (en)")
    states = {f"{row[zh_state]} {row[en_state]}" for row in items[1:]}
    assert states and states <= _labels("state.")
    headers = ("操作 action", "原状态 from", "新状态 to")
    action, before, after = (events[0].index(h) for h in headers)
    steps = {row[action] for row in events[1:]}
    assert steps <= _labels("action.") and len(steps) == len(PERFORMED), steps
    assert {row[after] for row in events[1:]} <= _labels("state.")
    assert {row[before] for row in events[1:]} - {None, ""} <= _labels("state.")


async def test_the_blank_workbooks_use_the_glossary(bot, world):
    replies = await bot.chat(ADMIN).send("/template")
    books = [m for m in replies if m.kind == "document"]
    assert len(books) == 2
    for document in books:
        book = load_workbook(io.BytesIO(document.file_bytes), read_only=True)
        cells = [v for ws in book for row in ws.iter_rows(values_only=True) for v in row]
        words = [v for v in cells if isinstance(v, str)]
        assert words
        assert [w for v in words for lang in LANGUAGES for w in wrong_words(lang, v)] == []


def _speak(db: Database, language: str, *users: object) -> None:
    with db.session() as s:
        for user in users:
            people.set_language(s, user_id=tg(s, user.id), language=language)  # type: ignore[attr-defined]


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_printed_lists_use_the_glossary(bot, world, db, lang):
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired, "换插座")
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "换了密封圈")
    move(db, world.items["leak"], INSPECTOR.id, Action.fail, "仍渗水")
    _speak(db, lang, CONTRACTOR_A, INSPECTOR)
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    await wang.send("/mylist")
    [repair] = [m for m in await wang.press("pdf:ml") if m.kind == "document"]
    await li.send("/tocheck")
    [check] = [m for m in await li.press("pdf:tc") if m.kind == "document"]
    for document in (repair, check):
        printed = _pdf_text(document.file_bytes)
        assert wrong_words(lang, printed) == [], printed
        assert wrong_words(lang, document.text or "") == []
    repair_text = _pdf_text(repair.file_bytes)
    for key in ("pdf.title_repair", "pdf.col_result_repair", "pdf.col_rework", "pdf.col_due"):
        assert t(lang, key) in repair_text, key
    assert t(lang, "pdf.inspection_team") in _pdf_text(check.file_bytes)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_chart_labels_use_the_glossary(db, world, lang, today):
    _every_step(db, world)
    asked: list[str] = []

    def tr(key: str, **params: object) -> str:
        text = t(lang, key, **params)
        asked.append(text)
        return text

    with db.session() as s:
        daily = daily_report(s, project_id=world.project_id, day=today)
        rework = rework_report(s, project_id=world.project_id, day=today)
    assert daily_chart(daily, tr).startswith(b"\x89PNG")
    assert rework_chart(rework, tr).startswith(b"\x89PNG")
    assert t(lang, "chart.open_head", open=2, overdue=0) in asked
    assert [w for text in asked for w in wrong_words(lang, text)] == []


# ---------------------------------------------------------------- in chat, on both platforms

# The loop in Chinese: what each person reads at each step, and what must never show.
LOOP_ZH = (
    ("contractor", "send", "/mylist", ("待维修",)),
    ("contractor", "press", "it:{leak}", ("✅ 完工报验", "待维修")),
    ("contractor", "press", "rp:{leak}", ("完工照片",)),
    ("contractor", "photo", "换了密封圈", ()),
    ("contractor", "press", "done:{leak}", ("已完工报验", "待验收")),
    ("inspector", "send", "/tocheck", ("待验收", "施工单位已报验")),
    ("inspector", "press", "ck:{leak}", ("完工报验", "完工说明", "✅ 验收合格", "❌ 验收不合格")),
    ("inspector", "press", "fl:{leak}", ("不合格的原因",)),
    ("inspector", "send", "雨后仍渗水", ()),
    ("inspector", "press", "done:{leak}", ("验收不合格", "返修")),
    ("contractor", "send", "/mylist", ("返修",)),
    ("contractor", "press", "it:{leak}", ("验收不合格", "返修 1 次")),
)


class TelegramReader(TelegramDriver):
    """The offline Telegram driver, reading the labels of the buttons shown as well."""

    async def act(self, who: str, action: str, arg: str) -> Seen:
        """Act as `who`; what they saw includes the buttons of the newest keyboard."""
        seen = await super().act(who, action, arg)
        try:
            rows = self.chats[who].buttons()
        except LookupError:  # no keyboard shown yet
            rows = []
        labels = [label for row in rows for label, _ in row]
        return Seen("\n".join([seen.text, *labels]), seen.photos, seen.told)


async def _play_in_chinese(driver: object, world: World, db: Database) -> list[str]:
    _speak(db, "zh", *CAST.values())
    read = []
    for who, action, arg, wanted in LOOP_ZH:
        seen = await driver.act(who, action, arg.format(leak=world.items["leak"]))  # type: ignore[attr-defined]
        for text in wanted:
            assert text in seen.text, (who, action, arg, text, seen.text)
        read += [seen.text, *seen.told.values()]
    return read


async def test_the_loop_reads_the_glossary_terms_on_telegram(bot, world, db):
    read = await _play_in_chinese(TelegramReader(bot), world, db)
    assert [w for text in read for w in wrong_words("zh", text)] == []


async def test_the_loop_reads_the_glossary_terms_on_wecom(wecom: WeComDriver, world, db):  # noqa: F811
    read = await _play_in_chinese(wecom, world, db)
    assert [w for text in read for w in wrong_words("zh", text)] == []


# ---------------------------------------------------------------- the awkward phrases


def _raise(db: Database, world: World, days_ago: int, today: date) -> int:
    with db.session() as s:
        return raise_item(
            s,
            project_id=world.project_id,
            unit_code="3-1-1202",
            location="主卧",
            category_code="wall",
            description="踢脚线松动",
            raised_on=today - timedelta(days=days_ago),
        ).id


async def test_a_flat_says_today_and_one_day_as_people_say_it(bot, world, db, today):
    fresh = _raise(db, world, 0, today)
    quick = _raise(db, world, 1, today)
    move(db, quick, CONTRACTOR_A.id, Action.report_repaired, "已紧固")
    move(db, quick, INSPECTOR.id, Action.pass_)
    sun = bot.chat(SERVICE)
    _speak(db, "zh", SERVICE)
    shown = texts(await sun.send("/unit 3-1-1202"))
    assert "已 0 天" not in shown and "今天登记" in shown and "用时 1 天" in shown
    assert "已登记 5 天" in shown  # the world's leak
    _speak(db, "en", SERVICE)
    shown = texts(await sun.send("/unit 3-1-1202"))
    assert "raised today" in shown and "took 1 day" in shown and "1 days" not in shown
    assert "open 5 days" in shown
    card = texts(await sun.send(f"/item {fresh}"))
    assert "(today)" in card and "(0 days)" not in card


async def test_rework_is_counted_once_then_times(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    for n, said in ((1, "Back for rework once"), (2, "Back for rework 2 times")):
        move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "done")
        move(db, leak, INSPECTOR.id, Action.fail, "still leaks")
        await wang.send("/mylist")
        card = texts(await wang.press(f"it:{leak}"))
        assert said in card and "time(s)" not in card, n


async def test_one_building_says_how_to_see_them_all(bot, world, db):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "换了密封圈")
    _speak(db, "zh", CONTRACTOR_A, INSPECTOR)
    mine = texts(await bot.chat(CONTRACTOR_A).send("/mylist 3"))
    assert "只显示 3 栋" in mine and "全部楼栋请发 /mylist" in mine and "只发命令" not in mine
    check = texts(await bot.chat(INSPECTOR).send("/tocheck 3"))
    assert "全部楼栋请发 /tocheck" in check


async def test_rework_causes_name_what_they_count(bot, world, db):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "换了密封圈")
    move(db, world.items["leak"], INSPECTOR.id, Action.fail, "仍渗水")
    shown = texts(await bot.chat(MANAGER).send("/report rework"))  # Zhou reads Chinese
    assert "返修最多的类别" in shown and "返修最多的楼栋" in shown
    assert "问题类别最多的" not in shown
