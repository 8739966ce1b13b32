"""Secrets at rest (private keys): Fernet under a key derived from HOADON_SECRET_KEY."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(RuntimeError):
    pass


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hoadon secrets at rest v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plaintext: bytes, *, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(plaintext).decode()


def unseal(token: str, *, secret_key: str) -> bytes:
    try:
        return _fernet(secret_key).decrypt(token.encode())
    except InvalidToken:
        raise SecretUnreadable(
            "a stored secret cannot be decrypted: HOADON_SECRET_KEY differs from the one it was sealed with"
        ) from None
