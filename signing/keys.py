"""Private keys and certificates: load them, mint them, write them out.

A :class:`Signer` is a private key together with the certificate that vouches for it. Loading
(:func:`load_signer`) accepts what Vietnamese certificate authorities hand out (PKCS#12 files) and what
operators keep on disk (PEM); minting (:func:`issue_certificate`) serves the platform's sandbox CA, the
tax authority's own signing key in development, and test fixtures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .certificates import is_ca_certificate
from .errors import CertificateError, KeyMismatch, SigningError

__all__ = [
    "PrivateKey",
    "Signer",
    "certificate_pem",
    "generate_private_key",
    "issue_certificate",
    "load_certificate",
    "load_signer",
    "private_key_pem",
]

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The key types hoadon signs with: RSA (at least 2048 bits) and elliptic-curve (ECDSA) keys."""

MIN_RSA_BITS = 2048
"""Shorter RSA keys are refused: they no longer meet any current signature policy."""

_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_TAX_CODE = re.compile(r"\d{10}(?:-\d{3})?")


def _public_der(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | object) -> bytes:
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _certificate_public_der(certificate: x509.Certificate) -> bytes:
    try:
        return _public_der(certificate.public_key())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError(
            f"cannot read the certificate's public key: {exc}", reason="malformed"
        ) from None


@dataclass(frozen=True)
class Signer:
    """A private key and the certificate issued for it, ready to sign documents.

    Attributes:
        private_key: An RSA (at least 2048 bits) or elliptic-curve private key. Left out of
            ``repr`` so that a logged ``Signer`` never shows more than the certificate.
        certificate: The X.509 certificate whose public key matches ``private_key``; it is embedded
            in every signature the signer makes.
        chain: Issuer certificates, nearest issuer first (empty for a self-signed certificate).
            They are not embedded in signatures; they are kept so that the pair can be exported or
            checked against a trust anchor later.

    Raises:
        KeyMismatch: if ``private_key`` does not belong to ``certificate``.
        SigningError: if the key is not an RSA/EC private key, or is an RSA key shorter than 2048
            bits, or ``certificate``/``chain`` hold something other than certificates.
        CertificateError: (``reason="malformed"``) if the certificate's public key cannot be read.

    Security:
        The key/certificate match is checked on construction, so no code path can sign with a key
        that verifiers would check against someone else's certificate.
    """

    private_key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SigningError(
                f"unsupported private key type {type(self.private_key).__name__}; use an RSA or EC key"
            )
        if isinstance(self.private_key, rsa.RSAPrivateKey) and self.private_key.key_size < MIN_RSA_BITS:
            raise SigningError(
                f"RSA key of {self.private_key.key_size} bits refused; {MIN_RSA_BITS} bits or more required"
            )
        if not isinstance(self.certificate, x509.Certificate):
            kind = type(self.certificate).__name__
            raise SigningError(f"certificate must be an x509.Certificate, not {kind}")
        if not isinstance(self.chain, tuple) or not all(isinstance(c, x509.Certificate) for c in self.chain):
            raise SigningError("chain must be a tuple of x509.Certificate")
        if _public_der(self.private_key.public_key()) != _certificate_public_der(self.certificate):
            raise KeyMismatch(
                "the private key does not match the certificate issued to "
                f"{self.certificate.subject.rfc4514_string()}"
            )


def load_signer(*, data: bytes, password: bytes | None = None) -> Signer:
    """Load a private key and its certificate from PEM or PKCS#12 bytes.

    Parameters:
        data: Either PEM text holding one private key (PKCS#8 or traditional, optionally encrypted)
            and one or more certificates, in any order; or a PKCS#12 (``.p12``/``.pfx``) file as
            issued by Vietnamese certificate authorities. PEM is recognised by its ``-----BEGIN``
            line; anything else is read as PKCS#12.
        password: The password protecting the key or the PKCS#12 file, or ``None`` when it is not
            encrypted.

    Returns:
        A :class:`Signer`. With PEM input the certificate matching the key becomes
        ``Signer.certificate`` and the other certificates form ``Signer.chain`` in the order given;
        with PKCS#12 the bundled extra certificates form the chain.

    Raises:
        KeyMismatch: if the key matches none of the certificates.
        CertificateError: (``reason="malformed"``) if no readable certificate is present.
        SigningError: for anything else that cannot be loaded: no private key, a wrong or missing
            password, a password given for an unencrypted PEM key, unsupported key types, garbage.

    Security:
        The certificate is not judged here (validity, key usage, tax code, issuer): call
        :func:`signing.check_certificate` before accepting a signer from a user. Messages never
        include key material.
    """
    if not isinstance(data, bytes) or not data.strip():
        raise SigningError("key material must be non-empty bytes (PEM or PKCS#12)")
    if b"-----BEGIN" in data:
        return _load_pem_signer(data, password)
    return _load_pkcs12_signer(data, password)


