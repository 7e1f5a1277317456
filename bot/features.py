"""The features of civicbot, in menu order: every table the engine looks things up in (commands, buttons,
guided flows, deep links, scheduled work, tracked cards, personal data) is derived from this list
(bot/feature.py). A new feature is a package with a `feature.py`, and one line here."""

from __future__ import annotations

from bot.commands.feature import BASICS, CLOSING, MY_DATA, RESULTS
from bot.consultations.feature import FEATURE as CONSULTATIONS
from bot.events.feature import FEATURE as EVENTS
from bot.events.feature import REMINDERS
from bot.feature import Feature
from bot.polls.feature import FEATURE as POLLS
from bot.proposals.feature import FEATURE as PROPOSALS

FEATURES: tuple[Feature, ...] = (
    BASICS,
    POLLS,
    CLOSING,
    RESULTS,
    CONSULTATIONS,
    EVENTS,
    REMINDERS,
    PROPOSALS,
    MY_DATA,
)
