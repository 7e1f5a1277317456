"""What people do on Discord, as engine events: slash commands, presses, modal submits and DM messages.

Every interaction is dispatched with an `Exchange` that guarantees its response. Who administers a server is
read from the interaction itself (its resolved permissions and the member's roles), so no privileged intent
is needed: Manage Server or Manage Events, or the role named by CIVICBOT_DISCORD_ORGANIZER_ROLE. Global
admins (CIVICBOT_ADMINS) are the engine's to recognize, as on every platform.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from adapters.discord import ids
from adapters.discord.components import answer_modal, claimed_by_item, submitted_text
from adapters.discord.exchange import DEFER_AFTER, Exchange, claim
from bot.engine import Engine
from bot.feature import CommandSpec
from bot.inbound import (
    ButtonPress,
    ChatRef,
    Command,
    FileUpload,
    Inbound,
    MessageRef,
    Person,
    TextMessage,
    TypedAnswer,
)
from bot.runtime import Runtime
from bot.uploads import announced_too_large, read_limited
from config.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "discord"
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=30)


def person_of(user: discord.abc.User, locale: discord.Locale | None = None) -> Person:
    return Person(PLATFORM, str(user.id), user.display_name, locale.value if locale else None)


def chat_of(interaction: discord.Interaction) -> tuple[ChatRef, str | None]:
    """A server channel is a community; anything else is the person's private chat with the bot."""
    if interaction.guild_id is None:
        return ChatRef.private(PLATFORM, str(interaction.user.id)), None
    return ChatRef(PLATFORM, str(interaction.channel_id)), getattr(interaction.channel, "name", None)


