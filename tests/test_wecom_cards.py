"""WeCom draws a prompt with its choices as one card, labels that fit, numbering that runs on;
a chat reply and a push are drawn alike."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.wecom import cards
from bot.wecom.offline import Sent
from bot.wecom.sender_side import template_card_event, text_message
from handlers.choices import Choice
from handlers.i18n import CATALOGS, SHORT, short_label
from handlers.screens import Notice, Reply, Screen
from models.repair import raise_item
from tests import test_wecom_chat
from tests.conftest import CONTRACTOR_A, World, tg
from tests.test_wecom_chat import WECOM_IDS, WeComDriver, _speak_english

wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom
WANG = WECOM_IDS[CONTRACTOR_A.id]


def more_items(db, world: World, today: date, n: int) -> list[int]:
    """Raise n more leaks for 华建装饰 (a list longer than one card)."""
    with db.session() as s:
        return [
            raise_item(
                s,
                project_id=world.project_id,
                unit_code="3-1-1202",
                location="bathroom",
                category_code="leak",
                description=f"leak {k}",
                raised_on=today - timedelta(days=1),
            ).id
            for k in range(n)
        ]


async def said(driver: WeComDriver, kind: str, arg: str) -> list[Sent]:
    """Send a text or press a button as Wang; return what he got."""
    corp, before = driver.wecom.corp_id, len(driver.wecom.messages_to(WANG))
    if kind == "text":
        await driver.post(text_message(corp_id=corp, user=WANG, content=arg))
    else:
        click = driver.wecom.press(WANG, arg)
        press = {"event_key": click.key, "task_id": click.task_id}
        await driver.post(
            template_card_event(corp_id=corp, user=WANG, response_code=click.response_code, **press)
        )
    return driver.wecom.messages_to(WANG)[before:]


def card_text(card: Sent) -> str:
    """Return everything written on a card but its buttons."""
    content = card.content
    head = content.get("main_title", {})
    return "\n".join(
        [head.get("title", ""), head.get("desc", ""), content.get("sub_title_text", "")]
    )


def labels(card: Sent) -> list[str]:
    """Return a card's button texts."""
    return [b["text"] for b in card.content["button_list"]]


async def test_a_prompt_is_one_card_and_its_labels_fit(wecom, world, db):
    _speak_english(db)
    leak = world.items["leak"]
    await said(wecom, "text", "/mylist")
    opened = await said(wecom, "press", f"it:{leak}")
    (card,) = opened  # a short item card: its text is on the card itself
    assert card.content["main_title"]["title"].startswith(f"#{leak} 3-1-1202")
    assert "卫生间吊顶渗水" in card_text(card)
    assert labels(card) == ["✅ Done", "✋ Not ours", "◀ Back"]  # whole, or the short form
    prompt = await said(wecom, "press", f"rp:{leak}")
    assert [m.msgtype for m in prompt] == ["template_card"], "one message per prompt"
    assert f"#{leak} · 3-1-1202 · kitchen" in card_text(prompt[0])
    assert "send a photo of the repair" in card_text(prompt[0])
    assert labels(prompt[0]) == ["✖ Cancel"]


async def test_the_numbering_runs_on_across_the_cards_of_a_list(wecom, world, db, today):
    _speak_english(db)
    more_items(db, world, today, 8)
    shown = await said(wecom, "text", "/mylist")
    text, *sent = shown
    assert text.msgtype == "text" and len(sent) == 2
    first, second = sent
    assert first.content["main_title"]["title"] == "Choose (1/2)"
    assert second.content["main_title"]["title"] == "Choose (2/2)"
    # An item's button keeps its number first, cut or not: never "1. #4 3-1…" beside "#5".
    assert all(label.startswith("#") for label in labels(first))
    assert "Next ▶" in labels(second) and labels(second)[-1] == "🖨 PDF"
    for card in sent:  # every label is whole, or its cut head names one item of the screen
        for label in labels(card):
            assert len(label) <= cards.BUTTON_TEXT_MAX
            assert not label.endswith("…") or label.split(" ")[0].startswith("#")


