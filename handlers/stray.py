"""What no flow expects: say what to do instead of "not understood"."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers.common import BotContext
from handlers.menu import OPENS_ITEMS, TAKES_TEXT, command_lines, commands_among
from handlers.menu import nothing_to_cancel as nothing_to_cancel_text


def _commands(context: BotContext, names: tuple[str, ...]) -> list[str]:
    return commands_among(context.person, names) if context.person else []


def _slashed(names: list[str]) -> str:
    return ", ".join(f"/{name}" for name in names)


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """Say there is nothing to cancel; to whom may cancel an item, how."""
    await update.message.reply_text(nothing_to_cancel_text(context.lang, context.person))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Say the command does not exist, pointing to /help."""
    command = (update.message.text or "").split(maxsplit=1)[0].split("@")[0]
    await update.message.reply_text(context.t("stray.command", command=command[:40]))


async def stray_photo(update: Update, context: BotContext) -> None:
    """Say a photo belongs to an item: which command opens one, or enters one."""
    opens = _commands(context, OPENS_ITEMS)
    lines = [context.t("stray.photo", commands=_slashed(opens))] if opens else []
    if _commands(context, ("new",)):
        lines.append(context.t("stray.photo_new"))
    await update.message.reply_text("\n".join(lines or [context.t("stray.photo_none")]))


async def stray_text(update: Update, context: BotContext) -> None:
    """Say which of the person's commands take text, and how to write about an item."""
    lines = [context.t("stray.text")]
    if takes := _commands(context, TAKES_TEXT):
        lines += [context.t("stray.text_commands"), *command_lines(context.lang, takes)]
    if opens := _commands(context, OPENS_ITEMS):
        lines.append(context.t("stray.text_item", commands=_slashed(opens)))
    lines.append(context.t("stray.help"))
    await update.message.reply_text("\n".join(lines))


def register(app: Application) -> None:
    """Add the answers to what no flow took (after every flow)."""
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.PHOTO, stray_photo))
    app.add_handler(MessageHandler(filters.TEXT, stray_text))
