"""The one core every chat platform feeds: who is talking, which flow takes it, what to show.

`Core.handle(incoming)` is the whole front end in no platform's terms: it finds the person,
reads their dialogue (which step they are in, their draft) from the database, asks the flows'
routes in order, and returns a `Reply`. Adapters (Telegram, WeCom, the console) only translate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from handlers import steps, watch
from handlers.buttons import Button
from handlers.choices import Rows
from handlers.i18n import pick_language, t
from handlers.screens import Attachment, FileIn, Incoming, Limits, Notice, Reply, Screen
from handlers.text import QUOTED, clip, esc
from handlers.watch import QUIET, Meter
from models.db import Database
from models.dialogue import Dialogue, load_dialogue, save_dialogue
from models.errors import DomainError
from models.people import Person, find_person
from models.pushes import clear_blocked
from models.queries import PhotoRef
from models.settings import Settings
from models.tables import Role

log = logging.getLogger(__name__)
T = TypeVar("T")


class Platform(Protocol):
    """What the core asks of the chat platform a person wrote on."""

    name: str
    limits: Limits  # where a screen, a file must fit (the adapter's own)

    async def fetch(self, file: FileIn) -> bytes:
        """Return the content of a file the person sent."""

    def invite_link(self, code: str) -> str | None:
        """Return a link that joins with this invite code, where the platform has one."""

    def item_link(self, item_id: int) -> str | None:
        """Return a link that opens this item's card in the chat, where the platform has one."""


Draw = Callable[[Reply], Awaitable[None]]  # the adapter showing a reply now


class Ask:
    """One input being handled: the person, their language and dialogue, and the reply so far."""

    def __init__(
        self,
        core: Core,
        incoming: Incoming,
        person: Person | None,
        lang: str,
        dialogue: Dialogue,
        draw: Draw | None = None,
    ) -> None:
        self.core = core
        self._draw = draw
        self.incoming = incoming
        self.person = person
        self.lang = lang
        self.dialogue = dialogue
        self.reply = Reply()
        self.pressed: Any = None  # the button pressed, typed (handlers/buttons.py)
        self.match: re.Match[str] | None = None  # a routed text's match
        self.args: list[str] = []
        # Where the input went and what was refused, for the figures: a route's name and
        # refusals' keys, never what was typed.
        self.route = "none"
        self.refusals: list[str] = []

    @property
    def settings(self) -> Settings:
        """Return the product's settings."""
        return self.core.settings

    @property
    def platform(self) -> Platform:
        """Return the platform this input came from."""
        return self.core.platform

    @property
    def user_id(self) -> int:
        """Return the person's id; only flows for registered people ask."""
        if self.person is None:
            raise DomainError("not_registered")
        return self.person.id

    def t(self, key: str, /, **params: Any) -> str:
        """Return a text in this person's language."""
        return t(self.lang, key, **params)

    async def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a domain function in a worker thread with its own session."""
        return await asyncio.to_thread(self.core.db.run, fn, **kwargs)

    async def fetch(self, file: FileIn) -> bytes:
        """Return the content of a file the person sent."""
        return await self.core.platform.fetch(file)

    def show(
        self,
        text: str = "",
        choices: Rows = (),
        *,
        photos: tuple[PhotoRef, ...] = (),
        files: tuple[Attachment, ...] = (),
        replace: bool = False,
    ) -> None:
        """Add a screen to the reply."""
        self.reply.screens.append(Screen(text, choices, photos, files, replace))

    async def flush(self) -> None:
        """Show the reply so far now, before a long job ("reading the file…"), where possible."""
        if self._draw is not None:
            sent, self.reply = self.reply, Reply()
            sent.lang = self.lang
            await self._draw(sent)

    def answer(self, text: str) -> None:
        """Answer the pressed choice (or the message) with a short plain text."""
        if self.reply.answer is None:
            self.reply.answer = text
        else:
            self.show(esc(text))

    def notify(self, notice: Notice) -> None:
        """Send a message to someone else now (the adapter finds them on its platform)."""
        self.reply.notices.append(notice)

    def redo_menu(self, user_id: int | None = None) -> None:
        """Have the platform redo a person's command menu (by default the asker's)."""
        self.reply.menus.append(self.user_id if user_id is None else user_id)

    def refusal(self, error: DomainError, *, as_html: bool = True) -> str:
        """Return a domain refusal as a sentence in this person's language (and count it)."""
        self.refused(error.key)
        return refusal(self.lang, error, as_html=as_html)

    def refused(self, reason: str) -> None:
        """Count a refusal by its key (the figures: bot.metrics)."""
        self.refusals.append(reason)
        self.core.meter.refused(platform=self.incoming.platform, reason=reason)

    def refuse(self, error: DomainError) -> None:
        """Say why a request was refused: as the choice's answer, else as a message."""
        if self.incoming.choice is not None:
            self.answer(self.refusal(error, as_html=False))
        else:
            self.show(self.refusal(error))

    def require(self, *roles: Role) -> Person:
        """Return the person if they hold one of the roles, else refuse."""
        if self.person is None:
            raise DomainError("not_registered")
        if not self.person.has(*roles):
            raise DomainError("not_allowed")
        return self.person


