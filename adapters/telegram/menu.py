"""The command menu Telegram shows when a person types "/": from the engine's registry, in French and in
English, organizer commands only to group administrators (Telegram picks the list by scope and language)."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.feature import CommandSpec
from bot.i18n import LANGUAGES, translator

log = logging.getLogger(__name__)


def menu(commands: list[CommandSpec], language: str, *, organizer: bool) -> list[BotCommand]:
    """Residents' commands, plus the organizers' when `organizer` (an administrators' scope replaces the
    default list for them, so it must hold everything)."""
    t = translator(language)
    specs = [s for s in commands if organizer or not s.organizer]
    return [BotCommand(spec.name, t._(spec.summary)[:256]) for spec in specs]


def scopes() -> list[tuple[BotCommandScope, bool]]:
    return [(BotCommandScopeDefault(), False), (BotCommandScopeAllChatAdministrators(), True)]


async def register_commands(bot: Bot, commands: list[CommandSpec], default_language: str) -> None:
    """One list per scope and language, plus a list without language (people whose app speaks neither)
    in the bot's default language. A failure is logged, never fatal: the commands work typed anyway."""
    try:
        for scope, organizer in scopes():
            for language in LANGUAGES:
                await bot.set_my_commands(
                    menu(commands, language, organizer=organizer), scope=scope, language_code=language
                )
            await bot.set_my_commands(menu(commands, default_language, organizer=organizer), scope=scope)
    except TelegramError as error:
        log.warning("could not register the command menu: %s", error.message)
