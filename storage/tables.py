"""The database tables. Privacy is a property of this schema, so read it as a promise:

- `ballot` rows of an anonymous poll hold a keyed hash of the voter, never an id, and no timestamp;
- that hash key is not in the database at all: it lives in the key store (storage/keystore.py) only while
  the poll is open, and closing destroys it, and with it every link;
- closing rewrites the ballots with fresh pseudonyms in a shuffled order, so that storage order (cells,
  `ctid`, the writing transaction) does not record the order of the votes either;
- an anonymous consultation's draft is sealed (`consultation_draft.sealed`) under a key of the resident's own
  in the key store, destroyed when they send it, at /forget and at the close: its clear columns stay empty;
- an anonymous submission first waits, sealed under the consultation's key, in `sealed_submission`; the
  resident's transaction writes that row and `participation`, nothing in clear. Later transactions of their
  own write the waiting submissions in clear, in shuffled batches that each mix at least `min_group`
  residents, the last batch at the close, which destroys the key: the order, the cells and the transaction
  of a clear answer never tell which resident it came from better than the batch it was written in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


class Setting(SQLModel, table=True):
    """Small key/value state the bot generates once (the button-signing secret)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)


class Resident(SQLModel, table=True):
    """A person as one platform knows them. Created only when needed: an anonymous vote creates none."""

    __tablename__ = "resident"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    display_name: str = Field(max_length=128)
    language: str | None = Field(default=None, max_length=8)
    private_chat_open: bool = False  # wrote to the bot in private, so the bot may write first
    unreachable: bool = False  # a private message failed permanently (blocked bot, closed DMs)
    reminders_muted: bool = False  # /reminders off: no private reminders
    created_at: datetime = Field(sa_type=UTCDateTime)


class Community(SQLModel, table=True):
    """A group or channel where the bot has been used."""

    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    title: str = Field(default="", max_length=256)
    timezone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(sa_type=UTCDateTime)


class CommunityAdmin(SQLModel, table=True):
    """Who the platform last reported as an administrator of a community: lets an organizer pick, in a
    private chat, the communities they may post to."""

    __tablename__ = "community_admin"
    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    resident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True)
    )


class CommunityMember(SQLModel, table=True):
    """That a resident has been seen writing in a community: what lets them look up, in private, the polls
    and events of that community (and nothing of the others)."""

    __tablename__ = "community_member"
    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    resident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True)
    )


class Poll(SQLModel, table=True):
    __tablename__ = "poll"
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=300)
    multi: bool = False
    public: bool = False
    hidden: bool = False
    private_results: bool = False  # --private-results: at the close, results go to organizers only
    community_id: int | None = Field(  # the community that owns it: its organizers may close it
        default=None, sa_column=Column(Integer, ForeignKey("community.id", ondelete="SET NULL"), index=True)
    )
    language: str = Field(default="fr", max_length=8)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"))
    )
    version: int = 1  # bumped by every correction: a vote button names the version it was shown for
    # deleted by its organizers: the row stays as a tombstone (its number, its community, where its cards
    # are), emptied of its question, options, ballots, key and author (storage/polls.py `delete_poll`)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PollOption(SQLModel, table=True):
    __tablename__ = "poll_option"
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(primary_key=True)
    label: str = Field(max_length=100)


class PollPost(SQLModel, table=True):
    """One copy of a poll in one community; `message_id` arrives once the adapter delivered it."""

    __tablename__ = "poll_post"
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    )
    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    posted_at: datetime = Field(sa_type=UTCDateTime)


class Ballot(SQLModel, table=True):
    """One choice of one voter. `slot` is 0 in a single-choice poll and the option in a multi-choice one,
    so the primary key itself allows one choice per voter, or one ballot per voter per option.
    `voter` is HMAC(poll key, identity) for anonymous polls; `resident_id` is set for public polls only."""

    __tablename__ = "ballot"
    __table_args__ = (
        Index("ix_ballot_poll_option", "poll_id", "option"),
        {"sqlite_with_rowid": False},
    )
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    )
    voter: str = Field(sa_column=Column(String(64), primary_key=True))
    slot: int = Field(primary_key=True)
    option: int
    resident_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"))
    )