def _load_pem_signer(data: bytes, password: bytes | None) -> Signer:
    if _PEM_PRIVATE_KEY.search(data) is None:
        raise SigningError("the PEM data holds no private key")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("the PEM data holds no readable certificate", reason="malformed") from None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise SigningError("the private key is encrypted; a password is required") from None
        raise SigningError("the private key is not encrypted but a password was given") from None
    except ValueError:
        raise SigningError("cannot read the private key: wrong password or malformed PEM") from None
    except UnsupportedAlgorithm as exc:
        raise SigningError(f"unsupported private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"unsupported private key type {type(key).__name__}; use an RSA or EC key")
    key_der = _public_der(key.public_key())
    for index, certificate in enumerate(certificates):
        if _certificate_public_der(certificate) == key_der:
            chain = tuple(certificates[:index] + certificates[index + 1 :])
            return Signer(private_key=key, certificate=certificate, chain=chain)
    raise KeyMismatch("the private key does not match any certificate in the PEM data")


def _load_pkcs12_signer(data: bytes, password: bytes | None) -> Signer:
    try:
        key, certificate, additional = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SigningError("cannot read the data as PKCS#12: wrong password or not a PKCS#12 file") from None
    if key is None:
        raise SigningError("the PKCS#12 file holds no private key")
    if certificate is None:
        raise CertificateError("the PKCS#12 file holds no certificate for its key", reason="malformed")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"unsupported private key type {type(key).__name__}; use an RSA or EC key")
    return Signer(private_key=key, certificate=certificate, chain=tuple(additional))


def load_certificate(data: bytes) -> x509.Certificate:
    """Load exactly one X.509 certificate from PEM or DER bytes.

    Parameters:
        data: A PEM ``CERTIFICATE`` block (other PEM blocks are ignored) or DER bytes.

    Returns:
        The certificate. Its subject and extensions have been decoded once, so a certificate that
        loads here will not fail later when :func:`signing.check_certificate` reads them.

    Raises:
        CertificateError: (``reason="malformed"``) for empty input, garbage, a PEM with no
            certificate or with more than one (pass the signing certificate alone, not a chain),
            or a certificate whose subject or extensions cannot be decoded.
    """
    if not isinstance(data, bytes) or not data.strip():
        raise CertificateError("certificate data must be non-empty bytes (PEM or DER)", reason="malformed")
    try:
        if _PEM_CERTIFICATE in data:
            certificates = x509.load_pem_x509_certificates(data)
            if len(certificates) != 1:
                raise CertificateError(
                    f"expected one certificate, found {len(certificates)}", reason="malformed"
                )
            certificate = certificates[0]
        else:
            certificate = x509.load_der_x509_certificate(data)
        certificate.subject.rfc4514_string()
        certificate.issuer.rfc4514_string()
        _ = certificate.extensions
    except ValueError as exc:
        raise CertificateError(f"cannot read the certificate: {exc}", reason="malformed") from None
    return certificate


def generate_private_key(*, algorithm: Literal["rsa", "ec"] = "rsa") -> PrivateKey:
    """Generate a fresh signing key.

    Parameters:
        algorithm: ``"rsa"`` for RSA 2048 bits with public exponent 65537 (what Vietnamese
            certificate authorities issue), ``"ec"`` for ECDSA on NIST P-256.

    Returns:
        The new private key.

    Raises:
        SigningError: for any other ``algorithm`` value.
    """
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise SigningError(f"unknown key algorithm {algorithm!r}; use 'rsa' or 'ec'")