def refusal(lang: str, error: DomainError, *, as_html: bool = True) -> str:
    """Return a domain refusal as a sentence (HTML, or plain text for an alert)."""
    # A value may be what the person typed (a category, a flat code): quoted short, escaped.
    params = {
        k: (esc(clip(v, QUOTED)) if as_html else clip(v, QUOTED)) if isinstance(v, str) else v
        for k, v in error.params.items()
    }
    if error.params.get("state"):
        params["state"] = t(lang, f"state.{error.params['state']}")
    return t(lang, f"error.{error.key}", **params)


Flow = Callable[[Ask], Awaitable[None]]
Guard = Callable[[Ask], Awaitable[bool]]  # True: the input was answered, stop here


@dataclass(frozen=True)
class Press:
    """Where a kind of button goes: its flow, and the dialogue steps it means something in."""

    kind: type[Button]
    flow: Flow
    steps: frozenset[str] = frozenset()  # none: in any step or none


@dataclass(frozen=True)
class ToStep:
    """An input that means the dialogue step's own flow of a kind, where the step has one."""

    kind: str  # "done" or "cancel"
    unless: Callable[[Ask], bool] | None = None  # "/cancel 1042 why" names an item instead


@dataclass
class Router:
    """Where each input goes: presses by button type, commands by name, then steps."""

    presses: list[Press] = field(default_factory=list)
    commands: dict[str, Flow] = field(default_factory=dict)
    # A dialogue step: what a text, photo or file, Done and Cancel mean while in it.
    steps: dict[tuple[str, str], Flow] = field(default_factory=dict)
    # Buttons and commands that go to the step's own flow (Done, Cancel) before their own.
    to_step: dict[type[Button] | str, ToStep] = field(default_factory=dict)
    # Texts of a form (an item's number typed alone) that no step took, by anchored pattern.
    texts: list[tuple[re.Pattern[str], Flow]] = field(default_factory=list)
    # Inputs no step took: files, then photos and texts nobody expects (in order).
    fallbacks: list[tuple[str, Flow]] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    open_to_strangers: set[str] = field(default_factory=set)

    def press(self, kind: type[Button], flow: Flow, *, steps: tuple[str, ...] = ()) -> None:
        """Route a kind of button to a flow (`steps`: only while in one of them, else stale)."""
        if any(p.kind is kind for p in self.presses):
            raise ValueError(f"{kind.__name__} is routed twice")
        self.presses.append(Press(kind, flow, frozenset(steps)))

    def command(
        self,
        name: str,
        flow: Flow,
        *,
        strangers: bool = False,
        step: str | None = None,
        unless: Callable[[Ask], bool] | None = None,
    ) -> None:
        """Route a command (/name words...); `strangers`: also for people not yet joined;
        `step`: while in a step with its own flow of that kind, it goes there (`unless`...)."""
        if name in self.commands:
            raise ValueError(f"/{name} is routed twice")
        self.commands[name] = flow
        if strangers:
            self.open_to_strangers.add(name)
        if step is not None:
            self.to_step[name] = ToStep(step, unless)

    def press_to_step(self, kind: type[Button], step: str) -> None:
        """Send a kind of button (Done, Cancel) to the step's own flow of that kind first."""
        self.to_step[kind] = ToStep(step)

    def step(
        self,
        step: str,
        *,
        text: Flow | None = None,
        photo: Flow | None = None,
        done: Flow | None = None,
        cancel: Flow | None = None,
    ) -> None:
        """Route what a person sends while in a dialogue step, its Done and its Cancel."""
        kinds = (("text", text), ("photo", photo), ("done", done), ("cancel", cancel))
        for kind, flow in kinds:
            if flow is not None:
                self.steps[(step, kind)] = flow

    def text(self, pattern: str, flow: Flow) -> None:
        """Route a text that matches the anchored pattern when no dialogue step takes it."""
        self.texts.append((re.compile(pattern), flow))

    def fallback(self, kind: str, flow: Flow) -> None:
        """Route an input of a kind (text, photo, document, command) that nothing else took."""
        self.fallbacks.append((kind, flow))

    def guard(self, guard: Guard) -> None:
        """Ask this before any route (e.g. a half-finished report turned away from)."""
        self.guards.append(guard)