class AuditEntry(SQLModel, table=True):
    """Every organizer action, written in the same transaction as the action itself."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=96, index=True)  # platform:user_id
    action: str = Field(max_length=48)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=64)
    detail: str = Field(default="", max_length=2000)


class Conversation(SQLModel, table=True):
    """Where a resident is in a guided flow, so it resumes after a restart."""

    __tablename__ = "conversation"
    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=64)
    flow: str = Field(max_length=32)
    state: str = Field(max_length=20000)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Consultation(SQLModel, table=True):
    """A questionnaire. `definition` is the validated definition as JSON, `source` the YAML it came from;
    neither changes once a submission exists (re-import under a new slug instead)."""

    __tablename__ = "consultation"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    title: str = Field(max_length=300)
    definition: str
    source: str
    anonymous: bool = True
    results_public: bool = False
    timezone: str = Field(default="Europe/Paris", max_length=64)
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opening_announced: bool = False  # the "now open" message went out to the communities it was launched in
    community_id: int | None = Field(  # the owner; None until first launched (then its importer's alone)
        default=None, sa_column=Column(Integer, ForeignKey("community.id", ondelete="SET NULL"), index=True)
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"))
    )


class ConsultationLaunch(SQLModel, table=True):
    """An invitation to a consultation posted in a community; results are posted there at close."""

    __tablename__ = "consultation_launch"
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    )
    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    launched_at: datetime = Field(sa_type=UTCDateTime)


class ConsultationDraft(SQLModel, table=True):
    """Answers in progress. Of an anonymous consultation, the answers (and where the resident stands) are
    only in `sealed`, under a key of this draft's own in the key store (storage/consultations.py), the clear
    columns keeping their defaults: the row says that this resident started answering, not what. Erased, and
    its key destroyed, at submission, at /forget and at close."""

    __tablename__ = "consultation_draft"
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    )
    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=64)
    answers: str = Field(default="{}")  # JSON: question id → answer
    current: str | None = Field(default=None, max_length=40)  # question being asked; None = summary
    ranking: str = Field(default="[]")  # a ranking being built, option ids in order
    editing: str | None = Field(default=None, max_length=64)  # submission (named) or its receipt's hash
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # anonymous


class SealedSubmission(SQLModel, table=True):
    """An anonymous submission (or a change to one) not written in clear yet: its receipt's hash, its answers
    and the submission it changes, sealed under the consultation's key (`consultation-<id>` in the key store,
    destroyed at the close). `id` is random and unrelated to anything; `edit` says the row changes a
    submission already counted (so it is not one more resident). The transaction that writes it is the
    resident's; the one that turns it into `submission` and `answer` rows is a batch's (see the top)."""

    __tablename__ = "sealed_submission"
    __table_args__ = ({"sqlite_with_rowid": False},)
    id: str = Field(sa_column=Column(String(24), primary_key=True))
    consultation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    edit: bool = False
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Participation(SQLModel, table=True):
    """That a resident took part, and nothing more: enough for one submission per resident. Of an anonymous
    consultation it is written with a sealed submission (never with a clear one), so the transaction that
    wrote it leads to no answer."""

    __tablename__ = "participation"
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    )
    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=64)


class Submission(SQLModel, table=True):
    """One resident's answers. `id` is a random pseudonym (the open-data respondent id). In an anonymous
    consultation nothing here names the resident: they change their answers through a receipt only they
    hold (a button in their private chat), of which the database keeps a hash. No timestamp, no insertion
    order (WITHOUT ROWID on SQLite); an anonymous one is written by a shuffled batch (SealedSubmission), never
    by its resident's transaction."""

    __tablename__ = "submission"
    __table_args__ = ({"sqlite_with_rowid": False},)
    id: str = Field(sa_column=Column(String(24), primary_key=True))
    consultation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    receipt: str | None = Field(default=None, max_length=64, index=True)  # hash of the resident's receipt
    platform: str | None = Field(default=None, max_length=16)  # named consultations only
    user_id: str | None = Field(default=None, max_length=64)  # named consultations only


class AnswerRow(SQLModel, table=True):
    """One piece of an answer, shaped for SQL aggregates: a chosen option (with its rank in a ranking), a
    number (scale, number), or a text."""

    __tablename__ = "answer"
    __table_args__ = (
        Index("ix_answer_values", "consultation_id", "question", "option", "rank", "number"),
        {"sqlite_with_rowid": False},
    )
    submission_id: str = Field(
        sa_column=Column(String(24), ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    )
    question: str = Field(sa_column=Column(String(40), primary_key=True))
    position: int = Field(primary_key=True)
    consultation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False)
    )
    option: str | None = Field(default=None, max_length=40)
    rank: int | None = None
    number: float | None = None
    text: str | None = Field(default=None, max_length=2000)


