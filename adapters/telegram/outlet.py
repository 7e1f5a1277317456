"""The engine's replies → Bot API calls: HTML messages, inline keyboards, edits, toasts, deep links,
photos and documents, prompts for typed input.

Failures come back to the runtime as DeliveryError: permanent when the person cannot be reached (blocked the
bot, never started it, chat gone), so the runtime marks them unreachable and nobody retries; transient
otherwise. Error texts are scrubbed of the token before they travel anywhere.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from adapters.telegram.inbound import PLATFORM
from adapters.telegram.limiter import retry_seconds
from adapters.telegram.prompts import Prompts
from adapters.telegram.rendering import CAPTION_LIMIT, chunk
from adapters.telegram.secrecy import Redactor
from bot.formatting import Rich, doc, p
from bot.inbound import ChatRef, Inbound, MessageRef
from bot.replies import (
    AskInput,
    Attachment,
    Button,
    DeliveryError,
    Edit,
    Invite,
    Keyboard,
    Notice,
    Reply,
    Send,
    invite_button,
    invite_payload,
)

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TOAST_LIMIT = 200  # answerCallbackQuery text
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
CALLBACK_DATA_LIMIT = 64
EMPTY = "…"  # Telegram refuses an empty text
IDEMPOTENCY_MEMORY = 10_000
_UNREACHABLE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


def keyboard(buttons: Keyboard, username: str) -> InlineKeyboardMarkup | None:
    """The inline keyboard of engine buttons: callback buttons, and an invitation's button as the bot's
    deep link (`username`: the bot's)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_button(b, username) for b in row] for row in buttons if row])


def _button(button: Button, username: str) -> InlineKeyboardButton:
    payload = invite_payload(button)
    if payload is not None:
        if not PAYLOAD.fullmatch(payload):
            raise DeliveryError("an invitation's payload is not a valid deep link", permanent=False)
        return InlineKeyboardButton(button.label, url=f"https://t.me/{username}?start={payload}")
    if len(button.action.encode()) > CALLBACK_DATA_LIMIT:
        raise DeliveryError(f"a button's action is over {CALLBACK_DATA_LIMIT} bytes", permanent=False)
    return InlineKeyboardButton(button.label, callback_data=button.action)


def callback_query(event: Inbound | None) -> CallbackQuery | None:
    origin = event.origin if event is not None else None
    return origin.callback_query if isinstance(origin, Update) else None


class TelegramOutlet:
    platform = PLATFORM

    def __init__(self, bot: Bot, prompts: Prompts, redactor: Redactor) -> None:
        self.bot = bot
        self.prompts = prompts
        self.redactor = redactor
        self._answered: set[str] = set()  # callback queries a Notice already answered
        self._sent: OrderedDict[str, MessageRef] = OrderedDict()  # idempotency key → message posted

    # -- the runtime's Outlet protocol -------------------------------------------------------------------

    async def deliver(self, reply: Reply, *, event: Inbound | None) -> MessageRef | None:
        try:
            if isinstance(reply, Send):
                return await self._send_once(reply)
            if isinstance(reply, Edit):
                await self._edit(reply)
                return None
            if isinstance(reply, Notice):
                await self._notice(reply, event)
                return None
            if isinstance(reply, Invite):
                return await self._invite(reply)
            if isinstance(reply, AskInput):
                return await self._ask(reply, event)
        except TelegramError as error:
            raise self._delivery_error(error) from None
        return None

    async def finish(self, event: Inbound) -> None:
        """Every callback query gets an answer, so the person's spinner stops even when nothing was said."""
        query = callback_query(event)
        if query is not None:
            await self.acknowledge(query)

    async def acknowledge(self, query: CallbackQuery) -> None:
        """Answer the query without a toast, unless a Notice did already (Telegram takes one answer)."""
        if query.id in self._answered:
            self._answered.discard(query.id)
            return
        await self._answer(query, None, alert=False)

    # -- each kind of reply -------------------------------------------------------------------------------

    async def _send_once(self, send: Send) -> MessageRef:
        """Telegram has no idempotency key: a key seen before returns the message already posted (an
        outbox retrying a Send whose success it failed to record)."""
        key = send.idempotency_key
        if key is not None and key in self._sent:
            return self._sent[key]
        reply_to = int(send.reply_to.message_id) if send.reply_to is not None else None
        ref = await self._send(send.to, send.body, send.buttons, send.attachment, reply_to=reply_to)
        if key is not None:
            self._sent[key] = ref
            while len(self._sent) > IDEMPOTENCY_MEMORY:
                self._sent.popitem(last=False)
        return ref

    async def _send(
        self,
        to: ChatRef,
        body: Rich,
        buttons: Keyboard,
        attachment: Attachment | None = None,
        *,
        reply_to: int | None = None,
    ) -> MessageRef:
        """Post `body` (in several messages when too long: the keyboard goes with the last); the first quotes
        the message `reply_to`, when given and still there."""
        chat_id = int(to.chat_id)
        markup = keyboard(buttons, self.bot.username)
        if attachment is not None:
            with_alt = body + doc(p(attachment.alt_text)) if attachment.alt_text not in body.plain else body
            texts = chunk(with_alt, first_limit=CAPTION_LIMIT).all
            file = InputFile(attachment.data, filename=attachment.filename)
            send = self.bot.send_photo if attachment.is_image else self.bot.send_document
            first: Message = await send(
                chat_id,
                file,
                caption=texts[0] or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if len(texts) == 1 else None,
                reply_parameters=_quoting(reply_to),
            )
            rest = texts[1:]
        else:
            texts = chunk(body).all
            first = await self._text(chat_id, texts[0], markup if len(texts) == 1 else None, reply_to)
            rest = texts[1:]
        carrier = first
        for index, text in enumerate(rest):
            last = index == len(rest) - 1
            sent = await self._text(chat_id, text, markup if last else None)
            if last and markup is not None:
                carrier = sent
        return MessageRef(to, str(carrier.message_id))

    async def _text(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | ForceReply | None,
        reply_to: int | None = None,
    ) -> Message:
        return await self.bot.send_message(
            chat_id,
            text or EMPTY,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
            reply_parameters=_quoting(reply_to),
        )

    async def _edit(self, edit: Edit) -> None:
        chat_id, message_id = int(edit.target.chat.chat_id), int(edit.target.message_id)
        texts = chunk(edit.body).all
        text = texts[0] if len(texts) == 1 else texts[0].rstrip() + "\n…"  # an edit cannot add messages
        markup = keyboard(edit.buttons, self.bot.username)
        try:
            await self.bot.edit_message_text(
                text or EMPTY,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            reason = error.message.lower()
            if "message is not modified" in reason:
                return  # the message already shows exactly this
            if "no text in the message to edit" not in reason:
                raise
            caption = chunk(edit.body, first_limit=CAPTION_LIMIT).head  # a photo or a document
            try:
                await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as again:
                if "message is not modified" not in again.message.lower():
                    raise

    async def _notice(self, notice: Notice, event: Inbound | None) -> None:
        query = callback_query(event)
        if query is None:
            log.debug("a notice without a button press to answer was dropped")
            return
        if query.id in self._answered:
            return  # one answer per callback query: Telegram refuses a second
        self._answered.add(query.id)
        await self._answer(query, notice.text, alert=notice.alert)

    async def _answer(self, query: CallbackQuery, text: str | None, *, alert: bool) -> None:
        try:
            await self.bot.answer_callback_query(
                query.id, text=text[:TOAST_LIMIT] if text else None, show_alert=alert
            )
        except BadRequest as error:  # too old (over 15 s): the person's spinner stopped by itself
            log.info("a button press could not be acknowledged: %s", self.redactor.scrub(error.message))

    async def _invite(self, invite: Invite) -> MessageRef:
        markup = keyboard(((invite_button(invite.label, invite.payload),),), self.bot.username)
        texts = chunk(invite.body).all
        message: Message | None = None
        for index, text in enumerate(texts):
            message = await self._text(
                int(invite.to.chat_id), text, markup if index == len(texts) - 1 else None
            )
        assert message is not None
        return MessageRef(invite.to, str(message.message_id))

    async def _ask(self, ask: AskInput, event: Inbound | None) -> MessageRef:
        """In private a plain question (the next message answers it); in a group a ForceReply, so the
        person's app opens a reply to it, and the reply is recognised as the answer. A prompt with its
        own buttons (go back, skip) shows them instead of the ForceReply (a message has one markup);
        a reply to it still counts as the answer."""
        chat_id = int(ask.to.chat_id)
        texts = chunk(ask.prompt).all
        for text in texts[:-1]:
            await self._text(chat_id, text, None)
        if ask.to.is_private or ask.buttons:
            message = await self._text(chat_id, texts[-1], keyboard(ask.buttons, self.bot.username))
            self.prompts.remember(chat_id, message.message_id, ask.action)
            return MessageRef(ask.to, str(message.message_id))
        placeholder = (ask.placeholder or ask.field_label)[:64] or None
        reply_to = None
        origin = event.origin if event is not None and event.chat == ask.to else None
        if isinstance(origin, Update) and origin.message is not None:
            reply_to = origin.message.message_id  # a selective ForceReply opens only for its sender
        message = await self._text(
            chat_id, texts[-1], ForceReply(selective=True, input_field_placeholder=placeholder), reply_to
        )
        self.prompts.remember(chat_id, message.message_id, ask.action)
        return MessageRef(ask.to, str(message.message_id))

    # -- failures ------------------------------------------------------------------------------------------

    def _delivery_error(self, error: TelegramError) -> DeliveryError:
        reason = self.redactor.scrub(error.message)
        if isinstance(error, Forbidden):
            return DeliveryError(reason, permanent=True)
        if isinstance(error, BadRequest) and any(s in reason.lower() for s in _UNREACHABLE):
            return DeliveryError(reason, permanent=True)
        if isinstance(error, ChatMigrated):
            return DeliveryError(f"{reason} (the group became a supergroup)", permanent=False)
        if isinstance(error, RetryAfter):
            seconds = retry_seconds(error)
            return DeliveryError(
                "Telegram kept refusing for flood control", permanent=False, retry_after=seconds
            )
        return DeliveryError(reason, permanent=False)


def _quoting(message_id: int | None) -> ReplyParameters | None:
    """Quote an earlier message; if it was deleted meanwhile, post without the quote rather than fail."""
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None
