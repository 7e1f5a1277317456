"""Who may do what, decided in one place.

Each command declares a `Role` (anyone, or organizers) and a `Target` (the kind of object its first argument
names). The engine checks both before the handler runs (`check_command`), so no handler re-decides.

- An **organizer** is a global admin (CIVICBOT_ADMINS), or an administrator of a community as the platform
  reports it. Their rights are per community: a poll, a consultation or an event belongs to one community,
  and only that community's administrators (and global admins) may manage it. In a group, an organizer acts
  for that group only; in a private chat, for every community they administer.
- A **reader** sees the polls and events of the communities they administer or have written in (in a group:
  of that group only). Anything else answers exactly as an unknown number would, so numbers reveal nothing.
- A consultation imported in private by someone who administers several communities (or none yet) belongs
  to nobody until its first launch: until then only its importer and global admins may touch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.inbound import ChatKind
from storage import events as event_store
from storage import residents as resident_store
from storage.polls import latest_poll_in_chat
from storage.tables import Community

if TYPE_CHECKING:
    from bot.context import Context


class Role(Enum):
    ANYONE = "anyone"
    ORGANIZER = "organizer"


class Target(Enum):
    """What a command's first argument names, so the engine can check the person's rights on it."""

    NONE = "none"
    POLL = "poll"  # a poll number; none = the latest poll of this chat
    CONSULTATION = "consultation"  # a consultation id (slug)
    EVENT = "event"  # an event number


@dataclass(frozen=True)
class Scope:
    """The communities a person may act for (or read), or all of them."""

    everywhere: bool
    communities: tuple[Community, ...] = ()
    resident_id: int | None = None

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.communities if c.id is not None)

    def covers(self, community_id: int | None, created_by: int | None = None) -> bool:
        """Whether an object owned by `community_id` is within reach; an object that belongs to no
        community yet is its author's alone."""
        if self.everywhere:
            return True
        if community_id is None:
            return created_by is not None and created_by == self.resident_id
        return community_id in self.ids

    def covers_chat(self, platform: str, chat_id: str) -> bool:
        return self.everywhere or any(
            (c.platform, c.chat_id) == (platform, chat_id) for c in self.communities
        )


NOWHERE = Scope(everywhere=False)


async def _resident_id(ctx: Context) -> int | None:
    resident = await resident_store.find_resident(
        ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id
    )
    return resident.id if resident is not None else None


async def _this_community(ctx: Context) -> Community | None:
    return await resident_store.find_community(ctx.engine.db, ctx.chat.platform, ctx.chat.chat_id)


async def organizer_scope(ctx: Context) -> Scope:
    """The communities this person administers: as last reported by their platforms, and for the group
    they are writing in, as the platform reports it right now."""
    resident_id = await _resident_id(ctx)
    if ctx.engine.is_global_admin(ctx.identity):
        return Scope(everywhere=True, resident_id=resident_id)
    administered = (
        await resident_store.communities_administered(ctx.engine.db, resident_id) if resident_id else []
    )
    if ctx.chat.kind is ChatKind.COMMUNITY:
        here = (ctx.chat.platform, ctx.chat.chat_id)
        administered = [c for c in administered if (c.platform, c.chat_id) != here]
        community = await _this_community(ctx) if ctx.event.sender_is_admin else None
        if community is not None:
            administered.append(community)
    return Scope(everywhere=False, communities=tuple(administered), resident_id=resident_id)


async def reader_scope(ctx: Context) -> Scope:
    """Whose polls and events this person may look up: in a group, that group's; in private, those of the
    communities they administer or have written in."""
    if ctx.engine.is_global_admin(ctx.identity):
        return Scope(everywhere=True)
    if ctx.chat.kind is ChatKind.COMMUNITY:
        community = await _this_community(ctx)
        return Scope(everywhere=False, communities=(community,) if community else ())
    resident_id = await _resident_id(ctx)
    if resident_id is None:
        return NOWHERE
    joined = await resident_store.communities_joined(ctx.engine.db, resident_id)
    return Scope(everywhere=False, communities=tuple(joined), resident_id=resident_id)


