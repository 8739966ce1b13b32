"""The one exception tree of :mod:`signing`.

Every failure the library reports is a :class:`SigningError`, so a caller can translate the whole
library with one ``except`` clause and still tell situations apart by subclass::

    SigningError
    ├── InvalidXML          the bytes are not a document we agree to read or sign
    ├── InvalidSignature    an XML signature does not verify, or asks for something we refuse
    ├── CertificateError    a certificate is unusable for the purpose (``reason`` says why)
    └── KeyMismatch         a private key and its certificate do not belong together

Messages are written for people (an operator, an integrator reading a problem+json ``detail``); they
never contain private key material. They may quote certificate subjects and element names.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "CertificateError",
    "CertificateErrorReason",
    "InvalidSignature",
    "InvalidXML",
    "KeyMismatch",
    "SigningError",
]

CertificateErrorReason = Literal[
    "expired",
    "not_yet_valid",
    "no_digital_signature",
    "tax_code_mismatch",
    "untrusted",
    "malformed",
]
"""Why a certificate was refused; stable strings that the application may map to its own error codes."""


class SigningError(Exception):
    """Root of every error raised by :mod:`signing`.

    Raised directly for misuse that no subclass describes better, for example a naive ``datetime``
    where an aware one is required, or a key type the library does not sign with.

    Parameters:
        message: A human-readable explanation, also available as :attr:`message` and ``str(error)``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidXML(SigningError):
    """The input is not a document :mod:`signing` agrees to process.

    Raised by :func:`signing.parse_xml` for anything that is not a small, well-formed UTF-8 document
    without a DTD (oversize, empty, malformed, DOCTYPE, entity declarations, other encodings), and by
    :func:`signing.sign` when the document cannot carry the requested signature (a referenced ``Id``
    is missing or appears twice, the target element is outside the document).

    Parameters:
        message: A human-readable explanation.
    """


class InvalidSignature(SigningError):
    """An XML signature is missing, malformed, uses a refused algorithm, or does not verify.

    Raised by :func:`signing.verify` for every failure, including hostile input such as signature
    wrapping (a referenced ``Id`` that occurs twice) or a certificate other than the expected one.

    Parameters:
        message: A human-readable explanation naming what failed.
    """


class CertificateError(SigningError):
    """A certificate cannot be used: unreadable, outside its validity window, wrong key usage,
    wrong tax code (MST) or not issued by a trusted authority.

    Parameters:
        message: A human-readable explanation.
        reason: One of ``"expired"``, ``"not_yet_valid"``, ``"no_digital_signature"``,
            ``"tax_code_mismatch"``, ``"untrusted"``, ``"malformed"``; available as :attr:`reason`.
    """

    def __init__(self, message: str, *, reason: CertificateErrorReason) -> None:
        super().__init__(message)
        self.reason: CertificateErrorReason = reason


class KeyMismatch(SigningError):
    """A private key does not correspond to the public key in its certificate.

    Signing with such a pair would produce signatures that nobody can verify against the
    certificate, so :class:`signing.Signer` refuses to exist in that state.

    Parameters:
        message: A human-readable explanation.
    """
