"""Judge an X.509 certificate for signing invoices: validity window, key usage, issuer, tax code.

Vietnamese certificate authorities write the holder's tax code (MST) into the subject as
``UID=MST:<mst>`` (OID 0.9.2342.19200300.100.1.1); some older certificates carry ``MST:<mst>`` in
another attribute (CN, OU, serialNumber). :func:`certificate_tax_code` reads both, UID first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from .errors import CertificateError, SigningError

__all__ = [
    "CertificateInfo",
    "certificate_tax_code",
    "check_certificate",
    "describe_certificate",
    "is_ca_certificate",
]

_MST = re.compile(r"MST\s*:\s*(\d{10}(?:-?\d{3})?)(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class CertificateInfo:
    """What the platform records and shows about a certificate.

    Attributes:
        subject: The subject distinguished name in RFC 4514 form (most specific attribute first),
            e.g. ``UID=MST:0100233488,CN=CÔNG TY VÍ DỤ``.
        issuer: The issuer distinguished name in the same form.
        serial_hex: The serial number in lowercase hexadecimal, zero-padded to whole bytes.
        fingerprint_sha256: SHA-256 of the DER certificate, lowercase hexadecimal (64 characters).
        not_before: Start of validity, timezone-aware UTC.
        not_after: End of validity, timezone-aware UTC.
        tax_code: The MST found in the subject (see :func:`certificate_tax_code`), or ``None``.
    """

    subject: str
    issuer: str
    serial_hex: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    tax_code: str | None


def describe_certificate(certificate: x509.Certificate) -> CertificateInfo:
    """Summarise a certificate without judging it.

    Parameters:
        certificate: Any X.509 certificate.

    Returns:
        A :class:`CertificateInfo`.

    Raises:
        CertificateError: (``reason="malformed"``) if the subject or issuer cannot be decoded.
    """
    try:
        subject = certificate.subject.rfc4514_string()
        issuer = certificate.issuer.rfc4514_string()
    except ValueError as exc:
        raise CertificateError(f"cannot decode the certificate's names: {exc}", reason="malformed") from None
    serial = certificate.serial_number
    serial_hex = format(serial, "x")
    serial_hex = serial_hex.zfill(len(serial_hex) + len(serial_hex) % 2)
    return CertificateInfo(
        subject=subject,
        issuer=issuer,
        serial_hex=serial_hex,
        fingerprint_sha256=hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        tax_code=certificate_tax_code(certificate),
    )


def certificate_tax_code(certificate: x509.Certificate) -> str | None:
    """Find the holder's tax code (MST) in a certificate subject.

    Parameters:
        certificate: The certificate to read.

    Returns:
        The MST as the XML writes it: 10 digits, or 13 digits as ``NNNNNNNNNN-NNN`` (whether or not
        the certificate wrote the dash). The value of a ``UID`` attribute of the form
        ``MST:<mst>`` wins; otherwise the first ``MST:<mst>`` found in any other subject attribute,
        in subject order; ``None`` when there is none. Personal-ID forms (``CMND:``, ``CCCD:``) are
        not tax codes and are ignored.

    Raises:
        CertificateError: (``reason="malformed"``) if the subject cannot be decoded.
    """
    try:
        attributes = list(certificate.subject)
    except ValueError as exc:
        raise CertificateError(f"cannot decode the certificate subject: {exc}", reason="malformed") from None
    uid_first = sorted(attributes, key=lambda attribute: attribute.oid != NameOID.USER_ID)
    for attribute in uid_first:
        value = attribute.value
        if not isinstance(value, str):
            continue
        match = _MST.search(value)
        if match is not None:
            digits = re.sub(r"\D", "", match.group(1))
            return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"
    return None


def is_ca_certificate(certificate: x509.Certificate) -> bool:
    """Tell whether a certificate may issue other certificates.

    Parameters:
        certificate: The certificate to inspect.

    Returns:
        ``True`` when BasicConstraints says ``CA:TRUE`` and KeyUsage, if present, allows
        keyCertSign.

    Raises:
        CertificateError: (``reason="malformed"``) if the extensions cannot be decoded.
    """
    try:
        extensions = certificate.extensions
    except ValueError as exc:
        raise CertificateError(f"cannot decode certificate extensions: {exc}", reason="malformed") from None
    try:
        if not extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def check_certificate(
    certificate: x509.Certificate,
    *,
    at: datetime,
    tax_code: str | None = None,
    trust_anchors: Sequence[x509.Certificate] = (),
) -> CertificateInfo:
    """Decide whether a certificate may sign an invoice at a given moment.

    The checks run in this order and the first failure is raised: readable; issued by a trust
    anchor (when anchors are given); valid at ``at``; key usage; tax code.

    Parameters:
        certificate: The signer's certificate (e.g. ``VerifiedSignature.certificate``).
        at: The moment that matters, timezone-aware: the signing time for a received invoice, now
            for a certificate being registered.
        tax_code: When given, the certificate's MST must be the same number. Only digits are
            compared, so ``0314409058-002`` equals ``0314409058002``.
        trust_anchors: CA certificates the platform trusts. When non-empty, the certificate must be
            one of them, or be directly issued and signed by one of them that is a CA (one level of
            chain; intermediates are not followed). When empty, the issuer is not checked.

    Returns:
        The :class:`CertificateInfo` of the certificate.

    Raises:
        CertificateError: with ``reason`` ``"malformed"`` (unreadable names or extensions),
            ``"untrusted"`` (no anchor issued and signed it), ``"not_yet_valid"``, ``"expired"``,
            ``"no_digital_signature"`` (KeyUsage present without digitalSignature or
            nonRepudiation) or ``"tax_code_mismatch"`` (different MST, or none in the subject).
        SigningError: if ``at`` is naive.

    Security:
        Revocation (CRL/OCSP) is not checked. The issuer's signature is verified with cryptography;
        a matching issuer name alone is never enough.
    """
    if at.tzinfo is None:
        raise SigningError("'at' must be a timezone-aware datetime")
    info = describe_certificate(certificate)
    if trust_anchors and not _issued_by_anchor(certificate, trust_anchors):
        raise CertificateError(
            f"certificate {info.subject} (issuer {info.issuer}) is not issued by a trusted authority",
            reason="untrusted",
        )
    if at < info.not_before:
        raise CertificateError(
            f"certificate {info.subject} is not valid before {info.not_before.isoformat()} "
            f"(checked at {at.isoformat()})",
            reason="not_yet_valid",
        )
    if at > info.not_after:
        raise CertificateError(
            f"certificate {info.subject} expired at {info.not_after.isoformat()} "
            f"(checked at {at.isoformat()})",
            reason="expired",
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    except ValueError as exc:
        raise CertificateError(f"cannot decode certificate extensions: {exc}", reason="malformed") from None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise CertificateError(
            f"certificate {info.subject} is not for digital signatures (KeyUsage lacks digitalSignature "
            "and nonRepudiation)",
            reason="no_digital_signature",
        )
    if tax_code is not None:
        if info.tax_code is None:
            raise CertificateError(
                f"certificate {info.subject} carries no tax code (UID=MST:...); expected {tax_code}",
                reason="tax_code_mismatch",
            )
        if _digits(info.tax_code) != _digits(tax_code):
            raise CertificateError(
                f"certificate is issued to tax code {info.tax_code}, not {tax_code}",
                reason="tax_code_mismatch",
            )
    return info


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _issued_by_anchor(certificate: x509.Certificate, anchors: Sequence[x509.Certificate]) -> bool:
    for anchor in anchors:
        if certificate == anchor:
            return True
        if certificate.issuer != anchor.subject or not is_ca_certificate(anchor):
            continue
        try:
            certificate.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, CryptographyInvalidSignature, UnsupportedAlgorithm):
            continue
        return True
    return False