async def is_organizer(ctx: Context) -> bool:
    """An organizer of the group they are writing in; in private, of at least one community."""
    if ctx.engine.is_global_admin(ctx.identity):
        return True
    if ctx.chat.kind is ChatKind.COMMUNITY:
        return ctx.event.sender_is_admin
    return bool((await organizer_scope(ctx)).communities)


async def may_manage(ctx: Context, community_id: int | None, created_by: int | None = None) -> bool:
    return (await organizer_scope(ctx)).covers(community_id, created_by)


# -- the one check every command goes through ---------------------------------------------------------------


async def check_command(
    ctx: Context, name: str, role: Role, targets: tuple[Target, ...], args: str
) -> str | None:
    """None when this person may run the command on what its argument names; else the refusal to say.
    Something the person may not even read is refused exactly as a number that does not exist."""
    if role is Role.ORGANIZER and not await is_organizer(ctx):
        return ctx.t._("Sorry, only organizers can use /{name}.", name=name)
    if not targets:
        return None
    token = args.strip().split(maxsplit=1)[0] if args.strip() else ""
    number = token.lstrip("#").removeprefix("n°").strip()
    if number.isdigit() and len(number) <= 12:
        if Target.POLL in targets:
            return await _check_poll(ctx, int(number), role)
        if Target.EVENT in targets:
            return await _check_event(ctx, int(number), role)
    elif not token and Target.POLL in targets and ctx.chat.kind is ChatKind.COMMUNITY:
        latest = await latest_poll_in_chat(ctx.engine.db, ctx.chat.platform, ctx.chat.chat_id)
        return await _check_poll(ctx, latest, role) if latest is not None else None
    elif token and Target.CONSULTATION in targets and role is Role.ORGANIZER:
        return await _check_consultation(ctx, token)
    return None


async def _check_poll(ctx: Context, poll_id: int, role: Role) -> str | None:
    poll = await ctx.engine.polls.info(poll_id)
    manages = poll is not None and (await organizer_scope(ctx)).covers(poll.community_id, poll.created_by)
    if poll is None or not (manages or await _reads_any(ctx, [(p.platform, p.chat_id) for p in poll.posts])):
        return ctx.t._("There is no poll no. {id}.", id=poll_id)
    if role is Role.ORGANIZER and not manages:
        return ctx.t._("Sorry, only organizers of the community this poll belongs to can do that.")
    return None


async def _check_event(ctx: Context, event_id: int, role: Role) -> str | None:
    event = await event_store.get_event(ctx.engine.db, event_id)
    manages = event is not None and (await organizer_scope(ctx)).covers(event.community_id, event.created_by)
    sender = ctx.event.sender
    if event is None or not (
        manages
        or await _reads_any(ctx, [(event.platform, event.chat_id)])
        or await event_store.has_answered(ctx.engine.db, event_id, sender.platform, sender.user_id)
    ):
        return ctx.t._("There is no event no. {id}.", id=event_id)
    if role is Role.ORGANIZER and not manages:
        return ctx.t._("Sorry, only organizers of the community where this event is posted can change it.")
    return None


async def _reads_any(ctx: Context, chats: list[tuple[str, str]]) -> bool:
    readers = await reader_scope(ctx)
    return any(readers.covers_chat(platform, chat_id) for platform, chat_id in chats)


async def _check_consultation(ctx: Context, slug: str) -> str | None:
    loaded = await ctx.engine.consultations.find(slug)
    if loaded is None:
        return None  # the handler says there is no such consultation, and how to list them
    if not (await organizer_scope(ctx)).covers(loaded.row.community_id, loaded.row.created_by):
        return ctx.t._("This consultation belongs to another community: only its organizers can do that.")
    return None