class Router:
    """Turns each interaction or DM message into one event for the runtime, and makes sure of its answer."""

    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self.runtime = runtime
        self.settings = settings
        self._role = (settings.discord_organizer_role or "").casefold()
        self.defer_after = DEFER_AFTER

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def is_organizer(self, interaction: discord.Interaction) -> bool:
        """Whether Discord says this member administers the server (global admins are the engine's call:
        `Engine.is_global_admin`, for every platform alike)."""
        if interaction.guild_id is None:
            return False
        permissions = interaction.permissions
        if permissions.administrator or permissions.manage_guild or permissions.manage_events:
            return True
        if not self._role:
            return False
        return any(role.name.casefold() == self._role for role in getattr(interaction.user, "roles", ()))

    def _base(self, interaction: discord.Interaction) -> dict[str, Any]:
        chat, title = chat_of(interaction)
        return {
            "sender": person_of(interaction.user, interaction.locale),
            "chat": chat,
            "chat_title": title,
            "sender_is_admin": not chat.is_private and self.is_organizer(interaction),
            "origin": interaction,
        }

    def _exchange(self, interaction: discord.Interaction, event: Inbound) -> Exchange:
        chat, _ = chat_of(interaction)
        return Exchange(interaction, where=chat, language=self.engine.language_for(event))

    async def _run(self, event: Inbound, exchange: Exchange | None) -> None:
        if exchange is not None:
            exchange.arm(self.defer_after)
        try:
            await self.runtime.dispatch(event)
        except Exception:
            log.exception("a Discord %s could not be handled", type(event).__name__)
        finally:
            if exchange is not None:
                await exchange.finish()

    # -- interactions -----------------------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, spec: CommandSpec, arguments: str) -> None:
        if not claim(interaction):
            return
        event = Command(name=spec.name, args=arguments, **self._base(interaction))
        await self._run(event, self._exchange(interaction, event))

    async def component(
        self, interaction: discord.Interaction, custom_id: str, values: Sequence[str]
    ) -> None:
        """A press on one of our components (or on anything claiming to be one)."""
        if not claim(interaction):
            return
        if custom_id.startswith(ids.INVITE):
            await self._invited(interaction, custom_id[len(ids.INVITE) :])
            return
        prompt = ids.Prompt.from_custom_id(custom_id)
        if prompt is not None:
            await self._answer(interaction, prompt)
            return
        action = values[0] if custom_id.startswith(ids.MENU) and values else ids.action_of(custom_id)
        base = self._base(interaction)
        message = interaction.message
        ref = MessageRef(base["chat"], str(message.id)) if message is not None else None
        event = ButtonPress(action=action, message=ref, **base)
        await self._run(event, self._exchange(interaction, event))

    async def _invited(self, interaction: discord.Interaction, payload: str) -> None:
        """The invitation's button: `/start <payload>` runs in the presser's private chat, as a deep link
        does on Telegram, and the press is answered "I sent you a private message" (or why not)."""
        base = self._base(interaction)
        base.update(chat=ChatRef.private(PLATFORM, str(interaction.user.id)), chat_title=None)
        base["sender_is_admin"] = False
        event = Command(name="start", args=payload, **base)
        exchange = self._exchange(interaction, event)
        exchange.invited = True
        try:
            channel = await interaction.client.create_dm(interaction.user)
            exchange.dm_link = channel.jump_url
        except discord.HTTPException as error:
            log.warning("could not open a DM channel: %s", error)
        await self._run(event, exchange)

    async def _answer(self, interaction: discord.Interaction, prompt: ids.Prompt) -> None:
        """ "Answer": open the modal at once (a modal is itself the response)."""
        language = self.engine.language_for(ButtonPress(action=prompt.action, **self._base(interaction)))
        exchange = Exchange(interaction, where=chat_of(interaction)[0], language=language)
        try:
            await exchange.open_modal(answer_modal(prompt, language))
        except discord.HTTPException as error:
            log.warning("could not open a modal: %s", error)
        await exchange.finish()

    async def modal_submit(self, interaction: discord.Interaction) -> None:
        if not claim(interaction):
            return
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id") or "")
        action = custom_id[len(ids.MODAL) :] if custom_id.startswith(ids.MODAL) else custom_id
        event = TypedAnswer(action=action, text=submitted_text(data), **self._base(interaction))
        await self._run(event, self._exchange(interaction, event))

    async def unclaimed(self, interaction: discord.Interaction) -> None:
        """Every interaction passes here: components no dynamic item takes and all modal submits are routed
        from their custom id, so a forged or outdated one is answered too, never left to fail."""
        if interaction.type is discord.InteractionType.component:
            if claimed_by_item(interaction):
                return
            data: Any = interaction.data or {}
            values = [str(v) for v in data.get("values") or []]
            await self.component(interaction, str(data.get("custom_id") or ""), values)
        elif interaction.type is discord.InteractionType.modal_submit:
            await self.modal_submit(interaction)

    # -- direct messages --------------------------------------------------------------------------------

    async def direct_message(self, message: discord.Message) -> None:
        """Typed text in a DM (message content of DMs needs no privileged intent): it continues a guided
        flow like a modal answer does. A file becomes an upload."""
        if message.author.bot or message.guild is not None:
            return
        base: dict[str, Any] = {
            "sender": person_of(message.author),
            "chat": ChatRef.private(PLATFORM, str(message.author.id)),
            "origin": message,
        }
        event: Inbound
        attachment = message.attachments[0] if message.attachments else None
        if attachment is not None:
            data = None if announced_too_large(attachment.size) else await download(attachment)
            event = FileUpload(
                filename=attachment.filename,
                data=data or b"",
                too_large=data is None,
                media_type=attachment.content_type or "application/octet-stream",
                caption=message.content,
                **base,
            )
        elif message.content:
            event = TextMessage(text=message.content, **base)
        else:
            return
        await self._run(event, None)


async def download(attachment: discord.Attachment) -> bytes | None:
    """The attachment's content, read as a stream that stops past the upload limit (None then);
    `Attachment.read()` would read all of it first. Attachment URLs are signed: no token is needed."""
    async with (
        aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as session,
        session.get(attachment.url) as response,
    ):
        response.raise_for_status()
        if announced_too_large(response.content_length):
            return None
        return await read_limited(response.content.iter_chunked(64 * 1024))
