"""Loading, minting and writing keys and certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
from cryptography.x509.oid import NameOID

from signing import (
    CertificateError,
    KeyMismatch,
    Signer,
    SigningError,
    certificate_pem,
    generate_private_key,
    issue_certificate,
    load_certificate,
    load_signer,
    private_key_pem,
)
from tests.signing.helpers import NOW, SELLER_TAX_CODE


def _same_key(left: Signer, right: Signer) -> bool:
    return left.private_key.private_numbers() == right.private_key.private_numbers()


def test_encrypted_pem_round_trip_with_chain(seller: Signer, ca: Signer) -> None:
    data = private_key_pem(seller, password=b"mat-khau") + certificate_pem(seller.certificate)
    data += certificate_pem(ca.certificate)
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data

    loaded = load_signer(data=data, password=b"mat-khau")

    assert loaded.certificate == seller.certificate
    assert loaded.chain == (ca.certificate,)
    assert _same_key(loaded, seller)


def test_pem_certificate_may_come_before_the_key(seller: Signer, ca: Signer) -> None:
    data = certificate_pem(ca.certificate) + certificate_pem(seller.certificate)
    data += private_key_pem(seller, password=None)

    loaded = load_signer(data=data)

    assert loaded.certificate == seller.certificate
    assert loaded.chain == (ca.certificate,)


def test_unencrypted_pem_is_written_as_plain_pkcs8(seller: Signer) -> None:
    assert private_key_pem(seller, password=None).startswith(b"-----BEGIN PRIVATE KEY-----")


def test_pkcs12_round_trip_with_password(seller: Signer, ca: Signer) -> None:
    data = pkcs12.serialize_key_and_certificates(
        b"seller",
        seller.private_key,
        seller.certificate,
        [ca.certificate],
        BestAvailableEncryption(b"pfx-pass"),
    )

    loaded = load_signer(data=data, password=b"pfx-pass")

    assert loaded.certificate == seller.certificate
    assert loaded.chain == (ca.certificate,)
    assert _same_key(loaded, seller)


def test_pkcs12_with_wrong_password_is_refused(seller: Signer) -> None:
    data = pkcs12.serialize_key_and_certificates(
        b"seller", seller.private_key, seller.certificate, None, BestAvailableEncryption(b"right")
    )
    with pytest.raises(SigningError, match="wrong password"):
        load_signer(data=data, password=b"wrong")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [(None, "password is required"), (b"wrong", "wrong password")],
)
def test_encrypted_pem_needs_the_right_password(
    seller: Signer, password: bytes | None, fragment: str
) -> None:
    data = private_key_pem(seller, password=b"right") + certificate_pem(seller.certificate)
    with pytest.raises(SigningError, match=fragment):
        load_signer(data=data, password=password)


def test_password_for_an_unencrypted_pem_key_is_refused(seller: Signer) -> None:
    data = private_key_pem(seller, password=None) + certificate_pem(seller.certificate)
    with pytest.raises(SigningError, match="not encrypted"):
        load_signer(data=data, password=b"unneeded")


def test_pem_key_with_someone_elses_certificate_is_a_key_mismatch(
    seller: Signer, other_business: Signer
) -> None:
    data = private_key_pem(seller, password=None) + certificate_pem(other_business.certificate)
    with pytest.raises(KeyMismatch):
        load_signer(data=data)


def test_signer_refuses_a_key_that_does_not_match(seller: Signer, other_business: Signer) -> None:
    with pytest.raises(KeyMismatch, match="does not match"):
        Signer(private_key=seller.private_key, certificate=other_business.certificate)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"garbage that is neither PEM nor PKCS#12", id="garbage"),
        pytest.param(
            b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", id="broken-pem"
        ),
        pytest.param(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", id="pem-without-key"),
    ],
)
def test_garbage_is_a_signing_error(data: bytes) -> None:
    with pytest.raises(SigningError):
        load_signer(data=data)


def test_pem_key_without_certificate_is_a_certificate_error(seller: Signer) -> None:
    with pytest.raises(CertificateError) as caught:
        load_signer(data=private_key_pem(seller, password=None))
    assert caught.value.reason == "malformed"


def test_short_rsa_keys_are_refused(seller: Signer) -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    with pytest.raises(SigningError, match="1024 bits refused"):
        Signer(private_key=short, certificate=seller.certificate)


def test_signer_repr_leaves_the_key_out(seller: Signer) -> None:
    assert "private_key" not in repr(seller)


def test_load_certificate_reads_pem_and_der(seller: Signer) -> None:
    assert load_certificate(certificate_pem(seller.certificate)) == seller.certificate
    assert load_certificate(seller.certificate.public_bytes(Encoding.DER)) == seller.certificate


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x30\x03\x02\x01\x01", id="truncated-der"),
        pytest.param(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", id="bad-pem"),
    ],
)
def test_unreadable_certificate_is_malformed(data: bytes) -> None:
    with pytest.raises(CertificateError) as caught:
        load_certificate(data)
    assert caught.value.reason == "malformed"


def test_load_certificate_wants_exactly_one(seller: Signer, ca: Signer) -> None:
    with pytest.raises(CertificateError, match="expected one certificate, found 2"):
        load_certificate(certificate_pem(seller.certificate) + certificate_pem(ca.certificate))


def test_generated_keys_are_rsa_2048_and_p256() -> None:
    rsa_key = generate_private_key()
    ec_key = generate_private_key(algorithm="ec")
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert rsa_key.key_size == 2048
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    assert isinstance(ec_key.curve, ec.SECP256R1)
    with pytest.raises(SigningError):
        generate_private_key(algorithm="dsa")  # type: ignore[arg-type]


def test_issued_business_certificate(seller: Signer, ca: Signer) -> None:
    certificate = seller.certificate
    assert certificate.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == f"MST:{SELLER_TAX_CODE}"
    assert certificate.issuer == ca.certificate.subject
    certificate.verify_directly_issued_by(ca.certificate)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert not usage.key_cert_sign
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert seller.chain == (ca.certificate,)


def test_issued_ca_certificate_is_self_signed(ca: Signer) -> None:
    certificate = ca.certificate
    assert certificate.issuer == certificate.subject
    certificate.verify_directly_issued_by(certificate)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert ca.chain == ()


def test_only_a_ca_may_issue(seller: Signer) -> None:
    with pytest.raises(SigningError, match="not a CA"):
        issue_certificate(common_name="x", issuer=seller, not_before=NOW, not_after=NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param({"not_before": NOW.replace(tzinfo=None)}, "timezone-aware", id="naive"),
        pytest.param({"not_after": NOW - timedelta(days=1)}, "later than", id="inverted"),
        pytest.param({"tax_code": "01002334"}, "tax code", id="short-tax-code"),
        pytest.param({"common_name": ""}, "common_name", id="empty-name"),
    ],
)
def test_issue_certificate_refuses_bad_arguments(changes: dict[str, object], fragment: str) -> None:
    arguments: dict[str, object] = {
        "common_name": "x",
        "not_before": NOW,
        "not_after": NOW + timedelta(days=1),
        **changes,
    }
    with pytest.raises(SigningError, match=fragment):
        issue_certificate(**arguments)  # type: ignore[arg-type]


def test_empty_export_password_is_refused(seller: Signer) -> None:
    with pytest.raises(SigningError, match="must not be empty"):
        private_key_pem(seller, password=b"")
