"""Requests for typed input the bot posted, so that a reply to one comes back as the engine's TypedAnswer.

A ForceReply prompt in a group carries no data of its own: the action it asks for is remembered here, by
message, until it is answered or pushed out by newer prompts. Lost at a restart — the reply then arrives
as plain text, which the engine treats as chatter in a group (the guided flows ask in private anyway).
"""

from __future__ import annotations

from collections import OrderedDict

CAPACITY = 10_000


class Prompts:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._actions: OrderedDict[tuple[int, int], str] = OrderedDict()

    def remember(self, chat_id: int, message_id: int, action: str) -> None:
        self._actions[(chat_id, message_id)] = action
        while len(self._actions) > self.capacity:
            self._actions.popitem(last=False)

    def action(self, chat_id: int, message_id: int) -> str | None:
        return self._actions.get((chat_id, message_id))
