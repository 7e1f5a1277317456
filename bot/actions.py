"""Button action ids that cannot be forged.

A button carries `fields.signature`: the fields say what the button does (e.g. `v.42.3`, vote for option 3
of poll 42) and the signature is a truncated HMAC-SHA256 under the bot's secret key. Anyone can read an id,
nobody can make a new one: forged or edited callback data is refused before any lookup. The whole id stays
within Telegram's 64-byte callback_data limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Container


class Undeclared(LookupError):
    """A name used in the code that no feature declares (a button prefix, a flow, a tracked kind, a job)."""


MAX_ACTION_BYTES = 64
_SIGNATURE_BYTES = 12  # 96 bits: far beyond guessing, short enough to leave room for the fields
_FIELD = re.compile(r"[A-Za-z0-9_-]*")  # the whole field: fullmatch (a `$` would let "1\n" in)


class ActionSigner:
    def __init__(self, secret: bytes, *, prefixes: Container[str] | None = None) -> None:
        self._secret = secret
        self._prefixes = prefixes  # the buttons the features declare (bot/feature.py); None: any

    def _signature(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode()  # 12 bytes: 16 characters, no padding

    def sign(self, *fields: str | int) -> str:
        parts = [str(f) for f in fields]
        if self._prefixes is not None and (not parts or parts[0] not in self._prefixes):
            raise Undeclared(f"button prefix {parts[0] if parts else ''!r}: no feature declares it")
        for part in parts:
            if not _FIELD.fullmatch(part):
                raise ValueError(f"action field {part!r} has characters outside A-Z a-z 0-9 _ -")
        payload = ".".join(parts)
        action = f"{payload}.{self._signature(payload)}"
        if len(action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action id {action!r} is longer than {MAX_ACTION_BYTES} bytes")
        return action

    def verify(self, action: str) -> list[str] | None:
        """The fields of a genuine action id, or None for anything forged, altered or malformed."""
        if not action or len(action.encode()) > MAX_ACTION_BYTES:
            return None
        payload, dot, signature = action.rpartition(".")
        if not dot or not payload:
            return None
        # as bytes: compare_digest refuses a str with non-ASCII characters, and anyone can send some
        if not hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            return None
        return payload.split(".")