class OutboxMessage(SQLModel, table=True):
    """A message civicbot decided to send (a reminder, a notification, an announcement), written in the
    transaction of the decision and delivered later by a dispatcher. `dedup_key` makes deciding twice
    harmless; `state` moves pending → sending → sent (or failed), one row at a time per worker, so a crash
    leaves at most the one message in flight uncertain."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200, unique=True)
    platform: str = Field(max_length=16)
    recipient: str = Field(max_length=96)  # ChatRef key: platform:kind:chat_id
    payload: str  # the rendered reply, JSON (bot.outbox.codec)
    state: str = Field(default="pending", max_length=12)  # pending, sending, sent, failed, dropped
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    not_after: datetime | None = Field(default=None, sa_type=UTCDateTime)  # useless once past: dropped
    worker: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Event(SQLModel, table=True):
    """A public event announced in a community ("Réunion publique — budget 2027")."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    place: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)  # after the start; by default 2 hours after it
    timezone: str = Field(default="Europe/Paris", max_length=64)
    language: str = Field(default="fr", max_length=8)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    reminder_offsets: str | None = Field(default=None, max_length=64)  # e.g. "24h,1h"; None = the default
    version: int = 1  # bumped by every edit, so each edit's notifications have their own dedup keys
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"))
    )
    native_event_id: str | None = Field(default=None, max_length=64)  # Discord scheduled event
    community_id: int | None = Field(  # the community it is announced in, which owns it
        default=None, sa_column=Column(Integer, ForeignKey("community.id", ondelete="SET NULL"), index=True)
    )


class Rsvp(SQLModel, table=True):
    """A resident's answer to an event: yes, maybe or no (one per resident, changed by tapping another)."""

    __tablename__ = "rsvp"
    event_id: int = Field(
        sa_column=Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    )
    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=64)
    answer: str = Field(max_length=8)


class ProposalSettings(SQLModel, table=True):
    """How one community takes residents' proposals. A column left empty follows the deployment's default
    (`CIVICBOT_PROPOSAL_*`), so a community that never chose follows a changed default; no row at all is a
    community that never chose anything."""

    __tablename__ = "proposal_settings"
    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    enabled: bool | None = None  # residents may propose here
    moderation: bool | None = None  # a new proposal waits for an organizer's approval
    threshold: int | None = None  # supports after which an official answer is due
    answer_days: int | None = None  # days the organizers have to answer once the threshold is reached


class Proposal(SQLModel, table=True):
    """A resident's idea for their community, from the moderation queue to its card, its supports and its
    official answers (each a `ProposalStep`). The author's name is never stored here: it is read from their
    resident row when `show_name` says so, and /forget removes the link (`author_id` empty), not the text."""

    __tablename__ = "proposal"
    __table_args__ = (Index("ix_proposal_community_status", "community_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"), index=True)
    )
    show_name: bool = True  # else « un·e habitant·e »
    title: str = Field(max_length=120)
    description: str = Field(max_length=1000)
    status: str = Field(max_length=16)  # bot/proposals/statuses.py
    language: str = Field(default="fr", max_length=8)  # the community's, for its card and its notices
    created_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    threshold_reached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reminders: int = 0  # reminders to answer decided so far (the next one is derived from it)
    message_id: str | None = Field(default=None, max_length=64)  # its card in the community


class ProposalSupport(SQLModel, table=True):
    """One resident supports one proposal: the primary key allows one support per resident, whatever the
    timing of their taps. Never listed publicly: only counted."""

    __tablename__ = "proposal_support"
    proposal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    )
    resident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProposalFollow(SQLModel, table=True):
    """A resident follows a proposal: told in private of every step of it."""

    __tablename__ = "proposal_follow"
    proposal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    )
    resident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProposalStep(SQLModel, table=True):
    """One dated step of a proposal's history: submitted, approved, sent back for changes, rejected, or an
    official answer, with its text (a reason, what is being done). Its id names the notices it sends."""

    __tablename__ = "proposal_step"
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("proposal.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(max_length=16)
    text: str = Field(default="", max_length=1000)
    actor_id: int | None = Field(  # the organizer (or the author) who took it
        default=None, sa_column=Column(Integer, ForeignKey("resident.id", ondelete="SET NULL"))
    )
