"""civicbot's events mirrored as Discord scheduled events, where the bot may manage them.

A server whose members look at its Events tab sees the event there too, with its time, place and
description, kept in step with `/event_edit` and `/event_cancel`. The bot needs Manage Events (or Create
Events, which lets it manage the entries it made); without it the card alone announces the event and
nothing is attempted. Entries are "external" events (a place, not a voice channel), which Discord requires
to have an end: the engine gives one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, TypedDict

import discord

from adapters.discord.markdown import neutralize
from bot.inbound import MessageRef
from bot.replies import CalendarEntry

log = logging.getLogger(__name__)

NAME_LIMIT, PLACE_LIMIT, DESCRIPTION_LIMIT = 100, 100, 1000


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _guild_allowing_events(client: discord.Client, channel_id: str) -> discord.Guild | None:
    """The server of a community channel, if the bot may manage scheduled events there."""
    channel = client.get_channel(int(channel_id))
    guild = getattr(channel, "guild", None)
    if not isinstance(guild, discord.Guild) or guild.me is None:
        return None
    permissions = guild.me.guild_permissions
    return guild if permissions.manage_events or permissions.create_events else None


class _Fields(TypedDict):
    """What an entry says, typed as discord.py's overloads for an external event want it."""

    name: str
    start_time: datetime
    end_time: datetime
    location: str
    description: str
    entity_type: Literal[discord.EntityType.external]


def _fields(entry: CalendarEntry) -> _Fields:
    return {
        "name": _fit(entry.title, NAME_LIMIT),
        "start_time": entry.starts_at,
        "end_time": entry.ends_at,
        "location": _fit(entry.place, PLACE_LIMIT),
        "description": _fit(neutralize(entry.description), DESCRIPTION_LIMIT),  # Discord renders its mentions
        "entity_type": discord.EntityType.external,
    }


async def mirror(client: discord.Client, entry: CalendarEntry) -> MessageRef | None:
    """Create, update or cancel the server's scheduled event for `entry`. Returns the new entry's id when
    one was created. Raises discord.py's errors (the outlet turns them into delivery errors)."""
    guild = _guild_allowing_events(client, entry.community.chat_id)
    if guild is None:
        return None
    existing = await _existing(guild, entry.native_id)
    if existing is None:
        if entry.cancelled:
            return None
        created = await guild.create_scheduled_event(
            **_fields(entry), privacy_level=discord.PrivacyLevel.guild_only
        )
        return MessageRef(entry.community, str(created.id))
    if existing.status is not discord.EventStatus.scheduled:
        return None  # already under way, over, or cancelled: Discord allows no change
    if entry.cancelled:
        await existing.cancel()
    else:
        await existing.edit(**_fields(entry))
    return None


async def _existing(guild: discord.Guild, native_id: str | None) -> discord.ScheduledEvent | None:
    """The entry as Discord has it now (the cache is not kept up to date without the events intent); None
    when there is none or a moderator deleted it (an update then creates it again)."""
    if native_id is None:
        return None
    try:
        return await guild.fetch_scheduled_event(int(native_id), with_counts=False)
    except discord.NotFound:
        log.info("scheduled event %s was deleted on Discord", native_id)
        return None
