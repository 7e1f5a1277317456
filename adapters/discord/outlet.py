"""The engine's replies, carried out on Discord (the runtime's `Outlet` for the "discord" platform).

A reply answering an interaction in its own channel goes through the interaction (its response, then
followups); anything else goes through the REST API: server channels by id, private chats through the
member's DM channel. Rate limits are discord.py's business (it waits and retries 429s itself); a refusal is
reported as a `DeliveryError`, permanent when retrying cannot help (403 such as closed DMs, 404, invalid
payloads), transient otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Awaitable

import aiohttp
import discord

from adapters.discord.calendar import mirror
from adapters.discord.components import (
    AnswerButton,
    InviteButton,
    answer_modal,
    keyboard_view,
    single_button_view,
)
from adapters.discord.exchange import Exchange, exchange_of, message_kwargs
from adapters.discord.ids import Prompt
from adapters.discord.markdown import NO_MENTIONS, Layout, layout_edit, layout_message
from bot.formatting import Rich, doc, link, p
from bot.i18n import translator
from bot.inbound import ChatRef, Inbound, MessageRef
from bot.replies import (
    AskInput,
    Attachment,
    CalendarEntry,
    DeliveryError,
    Edit,
    Invite,
    Notice,
    Reply,
    Send,
)

log = logging.getLogger(__name__)

PLATFORM = "discord"
DMS_CLOSED = 50007
STALE_INTERACTION = frozenset(
    {10062, 10015, 40060, 50027}
)  # unknown interaction or webhook, answered, expired
LOGIN_WAIT = 60.0  # seconds a reply may wait for the client to log in (deadlines due at start)

Messageable = discord.PartialMessageable | discord.DMChannel


# What a request to Discord can end with, once discord.py has done its own waiting and retrying
FAILURES = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, TimeoutError)


def _nonce(key: str, part: int) -> str:
    """Discord nonces are at most 25 characters: a digest of the key and the part."""
    return hashlib.blake2b(f"{key}:{part}".encode(), digest_size=12).hexdigest()[:25]


def delivery_error(error: Exception) -> DeliveryError:
    """Permanent when sending again cannot help (403, 404, an invalid payload), else transient; a rate limit
    longer than discord.py waits by itself says when to try again."""
    if isinstance(error, discord.RateLimited):
        return DeliveryError(
            f"rate limited for {error.retry_after:.1f} s", permanent=False, retry_after=error.retry_after
        )
    if isinstance(error, discord.HTTPException):
        permanent = error.status < 500 and error.status != 429
        return DeliveryError(f"{error.status} {error.code}: {error.text}", permanent=permanent)
    return DeliveryError(f"{type(error).__name__}: {error}", permanent=False)


def _file(attachment: Attachment | None) -> discord.File | None:
    if attachment is None:
        return None
    return discord.File(
        io.BytesIO(attachment.data),
        filename=attachment.filename,
        description=attachment.alt_text[:1024] or None,
    )


class DiscordOutlet:
    platform = PLATFORM

    def __init__(self, client: discord.Client, language: str) -> None:
        self.client = client
        self.language = language  # for the few words of the adapter's own in replies with no event
        self.logged_in = asyncio.Event()

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        exchange = exchange_of(event.origin) if event is not None else None
        if isinstance(reply, Notice):
            if exchange is not None:
                await self._guard(exchange.notice(reply.text))
            return None
        if not self.logged_in.is_set():
            try:
                await asyncio.wait_for(self.logged_in.wait(), LOGIN_WAIT)
            except TimeoutError:
                raise DeliveryError("the Discord client is not logged in", permanent=False) from None
        if isinstance(reply, Send):
            view = keyboard_view(reply.buttons, self._language(exchange))
            body = (
                reply.body if reply.reply_to is None else reply.body + await self._jump_link(reply.reply_to)
            )
            return await self._post(
                reply.to, body, view, _file(reply.attachment), exchange, key=reply.idempotency_key
            )
        if isinstance(reply, Edit):
            await self._edit(reply)
            return None
        if isinstance(reply, Invite):
            view = single_button_view(InviteButton(reply.payload, reply.label))
            return await self._post(reply.to, reply.body, view, None, exchange)
        if isinstance(reply, AskInput):
            return await self._ask(reply, exchange)
        if isinstance(reply, CalendarEntry):
            try:
                return await mirror(self.client, reply)
            except FAILURES as error:
                raise delivery_error(error) from error
        return None

    async def finish(self, event: Inbound) -> None:
        exchange = exchange_of(event.origin)
        if exchange is not None:
            await exchange.finish()

    def _language(self, exchange: Exchange | None) -> str:
        return exchange.language if exchange is not None else self.language

    async def _guard(self, call: Awaitable[object]) -> None:
        try:
            await call
        except FAILURES as error:
            raise delivery_error(error) from error

    # -- where messages go ------------------------------------------------------------------------------

    async def _messageable(self, chat: ChatRef) -> Messageable:
        if chat.is_private:
            return await self.client.create_dm(discord.Object(int(chat.chat_id)))
        return self.client.get_partial_messageable(int(chat.chat_id))

    async def _jump_link(self, earlier: MessageRef) -> Rich:
        """A link to an earlier message: an interaction's answer cannot quote a message, a link it can."""
        channel = await self._messageable(earlier.chat)
        guild = getattr(channel, "guild", None)
        where = str(guild.id) if guild is not None else "@me"
        url = f"https://discord.com/channels/{where}/{earlier.chat.chat_id}/{earlier.message_id}"
        return doc(p(link(url, url)))

    async def _post(
        self,
        to: ChatRef,
        body: Rich,
        view: discord.ui.View | None,
        file: discord.File | None,
        exchange: Exchange | None,
        *,
        key: str | None = None,
    ) -> MessageRef:
        """Post a message (several when too long: the view and the file go with the last one). With an
        idempotency key, each part carries a nonce Discord enforces: sent twice (a retry after a crash),
        it is posted once."""
        layouts = layout_message(body)
        message_id = ""
        for n, layout in enumerate(layouts):
            last = n == len(layouts) - 1
            nonce = _nonce(key, n) if key else None
            message_id = await self._post_one(
                to, layout, view if last else None, file if last else None, exchange, nonce=nonce
            )
        return MessageRef(to, message_id)

    async def _post_one(
        self,
        to: ChatRef,
        layout: Layout,
        view: discord.ui.View | None,
        file: discord.File | None,
        exchange: Exchange | None,
        *,
        nonce: str | None = None,
    ) -> str:
        try:
            if exchange is not None and exchange.where == to:
                answered = await self._through(exchange, layout, view, file)
                if answered is not None:
                    return str(answered)
            channel = await self._messageable(to)
            kwargs = message_kwargs(layout, view, file)
            if nonce is not None:
                kwargs["nonce"] = nonce  # discord.py adds enforce_nonce
            message = await channel.send(**kwargs)
            return str(message.id)
        except discord.Forbidden as error:
            if error.code == DMS_CLOSED and exchange is not None and to.is_private:
                await exchange.dms_closed()
            raise delivery_error(error) from error
        except FAILURES as error:
            raise delivery_error(error) from error

    async def _through(
        self, exchange: Exchange, layout: Layout, view: discord.ui.View | None, file: discord.File | None
    ) -> int | None:
        """Through the interaction; None when it cannot carry the message any more (a modal was its response,
        or Discord no longer knows it), so the message goes to the channel instead."""
        try:
            return await exchange.post(layout, view, file)
        except discord.HTTPException as error:
            if error.code not in STALE_INTERACTION:
                raise
            log.warning(
                "interaction %s cannot carry a reply (%s): posting in the channel",
                exchange.interaction.id,
                error.code,
            )
            if file is not None:
                file.reset()
            return None

    async def _edit(self, reply: Edit) -> None:
        layout = layout_edit(reply.body)
        view = keyboard_view(reply.buttons, self.language)
        try:
            channel = await self._messageable(reply.target.chat)
            await channel.get_partial_message(int(reply.target.message_id)).edit(
                content=layout.content, embeds=layout.embeds, view=view, allowed_mentions=NO_MENTIONS
            )
        except FAILURES as error:
            raise delivery_error(error) from error

    async def _ask(self, reply: AskInput, exchange: Exchange | None) -> MessageRef:
        """A modal at once when the person's own interaction can still open one here; in any case the prompt
        is posted with an Answer button (a modal cannot open otherwise) above the engine's other ways out
        (skip, go back), and a typed message answers too."""
        prompt = Prompt.of(reply)
        language = self._language(exchange)
        if exchange is not None and exchange.where == reply.to and exchange.may_open_modal:
            try:
                await exchange.open_modal(answer_modal(prompt, language))
            except discord.HTTPException as error:  # the prompt below still lets them answer
                log.warning("could not open a modal: %s", error)
        answer = AnswerButton(prompt, translator(language)._("Answer"))
        view = keyboard_view(reply.buttons, language, lead=answer)
        return await self._post(reply.to, reply.prompt, view, None, exchange)
