"""The platform's own keys: the tax authority's signer and the sandbox CA.

On the embedded default both are generated once into the data dir, their private keys sealed
with HOADON_SECRET_KEY. In production the authority's key is configured
(HOADON_AUTHORITY_KEY_PATH) and the sandbox CA exists only when HOADON_SANDBOX is on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from cryptography import x509
from fastapi import Depends, Request

import signing
from invoicing.config import Environment, Settings
from invoicing.models.base import utcnow

AUTHORITY_FILE = "authority.pem"
SANDBOX_CA_FILE = "sandbox-ca.pem"
AUTHORITY_NAME = "Tổng cục Thuế (hoadon development authority)"
SANDBOX_CA_NAME = "hoadon sandbox CA (not for production)"


@dataclass(frozen=True)
class Keyring:
    authority: signing.Signer
    sandbox_ca: signing.Signer | None
    secret_key: str

    @property
    def trust_anchors(self) -> tuple[x509.Certificate, ...]:
        return (self.sandbox_ca.certificate,) if self.sandbox_ca is not None else ()

    def code_key(self) -> bytes:
        """Key of the MCCQT derivation: stable per platform, never stored."""
        return hashlib.sha256(b"hoadon MCCQT v1\x00" + self.secret_key.encode()).digest()


def _file_password(secret_key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"hoadon {purpose} key file\x00{secret_key}".encode()).hexdigest().encode()


def _load_or_create(
    path: Path, *, password: bytes, name: str, is_ca: bool, algorithm: Literal["rsa", "ec"] = "rsa"
) -> signing.Signer:
    if path.exists():
        return signing.load_signer(data=path.read_bytes(), password=password)
    now = utcnow()
    minted = signing.issue_certificate(
        common_name=name,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=3650),
        is_ca=is_ca,
        private_key=signing.generate_private_key(algorithm=algorithm),
    )
    content = signing.private_key_pem(minted, password=password) + signing.certificate_pem(minted.certificate)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Exclusive create: when two processes start together, the loser loads the winner's key.
    try:
        with path.open("xb") as handle:
            handle.write(content)
        path.chmod(0o600)
    except FileExistsError:
        return signing.load_signer(data=path.read_bytes(), password=password)
    return minted


def load_keyring(settings: Settings) -> Keyring:
    secret_key = settings.resolved_secret_key()
    if settings.authority_key_path is not None:
        password = settings.authority_key_password
        authority = signing.load_signer(
            data=settings.authority_key_path.read_bytes(),
            password=password.get_secret_value().encode() if password else None,
        )
    elif settings.env is Environment.PRODUCTION:
        raise RuntimeError("HOADON_AUTHORITY_KEY_PATH is required in production")
    else:
        authority = _load_or_create(
            settings.data_dir / AUTHORITY_FILE,
            password=_file_password(secret_key, "authority"),
            name=AUTHORITY_NAME,
            is_ca=False,
            # ECDSA P-256: short signatures keep the signed QR payload small enough to scan.
            algorithm="ec",
        )
    sandbox_ca = (
        _load_or_create(
            settings.data_dir / SANDBOX_CA_FILE,
            password=_file_password(secret_key, "sandbox-ca"),
            name=SANDBOX_CA_NAME,
            is_ca=True,
        )
        if settings.sandbox_enabled
        else None
    )
    return Keyring(authority=authority, sandbox_ca=sandbox_ca, secret_key=secret_key)


def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(get_keyring)]
