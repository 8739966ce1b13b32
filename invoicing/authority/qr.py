"""The QR payload: an invoice's key facts signed by the tax authority, checkable offline.

``HD1~<seller MST>~<template+series>~<number>~<issue date>~<total>~<MCCQT or ->~<sha256>~<sig>``:
URL-safe as it stands (``~`` and base64url are unreserved characters), so it rides in the
verification URL's query. The document hash is base64url, the signature RSA-PKCS1v15-SHA256
(or ECDSA-SHA256) by the authority key over everything before the last ``~``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, fields

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import signing

VERSION = "HD1"
SEPARATOR = "~"
NO_CODE = "-"


@dataclass(frozen=True)
class QrFacts:
    seller_tax_code: str
    series: str
    number: int
    issue_date: str
    total: str
    authority_code: str | None
    document_sha256: str


class QrPayloadError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise QrPayloadError(field, "not base64url") from None


def _signed_part(facts: QrFacts) -> str:
    return SEPARATOR.join(
        [
            VERSION,
            facts.seller_tax_code,
            facts.series,
            str(facts.number),
            facts.issue_date,
            facts.total,
            facts.authority_code or NO_CODE,
            _b64(bytes.fromhex(facts.document_sha256)),
        ]
    )


def sign_qr_payload(signer: signing.Signer, facts: QrFacts) -> str:
    message = _signed_part(facts).encode()
    key = signer.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    return _signed_part(facts) + SEPARATOR + _b64(signature)


def parse_qr_payload(payload: str) -> tuple[QrFacts, bytes, bytes]:
    """The facts, the signed bytes and the signature; QrPayloadError names what is malformed."""
    parts = payload.strip().split(SEPARATOR)
    expected = len(fields(QrFacts)) + 2
    if parts[0] != VERSION:
        raise QrPayloadError("payload", f"not a hoadon QR payload (expected to start with {VERSION}~)")
    if len(parts) != expected:
        raise QrPayloadError("payload", f"truncated or padded: {len(parts)} parts instead of {expected}")
    _, tax_code, series, number, issue_date, total, code, digest, signature = parts
    if not number.isdigit():
        raise QrPayloadError("number", "not a number")
    digest_bytes = _unb64(digest, "document_sha256")
    if len(digest_bytes) != 32:
        raise QrPayloadError("document_sha256", "not a SHA-256 digest")
    facts = QrFacts(
        seller_tax_code=tax_code,
        series=series,
        number=int(number),
        issue_date=issue_date,
        total=total,
        authority_code=None if code == NO_CODE else code,
        document_sha256=digest_bytes.hex(),
    )
    signed = payload.strip().rsplit(SEPARATOR, 1)[0].encode()
    return facts, signed, _unb64(signature, "signature")


def signature_matches(certificate: x509.Certificate, signed: bytes, signature: bytes) -> bool:
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True
