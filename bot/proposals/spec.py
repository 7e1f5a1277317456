"""What a proposal may be, checked before anything is stored: its title, its description, and the rules
each community follows when it chose none (the deployment's `CIVICBOT_PROPOSAL_*`)."""

from __future__ import annotations

from bot.i18n import Translator
from bot.text import TextRefused, clean
from config.settings import Settings
from storage.proposals import Rules

MAX_TITLE = 120
MAX_DESCRIPTION = 1000
MAX_REASON = 1000


class ProposalError(ValueError):
    """A localized explanation of what is wrong; nothing was stored."""


def defaults(settings: Settings) -> Rules:
    return Rules(
        enabled=True,
        moderation=True,
        threshold=settings.proposal_threshold,
        answer_days=settings.proposal_answer_days,
    )


def _text(value: str, t: Translator, *, multiline: bool = False) -> str:
    try:
        return clean(value, multiline=multiline)
    except TextRefused as refused:
        raise ProposalError(refused.explain(t)) from None


def _within(text: str, limit: int, t: Translator) -> str:
    if len(text) > limit:
        raise ProposalError(
            t._("This text is {length} characters long; the limit is {limit}.", length=len(text), limit=limit)
        )
    return text


def check_title(text: str, t: Translator) -> str:
    title = _text(text, t)
    if not title:
        raise ProposalError(t._("The title is empty: say in a few words what you propose."))
    return _within(title, MAX_TITLE, t)


def check_description(text: str, t: Translator) -> str:
    description = _text(text, t, multiline=True)
    if not description:
        raise ProposalError(t._("The description is empty: explain your idea in a few sentences."))
    return _within(description, MAX_DESCRIPTION, t)


def check_reason(text: str, t: Translator) -> str:
    reason = _text(text, t, multiline=True)
    if not reason:
        raise ProposalError(t._("The text is empty."))
    return _within(reason, MAX_REASON, t)
