"""The console shell of platforms whose buttons are cards, pressable until pressed (WeCom's
self-built app and its smart robot): accounts linked for the console's people, the newest
pressable cards, and a card printed with its buttons numbered."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from bot.console import Console, Keyboard, Persona
from models.people import accounts, find_person, link_identity
from models.tables import Platform

PART = re.compile(r"\((\d+)/(\d+)\)$")  # "… (2/3)": the second of a screen's three cards


class CardConsole(Console):
    """The shell over a platform whose buttons are cards, each pressable until pressed (the
    WeCom app's and the robot's): a persona chats by their account there, linked
    `console-<user id>` for a person who has none yet, in this local database only."""

    platform: Platform

    @functools.cached_property
    def _accounts(self) -> dict[int, str]:
        """The accounts personas chat by in this session, by Telegram id."""
        return {}

    @functools.cached_property
    def _newcomers(self) -> Iterator[int]:
        """Numbers for newcomers' accounts (`console-new-N`)."""
        return itertools.count(1)

    def account(self, persona: Persona) -> str:
        """Return the persona's account on the platform, linking one for a person who has none."""
        found = self._accounts.get(persona.telegram_id)
        if found is not None:
            return found
        if not persona.roles:
            account = f"console-new-{next(self._newcomers)}"
        else:
            account = self.db.run(
                linked_account, telegram_id=persona.telegram_id, platform=self.platform
            )
        self.joined(account, persona)
        self._accounts[persona.telegram_id] = account
        return account

    def joined(self, account: str, persona: Persona) -> None:
        """Make an account known to the platform's stand-in (nothing to do by default)."""

    def own_chat(self) -> str:
        """Return the current person's account."""
        assert self.persona is not None
        return self.account(self.persona)

    def chat_name(self, chat: int | str) -> str:
        """Return the persona behind an account."""
        found = next((t for t, account in self._accounts.items() if account == chat), None)
        return self.name_of(found) if found is not None else str(chat)

    def newest_keyboard(self) -> Keyboard | None:
        """Return the latest cards of the current person that can still be pressed."""
        user = self.own_chat()
        for keyboard in reversed(self.keyboards):
            if keyboard.chat == user and any(card.live for card in keyboard.where):
                return keyboard
        return None

    def on_screen(self, keyboard: Keyboard, index: int) -> bool:
        """Tell whether the card holding this button can still be pressed."""
        return keyboard.where[index].live

    def keep_cards(
        self, chat: str, cards: list[tuple[str, list[tuple[str, str | None]], Any]]
    ) -> dict[int, tuple[Keyboard, int]]:
        """Number cards just sent (title, buttons, the stand-in's card): one screen's cards
        ("(1/2)", "(2/2)") are one keyboard.

        Returns, per card's place in `cards`, its keyboard and the number of its first button.
        """
        found: dict[int, tuple[Keyboard, int]] = {}
        group: list[int] = []
        for place, (title, _, _) in enumerate(cards):
            part = PART.search(title)
            if part is None or part[1] == "1":
                group = []
            group.append(place)
            if part is None or part[1] == part[2]:
                buttons = [b for p in group for b in cards[p][1]]
                where = [cards[p][2] for p in group for _ in cards[p][1]]
                keyboard = self.keep_keyboard(chat, buttons, where)
                first = 1
                for p in group:
                    found[p] = (keyboard, first)
                    first += len(cards[p][1])
        return found

    def write_sent(self, user: str, who: str, lines: list[str]) -> None:
        """Print one message: the current person's plainly, another's after an arrow."""
        if who == user:
            self.write("\n".join(lines))
        else:
            head = self.ui("to", name=who)
            self.write("\n".join([head + lines[0], *("    " + x for x in lines[1:])]))


def card_lines(
    head: list[str], labels: list[str], keyboard: tuple[Keyboard, int] | None, *, last: bool
) -> list[str]:
    """Lines of a card: its head, its buttons numbered on in their keyboard, marked ⌨K after the
    keyboard's `last` card."""
    first = keyboard[1] if keyboard else 1
    lines = [*head, "  " + "   ".join(f"[{n}] {text}" for n, text in enumerate(labels, first))]
    if keyboard is not None and last:
        lines[-1] += f"   ⌨{keyboard[0].number}"
    return lines


def linked_account(session: Session, *, telegram_id: int, platform: Platform) -> str:
    """Return a persona's account on `platform`; link `console-<user id>` when they have none."""
    person = find_person(session, platform=Platform.telegram, account=str(telegram_id))
    if person is None:
        return f"console-tg-{telegram_id}"
    found = accounts(session, user_ids=[person.id], platform=platform).get(person.id)
    if found:
        return found
    account = f"console-{person.id}"
    link_identity(session, user_id=person.id, platform=platform, account=account)
    return account
