"""Residents' proposals: /propose, the moderation queue, the card with its supports, the threshold and the
official answers, the organizers' reminders of answers owed, and what /mydata and /forget do with them."""

from __future__ import annotations

from bot.feature import Card, Feature
from bot.proposals import personal_data

FEATURE = Feature(
    name="proposals",
    cards={"proposal": Card()},
    personal_data=personal_data.PERSONAL_DATA,
)