def test_cut_labels_that_look_alike_are_numbered_on_across_the_cards() -> None:
    rows = tuple((Choice(f"江畔花园一期 3-1-120{n}", f"un:{n}"),) for n in range(8))
    built = cards.draw("哪一户？", rows, lang="zh").cards
    shown = [b["text"] for c in built for b in c["button_list"]]
    # Cut, they would all read "江畔花园一期 3-…": each shows its place in the screen instead.
    assert [label.split(". ")[0] for label in shown] == [str(n) for n in range(1, 9)]
    assert built[1]["button_list"][0]["text"].startswith("7. ")
    assert built[1]["sub_title_text"].startswith("7. 江畔花园一期 3-1-1206")  # whole, numbered on


async def test_a_chat_reply_and_a_push_are_drawn_alike(wecom, world, db):
    server, offline = wecom.server, wecom.wecom
    with db.session() as s:
        wang = tg(s, CONTRACTOR_A.id)
    short = "#7 · 3-1-1202: pass or fail?"
    for text in (short, "A long list\n" + "line\n" * 200):
        rows = ((Choice("✅ Pass", "ps:7"), Choice("◀ Back to list", "tc")),)
        mark = len(offline.messages_to(WANG))
        await server.chat.draw(WANG, Reply(screens=[Screen(text, rows)], lang="en"))
        replied = offline.messages_to(WANG)[mark:]
        await server.delivery.deliver(Notice(wang, text, rows, lang="en"), 0)
        pushed = offline.messages_to(WANG)[mark + len(replied) :]
        assert _shapes(replied) == _shapes(pushed)
        if text == short:  # on the card itself, the short label in place of the long one
            (card,) = replied
            assert card_text(card).startswith(short) and labels(card) == ["✅ Pass", "◀ Back"]
        else:  # too long for a card: the text first, then the choices
            assert [m.msgtype for m in replied][-1] == "template_card"
            assert {m.msgtype for m in replied[:-1]} == {"text"}


def _shapes(sent: list[Sent]) -> list[tuple[str, dict]]:
    return [(m.msgtype, {k: v for k, v in m.content.items() if k != "task_id"}) for m in sent]


def test_every_short_label_fits_a_wecom_button_and_shortens_a_label():
    for lang, catalog in CATALOGS.items():
        for key, short in catalog.items():
            if key.endswith(SHORT):
                full = key.removesuffix(SHORT)
                assert full in catalog, key
                filled = short.format(id=12345) if "{id}" in short else short
                assert len(filled) <= cards.BUTTON_TEXT_MAX, (lang, key, filled)
    assert short_label("en", "◀ Back to list") == "◀ Back"
    assert short_label("en", "#2423 history") == "#2423 log"
    assert short_label("en", "nothing like a label") is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_prompt_too_long_for_a_card_goes_first_as_text(lang):
    rows = ((Choice("A", "a:1"),),)
    fits = cards.draw("Title line\nsecond line", rows, lang=lang)
    assert fits.text == "" and fits.cards[0]["main_title"] == {
        "title": "Title line",
        "desc": "second line",
    }
    long = cards.draw("x" * 200, rows, lang=lang)
    assert long.text == "x" * 200
    assert long.cards[0]["main_title"]["title"] == CATALOGS[lang]["wecom.choose"]


def test_every_fixed_button_label_fits_a_wecom_button_whole_or_short():
    # A label with no data in it is known ahead: it must show whole on WeCom, or by its short
    # form, never cut ("✅ Repa…"). A new button without one fails here, not on a site.
    for lang, catalog in CATALOGS.items():
        for key, label in catalog.items():
            if not key.startswith("btn.") or key.endswith(SHORT) or "{" in label:
                continue
            shown = label if len(label) <= cards.BUTTON_TEXT_MAX else short_label(lang, label)
            assert shown and len(shown) <= cards.BUTTON_TEXT_MAX, f"{lang} {key}: {label!r}"
