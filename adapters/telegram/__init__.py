"""Telegram: civicbot in Telegram groups and private chats, through python-telegram-bot 22."""

from adapters.telegram.limiter import Limits
from adapters.telegram.platform import TelegramPlatform

__all__ = ["Limits", "TelegramPlatform"]
