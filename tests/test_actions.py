"""Button ids cannot be forged: what the bot signed comes back as its fields, anything else is refused, and
the limits (allowed characters, Telegram's 64 bytes) hold on both sides."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from bot.actions import MAX_ACTION_BYTES, ActionSigner

SECRET = b"a test secret of the bot"
SIGNATURE_CHARACTERS = 16  # 96 bits in base64


def genuine(payload: str, secret: bytes = SECRET) -> str:
    """The id the bot's key gives `payload`, computed here independently of the signer: the truncated
    HMAC-SHA256, base64url without padding."""
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:12]
    return f"{payload}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def test_a_signed_id_gives_back_its_fields_as_text():
    signer = ActionSigner(SECRET)
    action = signer.sign("v", 42, 3)
    assert action == genuine("v.42.3")
    assert len(action) == len("v.42.3.") + SIGNATURE_CHARACTERS
    assert signer.verify(action) == ["v", "42", "3"]
    assert signer.verify(signer.sign("x", "yes", "")) == ["x", "yes", ""]
    assert signer.verify(signer.sign("g-1", "a_b")) == ["g-1", "a_b"]


def test_a_field_with_a_character_outside_the_safe_set_is_refused_when_signing():
    for field in [".", "a.b", "two words", "é", "1\n", "\n", "a/b", "<b>", "%", "+"]:
        with pytest.raises(ValueError, match="characters outside"):
            ActionSigner(SECRET).sign("v", field)


def test_an_id_of_exactly_64_bytes_is_signed_and_verified_and_one_byte_more_is_refused():
    signer = ActionSigner(SECRET)
    room = MAX_ACTION_BYTES - 1 - SIGNATURE_CHARACTERS  # the payload, its dot and the signature
    longest = signer.sign("v", "a" * (room - 2))
    assert len(longest.encode()) == MAX_ACTION_BYTES
    assert signer.verify(longest) == ["v", "a" * (room - 2)]
    with pytest.raises(ValueError, match="longer than 64 bytes"):
        signer.sign("v", "a" * (room - 1))
    # a genuine signature does not make an oversized id acceptable (Telegram would have cut it)
    assert signer.verify(genuine("v." + "a" * (room - 1))) is None
    assert signer.verify(genuine("v." + "a" * 10_000)) is None


def test_ids_the_bot_did_not_sign_are_refused():
    for forged in [
        "",
        ".",
        "v",
        "v.42.3",  # fields without a signature
        ".AAAAAAAAAAAAAAAAAAAAAA",  # a signature without fields
        "v.42.3.AAAAAAAAAAAAAAAA",  # a made-up signature
        "v.42.3.é",  # non-ASCII where the signature goes
        "é.42.3.AAAAAAAAAAAAAAAA",
        "v" * 65,
        genuine(""),  # no fields, even with the signature of nothing
    ]:
        assert ActionSigner(SECRET).verify(forged) is None, forged


def test_an_altered_id_is_refused():
    signer = ActionSigner(SECRET)
    action = signer.sign("v", 42, 3)
    payload, _, signature = action.rpartition(".")
    assert signer.verify("v.42.4." + signature) is None, "another option"
    assert signer.verify("v.43.3." + signature) is None, "another poll"
    assert signer.verify(payload + "." + signature[:-1]) is None, "a shortened signature"
    assert signer.verify(payload + "." + signature + "A") is None, "a lengthened one"
    assert signer.verify(payload + "." + signature.swapcase()) is None
    assert signer.verify(payload + ".." + signature) is None, "an empty field slipped in"
    assert signer.verify("é" + action) is None


def test_an_id_signed_with_another_key_is_refused():
    """Another deployment's buttons (or a key changed since) are not this bot's."""
    other = ActionSigner(b"another secret").sign("v", 42, 3)
    assert ActionSigner(SECRET).verify(other) is None
    assert ActionSigner(SECRET).verify(genuine("v.42.3", b"another secret")) is None
