"""Sealing: what the database keeps of a secret it must not be able to read later.

A sealed value is AES-256-GCM (the `cryptography` package, a maintained binding to OpenSSL) under a key of
the key store (storage/keystore.py). Once that key is destroyed, every copy of the sealed value (in the
write-ahead log, a dead row, a backup) is noise. Two more things keep a sealed row from speaking:

- the plaintext is padded to a power of two (256 bytes at least), so a row's length tells little about what
  it holds (a long free text against a short one);
- the row's identity (`context`, for example the consultation and the resident a draft belongs to) is bound
  as associated data, so a sealed value copied onto another row does not open there.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
SMALLEST = 256


class Unreadable(Exception):
    """The sealed value does not open with this key and context (destroyed key, or tampered row)."""


def _padded(plaintext: bytes) -> bytes:
    framed = len(plaintext).to_bytes(4, "big") + plaintext
    size = SMALLEST
    while size < len(framed):
        size *= 2
    return framed + bytes(size - len(framed))


def seal(key: bytes, plaintext: bytes, *, context: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, _padded(plaintext), context.encode())


def unseal(key: bytes, sealed: bytes, *, context: str) -> bytes:
    try:
        framed = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as error:
        raise Unreadable(context) from error
    length = int.from_bytes(framed[:4], "big")
    return framed[4 : 4 + length]
