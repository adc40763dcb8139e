"""What no flow expects: say what to do instead of "not understood"."""

from __future__ import annotations

from handlers import kept
from handlers.core import Ask, Router
from handlers.menu import OPENS_ITEMS, TAKES_TEXT, command_lines, commands_among
from handlers.text import esc


def _commands(ask: Ask, names: tuple[str, ...]) -> list[str]:
    return commands_among(ask.person, names) if ask.person else []


def _slashed(names: list[str]) -> str:
    return ", ".join(f"/{name}" for name in names)


async def unknown_command(ask: Ask) -> None:
    """Say the command does not exist, pointing to /help."""
    command = (ask.incoming.text or "").split(maxsplit=1)[0].split("@")[0]
    ask.show(ask.t("stray.command", command=esc(command[:40])))  # what was typed: "/<b"


async def stray_photo(ask: Ask) -> None:
    """Keep a photo for the card just opened; else say how to open an item, or enter one."""
    if await kept.keep_photo(ask):
        return
    opens = _commands(ask, OPENS_ITEMS)
    lines = [ask.t("stray.photo", commands=_slashed(opens))] if opens else []
    if _commands(ask, ("new",)):
        lines.append(ask.t("stray.photo_new"))
    ask.show("\n".join(lines or [ask.t("stray.photo_none")]))


async def stray_text(ask: Ask) -> None:
    """Keep a text after a kept photo as its note; else say which commands take text."""
    if kept.keep_text(ask):
        return
    lines = [ask.t("stray.text")]
    if takes := _commands(ask, TAKES_TEXT):
        lines += [ask.t("stray.text_commands"), *command_lines(ask.lang, takes)]
    if opens := _commands(ask, OPENS_ITEMS):
        lines.append(ask.t("stray.text_item", commands=_slashed(opens)))
    lines.append(ask.t("stray.help"))
    ask.show("\n".join(lines))


def routes(router: Router) -> None:
    """Route the answers to what no flow took (after every flow)."""
    router.fallback("command", unknown_command)
    router.fallback("photo", stray_photo)
    router.fallback("text", stray_text)
