"""The console shell both platforms' consoles share: chat with the bot in a terminal as any
person of the database (or a newcomer), over a platform's offline stand-in.

The shell reads lines, keeps the people and the numbered keyboards, and runs the console
commands; a platform's console (bot/<platform>/console.py) says how a person sends a text, a
photo or a file, presses a button, and how what the bot sent is printed.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session, select

from bot.console_texts import BANNER, UI, USAGE
from handlers.i18n import t
from models.db import Database
from models.settings import Settings
from models.tables import AppUser, Contractor, Identity, Membership, Platform, Role

EXIT_OK, EXIT_NO_PERSONA, EXIT_INTERRUPTED = 0, 2, 130
_NUMBER = re.compile(r"[0-9]+")
_PRESS = re.compile(r"(?:([0-9]+)\.)?([0-9]+)")  # N, or K.N: button N of keyboard K
_ROLE_ORDER = {role: index for index, role in enumerate(Role)}
STRANGER = 0  # the persona number (and `--as` id) of a newcomer nobody has registered
STRANGER_IDS = 900_000_001  # Telegram ids newcomers get here, the first one no person has


@dataclass(frozen=True)
class Keyboard:
    """Buttons the console showed (marked ⌨number), pressable while still on screen."""

    number: int
    chat: int | str  # whose they are: a Telegram chat id, a WeCom userid
    buttons: list[tuple[str, str | None]]  # (label, data), numbered from 1 in this order
    where: Any  # the platform's own handle: a Telegram message id, WeCom's cards


@dataclass(frozen=True)
class Persona:
    """A registered, active user as the console lists them."""

    telegram_id: int
    name: str
    language: str | None
    roles: tuple[Role, ...]
    contractors: tuple[str, ...]


def list_personas(*, session: Session) -> list[Persona]:
    """Return active users holding any role, by role then contractor, with contractor names."""
    rows = session.exec(
        select(AppUser, Identity.account, Membership, Contractor)
        .join(Membership, Membership.user_id == AppUser.id)
        .join(Identity, Identity.user_id == AppUser.id)
        .join(Contractor, Membership.contractor_id == Contractor.id, isouter=True)
        .where(AppUser.active == True, Identity.platform == Platform.telegram)  # noqa: E712
    ).all()
    users: dict[int, AppUser] = {}
    chats: dict[int, int] = {}
    roles: dict[int, set[Role]] = {}
    firms: dict[int, set[str]] = {}
    for user, account, membership, contractor in rows:
        users[user.id] = user
        chats[user.id] = int(account)
        roles.setdefault(user.id, set()).add(membership.role)
        if contractor is not None:
            firms.setdefault(user.id, set()).add(contractor.name)
    people = [
        Persona(
            telegram_id=chats[key],
            name=user.name,
            language=user.language,
            roles=tuple(sorted(roles[key], key=_ROLE_ORDER.__getitem__)),
            contractors=tuple(sorted(firms.get(key, ()))),
        )
        for key, user in users.items()
    ]
    people.sort(key=lambda p: (_ROLE_ORDER[p.roles[0]], p.contractors, p.telegram_id))
    return people


def log_to_file(settings: Settings) -> None:
    """Keep the terminal for the conversation: problems go to a log file beside the data."""
    log_file = settings.media_dir.parent / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_file, level=logging.WARNING)


class Console:
    """One terminal session: who is talking, reading lines, the console commands."""

    def __init__(
        self,
        db: Database,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path | None = None,
        lang: str = "zh",
    ) -> None:
        self.files_dir = files_dir
        self.db = db
        self.stdin = stdin
        self.stdout = stdout
        self.lang = lang if lang in UI else "zh"
        # input() gives line editing and history, but only on the real terminal streams.
        self.interactive = stdin is sys.stdin and stdout is sys.stdout and _isatty(stdin)
        self.people: list[Persona] = []
        # A person's number in the list, kept for the session: someone joining takes the next.
        self.numbers: dict[int, int] = {}
        self.keyboards: list[Keyboard] = []  # every set of buttons shown, marked ⌨1, ⌨2, ...
        self.persona: Persona | None = None
        self.commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "as": self.cmd_as,
            "who": self.cmd_who,
            "photo": self.cmd_photo,
            "file": self.cmd_file,
            "press": self.cmd_press,
            "say": self.cmd_say,
            "help": self.cmd_help,
            "quit": self.cmd_quit,
            "q": self.cmd_quit,
            "exit": self.cmd_quit,
        }

    # -- the session ------------------------------------------------------------------------

    async def run(self, persona: int | None) -> int:
        """Greet, pick a persona, then handle lines until the end; return the exit code."""
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  -- importing it is what enables editing
        for line in BANNER:
            self.write(line)
        self.refresh()
        if not self.people:
            self.say("no_people")
        self.show_people()
        if persona is not None:
            chosen = self.stranger() if persona == STRANGER else self.find(persona)
            if chosen is None:
                self.say("no_persona", id=persona)
                return EXIT_NO_PERSONA
            self.switch(chosen)
        try:
            if self.persona is None and not self.choose():
                return EXIT_OK
            while (line := self.read(self.prompt())) is not None:
                if not await self.handle(line):
                    return EXIT_OK
        except KeyboardInterrupt:
            self.write("")
            return EXIT_INTERRUPTED
        return EXIT_OK

    def choose(self) -> bool:
        """Ask for a persona number until one is given; False on end of input or :quit."""
        while (line := self.read(self.ui("choose", n=self.last_number()))) is not None:
            name, arg = _split_command(line) if line[0] in ":：" else ("as", line)
            if name in ("quit", "q", "exit"):
                return False
            if name == "help":
                self.say("help")
                continue
            if name == "who":
                self.show_people()
                continue
            if name != "as":
                self.say("unknown", command=line.split()[0])
                continue
            if not arg:
                self.say("usage", usage=USAGE["as"])
                continue
            chosen = self.pick(arg)
            if chosen is not None:
                self.switch(chosen)
                return True
        return False

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        if line[0] in ":：":  # a Chinese input method types the full-width colon
            name, arg = _split_command(line)
            command = self.commands.get(name)
            if command is None:
                self.say("unknown", command=line.split()[0])
                return True
            return await command(arg)
        if _PRESS.fullmatch(line):
            return await self.cmd_press(line)
        await self.send_text(line)
        return True

    def read(self, prompt: str) -> str | None:
        """Return the next meaningful input line (stripped), or None at the end of input."""
        while True:
            if self.interactive:
                try:
                    with _ctrl_c_raises():
                        raw = input(prompt)
                except EOFError:
                    self.write("")
                    return None
            else:
                raw = self.stdin.readline()
                if not raw:
                    return None
                raw = raw.rstrip("\r\n")
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not self.interactive:
                self.write(prompt + line)  # so a replayed file reads like a session
            return line

    # -- console commands -------------------------------------------------------------------

    async def cmd_as(self, arg: str) -> bool:
        """Switch to another persona, by list number or Telegram id."""
        if not arg:
            self.say("usage", usage=USAGE["as"])
            return True
        self.refresh()
        chosen = self.pick(arg)
        if chosen is not None:
            self.switch(chosen)
        return True

    async def cmd_who(self, arg: str) -> bool:
        """List the personas again, marking the current one."""
        self.refresh()
        self.show_people()
        return True

    async def cmd_press(self, arg: str) -> bool:
        """Press button N of the latest buttons, or K.N: button N of the buttons marked ⌨K."""
        if not arg:
            self.say("usage", usage=USAGE["press"])
            return True
        found = _PRESS.fullmatch(arg)
        if found is None:
            self.say("not_number", arg=arg)
            return True
        keyboard = self.marked(int(found[1])) if found[1] else self.newest_keyboard()
        if keyboard is None:
            if not found[1]:
                self.say("no_keyboard")
            return True
        number = int(found[2])
        if not 1 <= number <= len(keyboard.buttons):
            self.say("no_button", arg=found[2], n=len(keyboard.buttons))
            return True
        label, data = keyboard.buttons[number - 1]
        if data is None:
            self.say("link_button", arg=found[2])
            return True
        if not self.on_screen(keyboard, number - 1):
            self.say("keyboard_gone", k=keyboard.number)
            return True
        self.say("pressed", label=label)
        await self.press_button(keyboard, number - 1)
        return True

    def marked(self, number: int) -> Keyboard | None:
        """Return the keyboard marked ⌨number if it is the current person's; else say why not."""
        if not 1 <= number <= len(self.keyboards):
            self.say("no_such_keyboard", k=number)
            return None
        keyboard = self.keyboards[number - 1]
        if keyboard.chat != self.own_chat():
            self.say("keyboard_elsewhere", k=number, name=self.chat_name(keyboard.chat))
            return None
        return keyboard

    def keep_keyboard(
        self, chat: int | str, buttons: list[tuple[str, str | None]], where: Any
    ) -> Keyboard:
        """Number a set of buttons just shown (⌨K), to be pressed later by `:press K.N`."""
        keyboard = Keyboard(len(self.keyboards) + 1, chat, buttons, where)
        self.keyboards.append(keyboard)
        return keyboard

    # What a platform's console answers about its keyboards (here: Telegram's).

    # What a platform's console does (bot/<platform>/console.py).

    async def send_text(self, text: str) -> None:
        """Send a text as the current person and print what follows."""
        raise NotImplementedError

    async def cmd_photo(self, arg: str) -> bool:
        """Send an image file as a photo, with an optional caption."""
        raise NotImplementedError

    async def cmd_file(self, arg: str) -> bool:
        """Send a file, with an optional caption."""
        raise NotImplementedError

    def own_chat(self) -> int | str:
        """Return the current person's chat, as keyboards name it."""
        raise NotImplementedError

    def chat_name(self, chat: int | str) -> str:
        """Return who a chat belongs to."""
        raise NotImplementedError

    def newest_keyboard(self) -> Keyboard | None:
        """Return the latest buttons in the current person's chat that can still be pressed."""
        raise NotImplementedError

    def on_screen(self, keyboard: Keyboard, index: int) -> bool:
        """Tell whether a keyboard's button can still be pressed."""
        raise NotImplementedError

    async def press_button(self, keyboard: Keyboard, index: int) -> None:
        """Press a keyboard's button and print what follows."""
        raise NotImplementedError

    async def cmd_say(self, arg: str) -> bool:
        """Send the rest of the line as a message, even a number or a leading colon."""
        if not arg:
            self.say("usage", usage=USAGE["say"])
        else:
            await self.send_text(arg)
        return True

    async def cmd_help(self, arg: str) -> bool:
        """Explain the console commands."""
        self.say("help")
        return True

    async def cmd_quit(self, arg: str) -> bool:
        """Leave."""
        return False

    # -- people -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the people (an invite may have registered someone meanwhile).

        Each keeps the number they were first listed with; a newcomer takes the next one.
        """
        people = self.db.run(list_personas)
        for person in people:
            self.numbers.setdefault(person.telegram_id, len(self.numbers) + 1)
        self.people = sorted(people, key=lambda p: self.numbers[p.telegram_id])
        if self.persona is not None:
            self.persona = self.find(self.persona.telegram_id) or self.persona

    def find(self, telegram_id: int) -> Persona | None:
        """Return the persona with this Telegram id, if registered."""
        return next((p for p in self.people if p.telegram_id == telegram_id), None)

    def pick(self, arg: str) -> Persona | None:
        """Return the persona numbered `arg` (or with that Telegram id), else say why not."""
        if not _NUMBER.fullmatch(arg):
            self.say("not_number", arg=arg)
            return None
        number = int(arg)
        if number == STRANGER:
            return self.stranger()
        numbered = next((p for p in self.people if self.numbers[p.telegram_id] == number), None)
        chosen = numbered or self.find(number)
        if chosen is None:
            self.say("bad_number", arg=arg, n=self.last_number())
        return chosen

    def last_number(self) -> int:
        """Return the highest persona number listed."""
        return max((self.numbers[p.telegram_id] for p in self.people), default=0)

    def stranger(self) -> Persona:
        """A newcomer: a Telegram id no registered person has (a new one once they register)."""
        taken = {person.telegram_id for person in self.people}
        telegram_id = next(i for i in itertools.count(STRANGER_IDS) if i not in taken)
        return Persona(telegram_id, self.ui("stranger"), None, (), ())

    def switch(self, persona: Persona) -> None:
        """Chat as this persona from now on."""
        self.persona = persona
        self.say("now_as", name=persona.name, roles=self.roles(persona))

    def roles(self, persona: Persona) -> str:
        """The persona's roles in the console language."""
        if not persona.roles:
            return self.ui("unregistered")
        return self.ui("sep").join(t(self.lang, f"role.{role.value}") for role in persona.roles)

    def prompt(self) -> str:
        """The prompt naming who is talking, e.g. `王工 (施工单位)> `."""
        assert self.persona is not None
        return f"{self.persona.name} ({self.roles(self.persona)})> "

    def show_people(self) -> None:
        """Print the numbered personas with roles and contractor."""
        self.say("personas")
        newcomer = self.persona is not None and not self.persona.roles
        mark = "*" if newcomer else " "
        self.write(f"{mark}{STRANGER:>3}. {self.ui('stranger')} · {self.ui('unregistered')}")
        for person in self.people:
            number = self.numbers[person.telegram_id]
            mark = "*" if self.persona and person.telegram_id == self.persona.telegram_id else " "
            parts = [person.name, self.roles(person), *person.contractors]
            self.write(f"{mark}{number:>3}. {' · '.join(parts)}  [id {person.telegram_id}]")

    def name_of(self, chat_id: int) -> str:
        """Who a persona's id belongs to, for notifications."""
        person = self.find(chat_id)
        if person is None:
            self.refresh()
            person = self.find(chat_id)
        return person.name if person is not None else str(chat_id)

    # -- talking to the bot -----------------------------------------------------------------

    def load(self, arg: str, command: str) -> tuple[bytes, Path, str | None] | None:
        """Read `PATH [caption]` (PATH may be quoted); say why not and return None on error."""
        try:
            if arg[:1] in ("'", '"'):
                words = shlex.split(arg)
                raw_path, caption = words[0], " ".join(words[1:])
            else:
                raw_path, _, caption = arg.partition(" ")
        except (ValueError, IndexError):
            raw_path, caption = "", ""
        if not raw_path:
            self.say("usage", usage=USAGE[command])
            return None
        path = Path(raw_path).expanduser()
        if not path.is_file():
            self.say("no_file", path=raw_path)
            return None
        try:
            data = path.read_bytes()
        except OSError as error:
            self.say("unreadable", path=raw_path, error=error.strerror or error)
            return None
        return data, path, caption.strip() or None

    def keep_file(self, name: str, data: bytes) -> Path | None:
        """Write a file the bot sent into the files folder, never over an earlier one."""
        assert self.files_dir is not None
        path = self.files_dir / name
        stem, suffix = path.stem, path.suffix
        for copy in itertools.count(2):  # never overwrite an earlier one (two exports a day)
            if not path.exists():
                break
            path = self.files_dir / f"{stem}-{copy}{suffix}"
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as error:
            self.say("unwritable", path=path, error=error.strerror or error)
            return None
        return path

    # -- output -----------------------------------------------------------------------------

    def ui(self, key: str, **params: Any) -> str:
        """A console text in the console language."""
        template = UI[self.lang][key]
        return template.format(**params) if params else template

    def say(self, key: str, **params: Any) -> None:
        """Print a console text."""
        self.write(self.ui(key, **params))

    def write(self, text: str) -> None:
        """Print a line (flushed, so a pipe shows it at once)."""
        self.stdout.write(text + "\n")
        self.stdout.flush()


def _isatty(stream: TextIO) -> bool:
    """Whether a stream is a terminal (a stream without isatty is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _split_command(line: str) -> tuple[str, str]:
    """`:name rest` as (lower-case name, stripped rest)."""
    name, _, arg = line[1:].strip().partition(" ")
    return name.lower(), arg.strip()


def one_line(error: BaseException) -> str:
    """An exception as one short line, without its traceback."""
    text = " ".join(str(error).split())
    line = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return line if len(line) <= 200 else line[:199] + "…"


@contextlib.contextmanager
def _ctrl_c_raises() -> Iterator[None]:
    """Make Ctrl-C at the prompt raise KeyboardInterrupt, whatever asyncio installed."""
    # asyncio.run's own handler only cancels the task, which a blocking input() never sees.
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        # None means a handler set outside Python, which cannot be put back; use the default.
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
