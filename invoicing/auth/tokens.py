"""High-entropy bearer secrets: shown once, stored as SHA-256, compared in constant time.

A token reads ``hd_<kind>_<prefix>_<secret>``. The prefix is a public lookup handle, so finding
the row never compares secrets; the secret carries 256 bits, so a fast hash is the right hash
(a slow KDF only matters for low-entropy passwords).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum


class TokenKind(StrEnum):
    BUSINESS_KEY = "sk"
    OFFICIAL = "ot"
    CLAIM = "ct"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    prefix: str
    hash: str


@dataclass(frozen=True)
class ParsedToken:
    kind: TokenKind
    prefix: str
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(kind: TokenKind) -> IssuedToken:
    prefix = secrets.token_hex(6)
    token = f"hd_{kind.value}_{prefix}_{secrets.token_urlsafe(32)}"
    return IssuedToken(token=token, prefix=prefix, hash=hash_token(token))


def parse_token(token: str) -> ParsedToken | None:
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != "hd":
        return None
    try:
        kind = TokenKind(parts[1])
    except ValueError:
        return None
    return ParsedToken(kind=kind, prefix=parts[2], token=token)


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
