"""Consultation lifecycle: import, launch, opening window, closing, and the cached definitions.

`Loaded` and `State` live in bot/consultations/loaded.py (the results and the flow need them without the
lifecycle); they are imported here for the callers that know them from this module."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.consultations.loaded import Loaded, State
from bot.consultations.loading import load_definition
from bot.consultations.model import definition_to_json
from bot.consultations.progress import length_text
from bot.consultations.publishing import closed_notice, results_replies
from bot.dates import format_when
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator, translator
from bot.inbound import ChatRef, MessageRef
from bot.outbox.codec import reply_to_json
from bot.private_results import organizers_to_notify
from bot.replies import Edit, Invite, Keyboard, Reply, Send, invite_button
from storage import consultations as store
from storage.outbox import Outgoing
from storage.tables import Consultation

if TYPE_CHECKING:
    from bot.authority import Scope
    from bot.consultations.model import ConsultationDefinition
    from bot.context import Context
    from bot.engine import Engine

SCHEDULER = "civicbot:scheduler"
CARD = "consultation"  # the tracked invitation cards: `consultation:<id>`
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # definitions may be imported after they opened


class ConsultationService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._definitions: dict[int, tuple[str, ConsultationDefinition]] = {}

    def definition_of(self, row: Consultation) -> ConsultationDefinition:
        """Parsed once per version of the source, then served from memory."""
        cached = self._definitions.get(row.id or 0)
        if cached is None or cached[0] != row.source:
            cached = (row.source, load_definition(row.source, t=translator("en"), now=LONG_AGO))
            self._definitions[row.id or 0] = cached
        return cached[1]

    async def find(self, slug: str) -> Loaded | None:
        row = await store.by_slug(self.engine.db, slug.strip().lower()[:40])
        return None if row is None else Loaded(row, self.definition_of(row))

    async def get(self, consultation_id: int) -> Loaded | None:
        row = await store.by_id(self.engine.db, consultation_id)
        return None if row is None else Loaded(row, self.definition_of(row))

    def state(self, row: Consultation) -> State:
        now = self.engine.clock.now()
        if row.closed_at is not None or row.closes_at <= now:
            return State.CLOSED
        if row.opens_at is not None and row.opens_at > now:
            return State.DRAFT
        return State.OPEN

    def window_message(self, row: Consultation, t: Translator) -> str | None:
        """Why a resident cannot answer now, or None when they can."""
        state = self.state(row)
        if state is State.DRAFT and row.opens_at is not None:
            when = format_when(row.opens_at, tz=row.timezone, language=t.language)
            return t._("This consultation opens {when}.", when=when)
        if state is State.CLOSED:
            return t._("This consultation is closed; thank you for your interest.")
        return None

    # -- organizers ------------------------------------------------------------------------------------------

    async def import_source(
        self,
        source: str,
        *,
        t: Translator,
        actor: str,
        created_by: int | None = None,
        scope: Scope | None = None,
    ) -> Consultation:
        """Validate then store; raises DefinitionErrors (every problem, with its line), ConsultationLocked,
        ConsultationTaken (the id belongs to a consultation outside the importer's `scope`). A consultation
        belongs to the importer's community when they administer exactly one; else to nobody until its
        first launch."""
        engine = self.engine
        definition = load_definition(source, t=t, now=LONG_AGO)
        row = Consultation(
            slug=definition.id,
            title=definition.title.get("fr")[:300],
            definition=json.dumps(definition_to_json(definition), ensure_ascii=False),
            source=source,
            anonymous=definition.anonymous,
            results_public=definition.results_public,
            timezone=definition.timezone,
            opens_at=definition.opens_at,
            closes_at=definition.closes_at,
            created_at=engine.clock.now(),
            created_by=created_by,
            community_id=_sole_community(scope),
        )
        saved = await store.save_consultation(
            engine.db,
            row,
            actor=actor,
            now=engine.clock.now(),
            may_replace=lambda old: scope is None or scope.covers(old.community_id, old.created_by),
        )
        engine.schedule_changed()
        return saved

    def invitation(self, loaded: Loaded, t: Translator) -> Rich:
        definition = loaded.definition
        row = loaded.row
        blocks = [
            p(b(definition.title.get(t.language))),
            p(definition.description.get(t.language)) if definition.description else None,
            p(
                " · ".join(
                    [
                        length_text(definition, t),
                        t._("anonymous answers") if row.anonymous else t._("answers linked to your name"),
                        t._(
                            "until {when}",
                            when=format_when(row.closes_at, tz=row.timezone, language=t.language),
                        ),
                    ]
                )
            ),
        ]
        waiting = self.window_message(row, t)
        blocks.append(
            p(i(waiting or t._("Tap the button to answer in a private chat, one question at a time.")))
        )
        return doc(*blocks)

    def invite(self, loaded: Loaded, chat: ChatRef, t: Translator, *, card: bool = False) -> Invite:
        """The invitation; the `card` of a community where it was launched is tracked, to be edited when its
        deadline moves (`card_edits`)."""
        return Invite(
            to=chat,
            body=self.invitation(loaded, t),
            label=t._("Take part"),
            payload=f"c_{loaded.row.slug}",
            track=f"{CARD}:{loaded.id}" if card else None,
        )

    async def card_edits(self, consultation_id: int) -> list[Reply]:
        """Each community's invitation card as it reads now (after its deadline moved)."""
        loaded = await self.get(consultation_id)
        if loaded is None:
            return []
        edits: list[Reply] = []
        for launch in await store.launches(self.engine.db, consultation_id):
            if launch.message_id is None:
                continue
            chat = ChatRef(launch.platform, launch.chat_id)
            t = translator(self.engine.community_language(chat.key))
            buttons: Keyboard = ()
            if self.state(loaded.row) is not State.CLOSED:
                buttons = ((invite_button(t._("Take part"), f"c_{loaded.row.slug}"),),)
            target = MessageRef(chat, launch.message_id)
            edits.append(Edit(target=target, body=self.invitation(loaded, t), buttons=buttons))
        return edits

    async def launch(self, ctx: Context, loaded: Loaded) -> None:
        engine = self.engine
        await store.add_launch(
            engine.db,
            loaded.id,
            ctx.chat.platform,
            ctx.chat.chat_id,
            actor=ctx.identity,
            now=engine.clock.now(),
        )
        engine.schedule_changed()  # its closing reminders are planned where it is launched
        t = translator(engine.community_language(ctx.chat.key))
        ctx.replies.append(self.invite(loaded, ctx.chat, t, card=True))

    # -- on a timer ----------------------------------------------------------------------------------------

    async def close(self, consultation_id: int, *, actor: str) -> list[Reply]:
        """Close (idempotent), erase every draft, and post the results where it was launched, or, when its
        results are not public, only that it closed and how many took part (the results then go to its
        organizers in private). The submissions still waiting sealed are written before the results are
        read (storage.consultations.close_consultation)."""
        engine = self.engine
        loaded = await self.get(consultation_id)
        if loaded is None:
            return []
        public = loaded.row.results_public

        async def announce() -> list[Outgoing]:
            rows: list[Outgoing] = []

            def queue(replies: list[Reply], chat: ChatRef) -> None:
                for n, reply in enumerate(replies):
                    key = f"consultation:{consultation_id}:results:{chat.key}:{n}"
                    rows.append(Outgoing(key, chat.platform, chat.key, reply_to_json(reply)))

            launches = await store.launches(engine.db, consultation_id)
            submissions = 0 if public else await store.submission_count(engine.db, consultation_id)
            for launch in launches:
                chat = ChatRef(launch.platform, launch.chat_id)
                t = translator(engine.community_language(chat.key))
                if public:
                    queue(await results_replies(engine, loaded, chat, t, closing=True), chat)
                else:
                    queue([Send(to=chat, body=closed_notice(loaded, submissions, t))], chat)
            if not public:
                async with engine.db.read() as session:
                    organizers = await organizers_to_notify(
                        session,
                        engine.settings,
                        community_id=loaded.row.community_id,
                        created_by=loaded.row.created_by,
                        platforms={launch.platform for launch in launches},
                    )
                for organizer in organizers:
                    t = translator(organizer.language or engine.settings.default_language)
                    replies = await results_replies(
                        engine, loaded, organizer.chat, t, closing=True, private=True
                    )
                    queue(replies, organizer.chat)
            return rows

        closed = await store.close_consultation(
            engine.db,
            consultation_id,
            now=engine.clock.now(),
            actor=actor,
            announce=announce,
            min_group=engine.settings.min_group,
        )
        if closed:
            engine.schedule_changed()
            engine.outbox_changed()
        return []

    async def due(self) -> list[Reply]:
        """Open and close what fell due (at start, and when a scheduler job fires)."""
        engine = self.engine
        now = engine.clock.now()
        replies: list[Reply] = []
        for consultation_id, opens_at, closes_at in await store.open_consultation_deadlines(engine.db):
            if closes_at <= now:
                replies.extend(await self.close(consultation_id, actor=SCHEDULER))
            elif opens_at is not None and opens_at <= now:
                replies.extend(await self._announce_opening(consultation_id))
        return replies

    async def _announce_opening(self, consultation_id: int) -> list[Reply]:
        loaded = await self.get(consultation_id)
        if loaded is None or loaded.row.opening_announced:
            return []
        if not await store.mark_opening_announced(self.engine.db, consultation_id):
            return []  # another process announced it
        replies: list[Reply] = []
        for launch in await store.launches(self.engine.db, consultation_id):
            chat = ChatRef(launch.platform, launch.chat_id)
            t = translator(self.engine.community_language(chat.key))
            replies.append(Send(to=chat, body=doc(p(b(t._("The consultation is open!"))))))
            replies.append(self.invite(loaded, chat, t))
        return replies


def _sole_community(scope: Scope | None) -> int | None:
    """The importer's community when they administer exactly one (a global admin's import waits for its
    first launch to belong somewhere)."""
    if scope is None or scope.everywhere or len(scope.ids) != 1:
        return None
    return next(iter(scope.ids))


__all__ = ["ConsultationService", "Loaded", "State"]
