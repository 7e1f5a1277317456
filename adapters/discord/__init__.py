"""The Discord adapter (discord.py 2.7): slash commands, persistent buttons, modals, direct messages."""

from adapters.discord.platform import DiscordPlatform

__all__ = ["DiscordPlatform"]
