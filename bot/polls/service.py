"""Poll behaviour: posting copies, one-tap votes, live cards, closing by command or deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar, cast

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import Context
from bot.formatting import Rich, b, doc, i, p
from bot.i18n import Translator, translator
from bot.inbound import ChatRef, MessageRef
from bot.outbox.codec import reply_to_json
from bot.polls.card import card_buttons, render_card, results_lines
from bot.polls.spec import PollSpec
from bot.private_results import organizers_to_notify
from bot.replies import Edit, Refresh, Reply, Send
from storage import polls as poll_store
from storage.ballots import Outcome, Tap, public_voter, voter_key
from storage.database import Database
from storage.outbox import Outgoing
from storage.polls import PollInfo

if TYPE_CHECKING:
    from bot.engine import Engine

SCHEDULER = "civicbot:scheduler"
T = TypeVar("T")


def corrected_since(t: Translator) -> str:
    """What a tap on a vote button of an earlier version of the poll is told."""
    return t._("This poll was corrected since: vote again on its card as it reads now.")


class PollService:
    CACHE_LIMIT = 10_000  # polls remembered at most (a poll is a few hundred bytes)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._info: dict[int, PollInfo] = {}
        self._keys: dict[int, bytes] = {}
        self._loading: dict[tuple[object, int], asyncio.Future[object]] = {}

    async def _once(self, load: Callable[[Database, int], Awaitable[T]], poll_id: int) -> T:
        """`load(db, poll_id)`, one query for many waiters: when a crowd taps a poll this process has not
        cached yet, the first tap loads it and the others wait for that answer instead of each asking the
        database."""
        pending = self._loading.get((load, poll_id))
        if pending is not None:
            return cast(T, await pending)  # (each key's future holds what that `load` returns)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._loading[(load, poll_id)] = future
        try:
            value = await load(self.engine.db, poll_id)
            future.set_result(value)
            return value
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark it retrieved when nobody else waited
            raise
        finally:
            del self._loading[(load, poll_id)]

    # -- lookups (cached: a vote must not cost a query for the poll itself) ------------------------------

    async def info(self, poll_id: int) -> PollInfo | None:
        cached = self._info.get(poll_id)
        if cached is None:
            cached = await self._once(poll_store.get_poll, poll_id)
            if cached is not None and len(self._info) < self.CACHE_LIMIT:
                self._info[poll_id] = cached
        return cached

    def forget(self, poll_id: int) -> None:
        """Drop what this process remembers of a poll (its key above all, once closed)."""
        self._info.pop(poll_id, None)
        self._keys.pop(poll_id, None)

    async def key(self, poll_id: int) -> bytes | None:
        key = self._keys.get(poll_id)
        if key is None:
            key = await self._once(poll_store.poll_key, poll_id)
            if key is not None:
                self._keys[poll_id] = key
        return key

    async def resolve(self, ctx: Context, argument: str) -> PollInfo | None:
        """The poll named by its number, or the latest poll of this chat; says why when there is none."""
        argument = argument.strip().lstrip("#").removeprefix("n°").strip()
        t = ctx.t
        if argument:
            if not argument.isdigit() or len(argument) > 12:
                ctx.say(t._("“{value}” is not a poll number.", value=argument[:40]))
                return None
            poll = await poll_store.get_poll(self.engine.db, int(argument))
            if poll is None:
                ctx.say(t._("There is no poll no. {id}.", id=argument))
            elif poll.deleted:
                ctx.say(t._("Poll no. {id} no longer exists: its organizers deleted it.", id=poll.id))
                return None
            return poll
        if ctx.chat.is_private:
            ctx.say(t._("Give the poll number, for example /results 12."))
            return None
        latest = await poll_store.latest_poll_in_chat(self.engine.db, ctx.chat.platform, ctx.chat.chat_id)
        if latest is None:
            ctx.say(t._("There is no poll in this chat yet."))
            return None
        return await poll_store.get_poll(self.engine.db, latest)

    # -- creating ------------------------------------------------------------------------------------------

    async def create(self, ctx: Context, spec: PollSpec, targets: list[ChatRef]) -> PollInfo:
        engine = self.engine
        first = targets[0]
        poll = await poll_store.create_poll(
            engine.db,
            question=spec.question,
            options=spec.options,
            multi=spec.multi,
            public=spec.public,
            hidden=spec.hidden,
            private_results=spec.private_results,
            language=engine.community_language(first.key) if not ctx.chat.is_private else ctx.t.language,
            timezone=engine.community_timezone(first.key),
            closes_at=spec.closes_at,
            posts=[(c.platform, c.chat_id) for c in targets],
            created_by=await engine.resident_id(ctx.event),
            actor=ctx.identity,
            now=engine.clock.now(),
        )
        tally = poll_store.Tally(counts=(0,) * len(poll.options), voters=0)
        t = translator(poll.language)
        for chat in targets:
            ctx.send(
                chat, render_card(poll, tally, t), card_buttons(poll, engine.signer), track=f"poll:{poll.id}"
            )
        if spec.closes_at is not None:
            engine.schedule_changed()
        return poll

    async def record_copy(self, poll_id: int, ref: MessageRef) -> None:
        await poll_store.record_message(
            self.engine.db, poll_id, ref.chat.platform, ref.chat.chat_id, ref.message_id
        )
        self._info.pop(poll_id, None)

    # -- voting --------------------------------------------------------------------------------------------

    async def vote(self, ctx: Context, poll_id: int, option: int, version: int = 1) -> None:
        """One tap on a vote button of `version` of the poll (see bot/polls/card.py `card_buttons`)."""
        t = ctx.t
        poll = await self.info(poll_id)
        if poll is not None and poll.version < version:  # corrected by another process since we cached it
            self.forget(poll_id)
            poll = await self.info(poll_id)
        if poll is None or not poll.is_open:
            self._refuse_closed(ctx, poll)
            return
        if poll.version != version:
            ctx.notice(corrected_since(t), alert=True)
            return
        if not 0 <= option < len(poll.options):
            ctx.notice(t._("This button is not valid (any more)."), alert=True)
            return
        if not poll.posted_in(ctx.chat.platform, ctx.chat.chat_id):
            ctx.notice(t._("This poll belongs to another conversation."), alert=True)
            return
        if poll.public:
            public_id = await self.engine.resident_id(ctx.event)
            resident_id: int | None = public_id
            voter = public_voter(public_id)
        else:
            resident_id = None
            key = await self.key(poll_id)
            if key is None:  # closed, deleted or made public by another process since we cached it
                await self._stale(ctx, poll_id)
                return
            voter = voter_key(key, ctx.identity)
        outcome = await self.engine.writer.tap(
            Tap(
                poll_id=poll_id,
                voter=voter,
                option=option,
                multi=poll.multi,
                resident_id=resident_id,
                version=version,
            )
        )
        label = poll.options[option]
        if outcome in (Outcome.CLOSED, Outcome.CORRECTED):  # since we read it, here or in another process
            await self._stale(ctx, poll_id)
            return
        if outcome is Outcome.WITHDRAWN:
            ctx.notice(t._("Vote withdrawn: {option}", option=label))
        elif outcome is Outcome.MOVED:
            ctx.notice(t._("Vote moved to: {option}", option=label))
        else:
            ctx.notice(t._("Vote recorded: {option}", option=label))
        ctx.replies.append(Refresh(key=f"poll:{poll_id}"))

    async def _stale(self, ctx: Context, poll_id: int) -> None:
        """A tap that the poll, as this process knew it, no longer takes: say why, as it stands now."""
        self.forget(poll_id)
        poll = await self.info(poll_id)
        if poll is None or not poll.is_open:
            self._refuse_closed(ctx, poll)
        else:
            ctx.notice(corrected_since(ctx.t), alert=True)

    @staticmethod
    def _refuse_closed(ctx: Context, poll: PollInfo | None) -> None:
        if poll is None:
            ctx.notice(ctx.t._("This poll no longer exists."), alert=True)
        elif poll.deleted:
            ctx.notice(
                ctx.t._("This poll was deleted by its organizers: it takes no more votes."), alert=True
            )
        else:
            ctx.notice(ctx.t._("This poll is closed: votes are no longer accepted."), alert=True)

    # -- showing -------------------------------------------------------------------------------------------

    async def card_edits(self, poll_id: int) -> list[Reply]:
        poll = await poll_store.get_poll(self.engine.db, poll_id)
        if poll is None:
            return []
        tally = await poll_store.tally(self.engine.db, poll)
        t = translator(poll.language)
        body = render_card(poll, tally, t)
        buttons = card_buttons(poll, self.engine.signer)
        return [
            Edit(
                target=MessageRef(ChatRef(post.platform, post.chat_id), post.message_id),
                body=body,
                buttons=buttons,
            )
            for post in poll.posts
            if post.message_id is not None
        ]

    async def results(self, poll: PollInfo, t: Translator) -> list[str] | None:
        """Result lines, or None while results are hidden."""
        if poll.hidden and poll.is_open:
            return None
        return results_lines(poll, await poll_store.tally(self.engine.db, poll), t)

    # -- closing -------------------------------------------------------------------------------------------

    async def announcements(self, session: AsyncSession, poll_id: int) -> list[Outgoing]:
        """The results a closed poll posts where it was published, as its ballots read in `session` (at the
        close, and again when /forget removes a voter's name from them); with private results, only its
        number of voters there, and the tally to its organizers in private."""
        poll = await poll_store.poll_in(session, poll_id)
        assert poll is not None
        tally = await poll_store.tally_in(session, poll)
        public = not poll.private_results
        announcement = closing_message(poll, tally, translator(poll.language), with_results=public)
        sends = [Send(to=ChatRef(post.platform, post.chat_id), body=announcement) for post in poll.posts]
        if not public:
            organizers = await organizers_to_notify(
                session,
                self.engine.settings,
                community_id=poll.community_id,
                created_by=poll.created_by,
                platforms={post.platform for post in poll.posts},
            )
            sends.extend(
                Send(
                    to=organizer.chat,
                    body=closing_message(
                        poll, tally, translator(organizer.language or poll.language), with_results=True
                    ),
                )
                for organizer in organizers
            )
        return [
            Outgoing(
                poll_store.announcement_key(poll_id, s.to.key), s.to.platform, s.to.key, reply_to_json(s)
            )
            for s in sends
        ]

    async def close(self, poll_id: int, *, actor: str) -> tuple[bool, list[Reply]]:
        """Close the poll (harmless when already closed) and return the final cards and announcements."""
        engine = self.engine

        async def announce(session: AsyncSession) -> list[Outgoing]:
            return await self.announcements(session, poll_id)

        closed = await poll_store.close_poll(
            engine.db, poll_id, now=engine.clock.now(), actor=actor, announce=announce
        )
        self.forget(poll_id)
        if not closed:
            return False, []
        engine.schedule_changed()
        engine.outbox_changed()
        return True, await self.card_edits(poll_id)

    async def close_due(self) -> list[Reply]:
        """Close every poll whose deadline has passed (at start, and when a scheduler job fires)."""
        now = self.engine.clock.now()
        replies: list[Reply] = []
        for poll_id, closes_at in await poll_store.open_deadlines(self.engine.db):
            if closes_at <= now:
                replies.extend((await self.close(poll_id, actor=SCHEDULER))[1])
        return replies


def closing_message(poll: PollInfo, tally: poll_store.Tally, t: Translator, *, with_results: bool) -> Rich:
    """What closing a poll posts: its final tally, or only its number of voters where the results are
    private (its organizers get the tally in private, with a word saying why)."""
    return doc(
        p(b(t._("Poll no. {id} is closed.", id=poll.id)), " ", poll.question),
        p("\n".join(results_lines(poll, tally, t))) if with_results else None,
        p(t.n_("{count} voter", "{count} voters", tally.voters)),
        p(i(t._("Results go only to the poll's organizers, in private."))) if poll.private_results else None,
    )