def kind_of(incoming: Incoming) -> str:
    """Return what an input is: choice, command, photo, document or text."""
    if incoming.choice is not None:
        return "choice"
    if incoming.photo is not None:
        return "photo"
    if incoming.document is not None:
        return "document"
    if incoming.is_command:
        return "command"
    return "text"


class Core:
    """The product's front end for one platform: handle an input, return what to show."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        platform: Platform,
        router: Router,
        *,
        meter: Meter = QUIET,
    ) -> None:
        self.db = db
        self.settings = settings
        self.platform = platform
        self.router = router
        self.meter = meter  # counts every input by route and outcome (bot.metrics)

    async def handle(self, incoming: Incoming, *, draw: Draw | None = None) -> Reply:
        """Handle one input; refusals and failures become a reply too, never a traceback.

        `draw`: how to show a reply at once, for a flow that says something before a long job.
        Every line it logs carries the update's id (handlers.watch), here or from its adapter.
        """
        began, outcome, ask = time.monotonic(), "error", None
        with watch.update():
            try:
                ask = await self._open(_without_nul(incoming), draw)
                reply, outcome = await self._handle(ask)
                return reply
            finally:
                self.meter.handled(
                    platform=incoming.platform,
                    flow=ask.route if ask is not None else "none",
                    outcome=outcome,
                    seconds=time.monotonic() - began,
                )

    async def _handle(self, ask: Ask) -> tuple[Reply, str]:
        """Route an opened input; return the reply and how it went (ok, refused, error)."""
        incoming = ask.incoming
        before = _stored(ask.dialogue).snapshot()
        try:
            if not await self._route(ask):
                # Refused before any flow: the dialogue stays as stored.
                return ask.reply, "refused"
        except DomainError as error:
            ask.refuse(error)
        except Exception:
            log.exception("an input failed (%s, %s)", kind_of(incoming), ask.route)
            ask.reply = Reply(answer=ask.t("error.internal"), lang=ask.lang)
            return ask.reply, "error"  # the dialogue stays as it was before this input
        stored = _stored(ask.dialogue)
        changed = stored.snapshot() != before or ask.dialogue.expired is not None
        if ask.person is not None and changed:
            await ask.call(save_dialogue, user_id=ask.person.id, dialogue=stored)
        ask.reply.lang = ask.lang  # found once here: the adapter asks no one again
        return ask.reply, "refused" if ask.refusals else "ok"

    async def _open(self, incoming: Incoming, draw: Draw | None = None) -> Ask:
        person, dialogue = await asyncio.to_thread(
            self.db.run, _who, platform=incoming.platform, account=incoming.account
        )
        lang = pick_language(
            person.language if person else None, incoming.language, self.settings.default_language
        )
        dialogue.draft = steps.typed(dialogue.step, dialogue.draft)  # a report's: its type
        return Ask(self, incoming, person, lang, dialogue, draw)

    async def _route(self, ask: Ask) -> bool:
        """Take the input to its flow; False: refused before any flow, nothing to keep."""
        incoming, router = ask.incoming, self.router
        command = incoming.command
        if ask.person is None and not (command and command[0] in router.open_to_strangers):
            # A stranger's press is refused as such, whatever it carries.
            key = "stale_button" if incoming.choice == "" else "not_registered"
            ask.route = "stranger"
            ask.answer(ask.t(f"error.{key}"))
            ask.refused(key)
            return False
        press = None
        if incoming.choice is not None:
            press = self._parse(ask)
            if press is None:  # forged, malformed or of a version long gone: the one refusal
                ask.route = "press:unknown"
                ask.answer(ask.t("error.stale_button"))
                ask.refused("stale_button")
                return False
        for guard in router.guards:
            if await guard(ask):
                ask.route = f"guard:{getattr(guard, '__name__', 'guard')}"
                return True
        if press is not None:
            await self._pressed(ask, press)
        elif command and command[0] in router.commands:
            ask.args = command[1]
            ask.route = f"/{command[0]}"  # a routed command: a name from a closed set
            await (self._own_step(ask, command[0]) or router.commands[command[0]])(ask)
        else:
            await self._sent(ask)
        return True

    def _parse(self, ask: Ask) -> Press | None:
        """Parse the press once, by the kinds of button routed; None: no kind takes it."""
        for press in self.router.presses:
            if (pressed := press.kind.parse(ask.incoming.choice or "")) is not None:
                ask.pressed = pressed
                return press
        return None

    async def _pressed(self, ask: Ask, press: Press) -> None:
        ask.route = f"press:{press.kind.__name__}"
        if flow := self._own_step(ask, press.kind):
            await flow(ask)
        elif press.steps and ask.dialogue.step not in press.steps:
            ask.answer(ask.t("error.stale_button"))  # an older screen's, of another step
            ask.refused("stale_button")
        else:
            await press.flow(ask)

    def _own_step(self, ask: Ask, what: type[Button] | str) -> Flow | None:
        """Return the dialogue step's own flow for this press or command (Done, Cancel)."""
        to = self.router.to_step.get(what)
        step = ask.dialogue.step
        if to is None or step is None or (to.unless is not None and to.unless(ask)):
            return None
        return self.router.steps.get((step, to.kind))

    async def _sent(self, ask: Ask) -> None:
        """Route a text, photo, document or unknown command: the step's, a form's, a fallback."""
        incoming, router = ask.incoming, self.router
        kind, step = kind_of(incoming), ask.dialogue.step
        if step and kind in ("text", "photo") and (step, kind) in router.steps:
            ask.route = f"step:{step}:{kind}"
            await router.steps[(step, kind)](ask)
            return
        if kind == "text":
            for pattern, flow in router.texts:
                if match := pattern.match((incoming.text or "").strip()):
                    ask.match = match
                    ask.route = f"text:{getattr(flow, '__name__', 'form')}"
                    await flow(ask)
                    return
        for wanted, flow in router.fallbacks:
            if wanted == kind:
                ask.route = f"{kind}:{getattr(flow, '__name__', 'fallback')}"
                await flow(ask)
                return
        ask.route = "not_understood"
        ask.show(ask.t("bot.not_understood"))  # handlers/stray.py answers every kind first


def _without_nul(incoming: Incoming) -> Incoming:
    """Return the input without NUL characters, which no text means and PostgreSQL refuses."""
    text = incoming.text
    if text is None or "\x00" not in text:
        return incoming
    return dataclasses.replace(incoming, text=text.replace("\x00", ""))


def _stored(dialogue: Dialogue) -> Dialogue:
    """Return the dialogue as it is stored: its draft as JSON."""
    return dataclasses.replace(dialogue, draft=steps.stored(dialogue.draft))


def _who(session: Any, *, platform: str, account: str) -> tuple[Person | None, Dialogue]:
    """Return the person behind a platform account and their dialogue, in one session."""
    person = find_person(session, platform=platform, account=account)
    if person is None:
        return None, Dialogue()
    if person.blocked_at is not None:
        # They blocked the bot once and write again: pushes reach them from now on.
        clear_blocked(session, user_id=person.id, platform=platform)
    return person, load_dialogue(session, user_id=person.id)
