"""A stored message as /mydata describes it: its state and its first line."""

from __future__ import annotations

import json

from bot.i18n import Translator
from bot.outbox.codec import reply_from_json
from storage.outbox import DROPPED, FAILED, SENT
from storage.tables import OutboxMessage

SUMMARY_LENGTH = 80  # of a message's first line


def state(t: Translator, row: OutboxMessage) -> str:
    if row.state == SENT:
        return t._("sent")
    if row.state == FAILED:
        return t._("not delivered")
    if row.state == DROPPED:
        return t._("not sent")
    return t._("waiting to be sent")


def summary(row: OutboxMessage) -> str:
    """The first line of a message, as the resident would see it."""
    try:
        reply = reply_from_json(json.loads(row.payload))
    except (ValueError, KeyError, TypeError):
        return ""
    body = getattr(reply, "body", None)
    first = body.plain.strip().split("\n", 1)[0] if body is not None else ""
    return first if len(first) <= SUMMARY_LENGTH else first[: SUMMARY_LENGTH - 1] + "…"