def issue_certificate(
    *,
    common_name: str,
    tax_code: str | None = None,
    issuer: Signer | None = None,
    not_before: datetime,
    not_after: datetime,
    is_ca: bool = False,
    private_key: PrivateKey | None = None,
) -> Signer:
    """Mint a certificate and return it with its private key.

    Parameters:
        common_name: The subject ``CN`` (1–64 characters), e.g. the business's registered name.
        tax_code: The holder's MST (10 digits, or 13 written ``NNNNNNNNNN-NNN``). When given, the
            subject carries ``UID=MST:<tax_code>`` (OID 0.9.2342.19200300.100.1.1), as Vietnamese
            certificate authorities write it.
        issuer: The CA that signs the certificate; ``None`` makes it self-signed. The issuer's
            certificate must be a CA certificate.
        not_before: Start of validity; timezone-aware.
        not_after: End of validity; timezone-aware and later than ``not_before``.
        is_ca: Issue a CA certificate (``BasicConstraints CA:TRUE``, KeyUsage keyCertSign + cRLSign)
            instead of a signing certificate (``CA:FALSE``, KeyUsage digitalSignature +
            nonRepudiation).
        private_key: The subject's key; a new RSA 2048 key is generated when ``None``.

    Returns:
        A :class:`Signer` whose ``chain`` is the issuer's certificate followed by the issuer's own
        chain (empty when self-signed). Serial numbers are random (159 bits); the signature is
        SHA-256 with the issuer's key; SubjectKeyIdentifier and AuthorityKeyIdentifier are set.

    Raises:
        SigningError: for a naive or inverted validity window, a malformed tax code, an empty or
            over-long common name, an issuer that is not a CA, or an unsupported key.

    Security:
        Intended for the platform's own sandbox CA, the tax authority's development key and
        tests. Production business certificates come from licensed CAs and are only loaded.
    """
    if not_before.tzinfo is None or not_after.tzinfo is None:
        raise SigningError("not_before and not_after must be timezone-aware datetimes")
    if not_after <= not_before:
        raise SigningError("not_after must be later than not_before")
    if not 1 <= len(common_name) <= 64:
        raise SigningError("common_name must be 1 to 64 characters long")
    if tax_code is not None and _TAX_CODE.fullmatch(tax_code) is None:
        raise SigningError(f"tax code {tax_code!r} must be 10 digits or 13 written NNNNNNNNNN-NNN")
    key = generate_private_key() if private_key is None else private_key
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"unsupported private key type {type(key).__name__}; use an RSA or EC key")
    if issuer is not None and not is_ca_certificate(issuer.certificate):
        raise SigningError(
            f"issuer {issuer.certificate.subject.rfc4514_string()} is not a CA certificate and cannot issue"
        )

    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if tax_code is not None:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_code}"))
    subject = x509.Name(attributes)
    signing_key = key if issuer is None else issuer.private_key
    issuer_name = subject if issuer is None else issuer.certificate.subject
    issuer_public_key = key.public_key() if issuer is None else issuer.private_key.public_key()
    key_usage = x509.KeyUsage(
        digital_signature=not is_ca,
        content_commitment=not is_ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=is_ca,
        crl_sign=is_ca,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
    )
    try:
        certificate = builder.sign(signing_key, hashes.SHA256())
    except (ValueError, TypeError) as exc:
        raise SigningError(f"cannot issue the certificate: {exc}") from None
    chain = () if issuer is None else (issuer.certificate, *issuer.chain)
    return Signer(private_key=key, certificate=certificate, chain=chain)


def private_key_pem(signer: Signer, *, password: bytes | None) -> bytes:
    """Write a signer's private key as PKCS#8 PEM.

    Parameters:
        signer: The signer whose key to export.
        password: Encrypt the key with this password (the best scheme cryptography offers, currently
            AES-256-CBC with PBKDF2), or ``None`` to write it in the clear. Required as a keyword so
            that writing an unencrypted key is always a visible decision.

    Returns:
        The PEM bytes (``-----BEGIN ENCRYPTED PRIVATE KEY-----`` or ``-----BEGIN PRIVATE KEY-----``).

    Raises:
        SigningError: if ``password`` is empty.

    Security:
        The result is secret. Store it encrypted, or keep it only in memory.
    """
    if password is not None and not password:
        raise SigningError("password must not be empty; pass None for an unencrypted key")
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if password is None else serialization.BestAvailableEncryption(password)
    )
    return signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    """Write a certificate as PEM.

    Parameters:
        certificate: The certificate to write.

    Returns:
        One ``-----BEGIN CERTIFICATE-----`` block, newline-terminated.
    """
    return certificate.public_bytes(serialization.Encoding.PEM)
