"""One interaction's single response, given exactly once, in time, whatever the engine does.

Discord allows one response to an interaction, within 3 seconds, and shows "This interaction failed" when
none came. An `Exchange` owns that response: the first public message answering in the interaction's own
channel becomes the response and later ones are followups; a `Notice` is an ephemeral message; a request
for typed input may open a modal instead. If the engine's work outlasts `DEFER_AFTER`, a watchdog defers
the interaction first; `finish()` acknowledges whatever is still unanswered. A lock keeps the watchdog and
the deliveries from both answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

from adapters.discord.markdown import NO_MENTIONS, Layout, escape
from bot.i18n import translator
from bot.inbound import ChatRef

log = logging.getLogger(__name__)

DEFER_AFTER = 1.5  # seconds of work after which the interaction is deferred (Discord's limit is 3 s)
_KEY = "civicbot.exchange"
_CLAIM = "civicbot.claimed"


def claim(interaction: discord.Interaction) -> bool:
    """True the first time only: an interaction is routed once, whichever path sees it first."""
    if interaction.extras.get(_CLAIM):
        return False
    interaction.extras[_CLAIM] = True
    return True


def exchange_of(origin: object) -> Exchange | None:
    if isinstance(origin, discord.Interaction):
        return origin.extras.get(_KEY)
    return None


def message_kwargs(layout: Layout, view: discord.ui.View | None, file: discord.File | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "embeds": layout.embeds}
    if layout.content is not None:
        kwargs["content"] = layout.content
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    return kwargs


class Exchange:
    def __init__(self, interaction: discord.Interaction, *, where: ChatRef, language: str) -> None:
        self.interaction = interaction
        self.where = where  # the chat the interaction happened in: answers there go through it
        self.language = language
        self.invited = False  # an invitation button: the answer is "I sent you a private message"
        self.dm_link: str | None = None
        self._dms_closed_said = False
        self._thinking = False  # a deferred "thinking…" placeholder awaits the first followup
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._finished = False
        interaction.extras[_KEY] = self

    # -- state ----------------------------------------------------------------------------------------------

    @property
    def answered(self) -> bool:
        return self.interaction.response.is_done()

    @property
    def _opened_modal(self) -> bool:
        return self.interaction.response.type is discord.InteractionResponseType.modal

    @property
    def may_open_modal(self) -> bool:
        """A modal can only be the response to a command or a component, never to a modal submit."""
        return not self.answered and self.interaction.type in (
            discord.InteractionType.application_command,
            discord.InteractionType.component,
        )

    def arm(self, delay: float) -> None:
        """Defer the interaction if no answer went out `delay` seconds from now."""
        self._timer = asyncio.get_running_loop().call_later(delay, self._start_watchdog)

    def _start_watchdog(self) -> None:
        self._watchdog = asyncio.get_running_loop().create_task(self._defer(), name="discord defer")

    # -- answering ------------------------------------------------------------------------------------------

    async def _defer(self) -> None:
        async with self._lock:
            if self.answered:
                return
            interaction = self.interaction
            thinking = interaction.type is discord.InteractionType.application_command or (
                interaction.type is discord.InteractionType.modal_submit and interaction.message is None
            )
            try:
                await interaction.response.defer(thinking=thinking)
            except discord.HTTPException as error:
                log.warning("could not defer interaction %s: %s", interaction.id, error)
                return
            self._thinking = thinking

    async def post(
        self, layout: Layout, view: discord.ui.View | None, file: discord.File | None
    ) -> int | None:
        """Post a public message in the interaction's channel through the interaction; returns its id, or None
        when the response was a modal (nothing can follow one: the caller posts in the channel instead)."""
        kwargs = message_kwargs(layout, view, file)
        async with self._lock:
            if not self.answered:
                response = await self.interaction.response.send_message(**kwargs)
                if response.message_id is None:  # Discord did not say: ask it
                    return (await self.interaction.original_response()).id
                return response.message_id
            if self._opened_modal:
                return None
            message = await self.interaction.followup.send(wait=True, **kwargs)
            self._thinking = False
            return message.id

    async def open_modal(self, modal: discord.ui.Modal) -> bool:
        async with self._lock:
            if not self.may_open_modal:
                return False
            await self.interaction.response.send_modal(modal)
            return True

    async def notice(self, text: str) -> None:
        """The short acknowledgement only the person sees (plain text: an option's label is escaped)."""
        async with self._lock:
            await self._ephemeral(escape(text))

    async def _ephemeral(self, text: str) -> None:
        kwargs: dict[str, Any] = {"content": text[:2000] or "…", "allowed_mentions": NO_MENTIONS}
        if not self.answered:
            await self.interaction.response.send_message(ephemeral=True, **kwargs)
            return
        if self._opened_modal:
            return
        if self._thinking:  # the public placeholder would turn into this private text: drop it first
            self._thinking = False
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.delete_original_response()
        await self.interaction.followup.send(ephemeral=True, **kwargs)

    async def dms_closed(self) -> None:
        """Tell the person, privately and once, that their private messages are closed."""
        async with self._lock:
            if self._dms_closed_said:
                return
            self._dms_closed_said = True
            with contextlib.suppress(discord.HTTPException):
                await self._ephemeral(
                    translator(self.language)._(
                        "I cannot write to you in private: your direct messages are closed. Allow direct "
                        "messages from this server's members (server menu → Privacy settings), then try "
                        "again."
                    )
                )

    async def finish(self) -> None:
        """Every reply was delivered: acknowledge the interaction if nothing else did, and clear a
        "thinking…" placeholder that no followup replaced."""
        if self._finished:
            return
        self._finished = True
        if self._timer is not None:
            self._timer.cancel()
        if self._watchdog is not None:
            await asyncio.gather(self._watchdog, return_exceptions=True)
        async with self._lock:
            try:
                await self._finish()
            except discord.HTTPException as error:
                log.warning("could not acknowledge interaction %s: %s", self.interaction.id, error)

    async def _finish(self) -> None:
        interaction = self.interaction
        if self.invited and not self._dms_closed_said:
            t = translator(self.language)
            sent = t._("I sent you a private message.")
            if self.dm_link:
                sent = t._("I sent you a private message: {link}", link=self.dm_link)
            await self._ephemeral(sent)
            return
        if self.answered:
            if self._thinking:
                self._thinking = False
                await interaction.delete_original_response()
            return
        if interaction.type is discord.InteractionType.component or (
            interaction.type is discord.InteractionType.modal_submit and interaction.message is not None
        ):
            await interaction.response.defer()  # acknowledged, nothing changes on screen
        else:
            await interaction.response.send_message(
                translator(self.language)._("Done."), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
