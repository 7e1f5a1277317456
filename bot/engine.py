"""The engine: events in, replies out. It knows no platform; adapters translate both ways."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable

from bot import authority
from bot.actions import ActionSigner
from bot.clock import Clock, SystemClock
from bot.consultations.service import ConsultationService
from bot.context import Context
from bot.conversations import continue_conversation
from bot.feature import Feature, Registry
from bot.i18n import normalize_language, translator
from bot.inbound import (
    ButtonPress,
    ChatKind,
    Command,
    FileUpload,
    Inbound,
    MessageRef,
    TextMessage,
    TypedAnswer,
)
from bot.polls.service import PollService
from bot.replies import Reply
from bot.reposts import RepostGuard
from config.settings import Settings
from storage import consultations as consultation_store
from storage import polls as poll_store
from storage import residents as resident_store
from storage import state as state_store
from storage.ballots import BallotWriter
from storage.database import Database
from storage.tables import Resident

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        features: Iterable[Feature],
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.registry = Registry(features)  # bot/features.py names them; App.build passes them
        self.clock: Clock = clock or SystemClock()
        self.writer = BallotWriter(db)
        self._signer: ActionSigner | None = None
        self._erasure_key: bytes | None = None
        self._languages: dict[str, str] = {}  # identity → language the resident chose with /lang
        self._communities: dict[str, tuple[int, str | None, str | None]] = {}  # chat key → (id, lang, tz)
        self._admin_seen: dict[tuple[int, str], bool] = {}
        self._members: set[tuple[int, str]] = set()  # (community id, identity) known to be stored
        self._residents: dict[str, int] = {}  # identity → resident id, for residents known to exist
        self._private_open: set[str] = set()  # identities known to have their private chat open
        self.schedule_changed: Callable[[], None] = lambda: None  # the deadline scheduler re-derives its jobs
        self.outbox_changed: Callable[[], None] = lambda: None  # the dispatcher looks at the outbox now
        self.reposts = RepostGuard()  # results posted in a community: once an hour per poll or consultation
        self.polls = PollService(self)
        self.consultations = ConsultationService(self)

    @property
    def signer(self) -> ActionSigner:
        assert self._signer is not None, "Engine.start() was not awaited"
        return self._signer

    @property
    def erasure_key(self) -> bytes:
        """The key of the pseudonyms that stand for forgotten residents (storage.personal_data)."""
        assert self._erasure_key is not None, "Engine.start() was not awaited"
        return self._erasure_key

    async def start(self) -> None:
        secret = self.settings.secret_key
        key = secret.get_secret_value().encode() if secret else await state_store.secret_key(self.db)
        self._signer = ActionSigner(key, prefixes=self.registry.buttons)
        # a key of its own, derived from the secret: a signed button and a pseudonym never share a key
        self._erasure_key = hmac.new(key, b"civicbot: pseudonyms of forgotten residents", "sha256").digest()
        for resident in await resident_store.residents_with_language(self.db):
            self._languages[f"{resident.platform}:{resident.user_id}"] = resident.language or ""
        await poll_store.sweep_poll_keys(self.db)  # a stop right after a close's commit left its key behind
        await consultation_store.sweep_consultation_keys(self.db)  # (and a consultation's, or its drafts')

    async def stop(self) -> None:
        await self.writer.stop()

    # -- language -------------------------------------------------------------------------------------

    def language_for(self, event: Inbound) -> str:
        """The resident's own choice, else (in a community) the community's, else the platform's hint,
        else the default."""
        chosen = self._languages.get(event.sender.identity)
        if chosen:
            return chosen
        if event.chat.kind is ChatKind.COMMUNITY:
            cached = self._communities.get(event.chat.key)
            if cached and cached[1]:
                return cached[1]
        return normalize_language(event.sender.language) or self.settings.default_language

    def remember_language(self, identity: str, language: str | None) -> None:
        if language:
            self._languages[identity] = language
        else:
            self._languages.pop(identity, None)

    def community_language(self, chat_key: str) -> str:
        cached = self._communities.get(chat_key)
        return (cached[1] if cached else None) or self.settings.default_language

    def community_timezone(self, chat_key: str) -> str:
        cached = self._communities.get(chat_key)
        return (cached[2] if cached else None) or self.settings.timezone

    # -- who is who -----------------------------------------------------------------------------------

    async def resident(self, event: Inbound) -> Resident:
        resident = await resident_store.ensure_resident(
            self.db,
            platform=event.sender.platform,
            user_id=event.sender.user_id,
            display_name=event.sender.display_name,
            now=self.clock.now(),
        )
        assert resident.id is not None
        self._residents[event.sender.identity] = resident.id
        return resident

    async def resident_id(self, event: Inbound) -> int:
        known = self._residents.get(event.sender.identity)
        if known is not None:
            return known
        resident = await self.resident(event)
        assert resident.id is not None  # (a stored row)
        return resident.id

    def forget_cached(self, identity: str) -> None:
        self._residents.pop(identity, None)
        self._private_open.discard(identity)
        self._languages.pop(identity, None)
        self._admin_seen = {k: v for k, v in self._admin_seen.items() if k[1] != identity}
        self._members = {k for k in self._members if k[1] != identity}

    def is_global_admin(self, identity: str) -> bool:
        return identity in self.settings.admin_identities

    async def is_organizer(self, ctx: Context) -> bool:
        """An organizer of the group the person writes in; in private, of at least one community."""
        return await authority.is_organizer(ctx)

    async def _track_chat(self, event: Inbound) -> None:
        """Remember communities, their administrators, and residents who opened a private chat."""
        if event.chat.kind is ChatKind.COMMUNITY:
            cached = self._communities.get(event.chat.key)
            if cached is None:
                community = await resident_store.ensure_community(
                    self.db,
                    platform=event.chat.platform,
                    chat_id=event.chat.chat_id,
                    title=event.chat_title or "",
                    now=self.clock.now(),
                )
                cached = (community.id or 0, community.language, community.timezone)
                self._communities[event.chat.key] = cached
            if isinstance(event, Command):
                await self._remember_member(cached[0], event)
                seen_key = (cached[0], event.sender.identity)
                if self._admin_seen.get(seen_key) != event.sender_is_admin and (
                    event.sender_is_admin or event.sender.identity in self._residents
                ):
                    resident_id = await self.resident_id(event)
                    await resident_store.set_community_admin(
                        self.db, cached[0], resident_id, event.sender_is_admin
                    )
                    self._admin_seen[seen_key] = event.sender_is_admin
        elif (
            isinstance(event, (Command, TextMessage, FileUpload))
            and event.sender.identity not in self._private_open
            and not _about_personal_data(event, self.registry)
        ):
            resident = await self.resident(event)
            if not resident.private_chat_open or resident.unreachable:
                await resident_store.update_resident(
                    self.db, resident.id or 0, private_chat_open=True, unreachable=False
                )
            self._private_open.add(event.sender.identity)

    async def _remember_member(self, community_id: int, event: Inbound) -> None:
        """A resident who writes in a community may look up its polls and events in private."""
        key = (community_id, event.sender.identity)
        if key not in self._members:
            await resident_store.add_member(self.db, community_id, await self.resident_id(event))
            self._members.add(key)

    def refresh_community(self, chat_key: str, language: str | None, timezone: str | None) -> None:
        cached = self._communities.get(chat_key)
        if cached:
            self._communities[chat_key] = (cached[0], language, timezone)

    async def mark_unreachable(self, platform: str, user_id: str) -> None:
        self._residents.pop(f"{platform}:{user_id}", None)
        self._private_open.discard(f"{platform}:{user_id}")  # their next private message reopens the chat
        resident = await resident_store.find_resident(self.db, platform, user_id)
        if resident is not None and resident.id is not None:
            await resident_store.update_resident(self.db, resident.id, unreachable=True)

    # -- events ---------------------------------------------------------------------------------------

    async def handle(self, event: Inbound) -> list[Reply]:
        """Everything the event calls for, as replies. Never raises for bad input: a person always gets
        a clear answer, and nothing is stored from a refused request."""
        ctx = Context(self, event, translator(self.language_for(event)))
        try:
            if not isinstance(event, ButtonPress):
                await self._track_chat(event)
            if isinstance(event, Command):
                await self._command(ctx, event)
            elif isinstance(event, ButtonPress):
                await self._button(ctx, event)
            elif isinstance(event, (TextMessage, TypedAnswer)):
                await continue_conversation(ctx)
            elif isinstance(event, FileUpload) and event.chat.is_private and self.registry.upload:
                await self.registry.upload(ctx, event)
        except Exception:
            log.exception("error while handling a %s", type(event).__name__)
            ctx.replies.clear()
            ctx.refuse(ctx.t._("Something went wrong on our side; nothing was changed. Please try again."))
        return ctx.replies

    async def _command(self, ctx: Context, event: Command) -> None:
        spec = self.registry.command(event.name)
        if spec is None:
            if event.chat.is_private:
                ctx.say(
                    ctx.t._("Unknown command /{name}. Send /help to see what I can do.", name=event.name[:32])
                )
            return
        refusal = await authority.check_command(
            ctx, spec.name_in(ctx.t.language), spec.role, spec.targets, event.args
        )
        if refusal is not None:
            ctx.say(refusal)
            return
        await spec.handler(ctx, event.args)

    async def _button(self, ctx: Context, event: ButtonPress) -> None:
        fields = self.signer.verify(event.action)
        if fields is None:
            ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
            return
        handler = self.registry.buttons.get(fields[0])
        if handler is None:
            ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
            return
        await handler(ctx, fields[1:])

    # -- after delivery, and on a timer ------------------------------------------------------------------

    async def delivered(self, track: str, ref: MessageRef) -> None:
        """An adapter posted a tracked message; remember its id so it can be edited later."""
        card, rest = self.registry.card(track)
        if card.delivered is not None:
            await card.delivered(self, rest, ref)

    async def refresh(self, key: str) -> list[Reply]:
        """How a tracked card reads now (the runtime coalesces these into live edits)."""
        card, rest = self.registry.card(key)
        return list(await card.refresh(self, rest)) if card.refresh is not None else []


def _about_personal_data(event: Inbound, registry: Registry) -> bool:
    """/mydata or /forget, typed or opened by their deep link: looking at or erasing one's data is no reason
    to store anything, so that an erasure sticks (only what the resident does next is stored again)."""
    if not isinstance(event, Command):
        return False
    spec = registry.command(event.name)
    name = event.args.strip() if spec is not None and spec.name == "start" else spec.name if spec else ""
    return name in ("mydata", "forget")
