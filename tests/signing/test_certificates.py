"""check_certificate: one test per refusal reason, and the MST read from the subject."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from signing import (
    CertificateError,
    Signer,
    SigningError,
    certificate_tax_code,
    check_certificate,
    describe_certificate,
    generate_private_key,
    issue_certificate,
)
from tests.signing.helpers import NOW, OTHER_TAX_CODE, SELLER_TAX_CODE


def _certificate(subject: list[x509.NameAttribute[str]], issuer: Signer) -> x509.Certificate:
    key = generate_private_key(algorithm="ec")
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(issuer.private_key, hashes.SHA256())
    )


def _reason(certificate: x509.Certificate, **arguments: object) -> str:
    with pytest.raises(CertificateError) as caught:
        check_certificate(certificate, at=NOW, **arguments)  # type: ignore[arg-type]
    return caught.value.reason


def test_valid_business_certificate_passes_every_check(seller: Signer, ca: Signer) -> None:
    info = check_certificate(
        seller.certificate, at=NOW, tax_code=SELLER_TAX_CODE, trust_anchors=[ca.certificate]
    )
    assert info.tax_code == SELLER_TAX_CODE
    assert info.subject == f"UID=MST:{SELLER_TAX_CODE},CN=CÔNG TY TNHH VÍ DỤ BÁN"
    assert info.issuer == "CN=hoadon test CA"


def test_expired(expired: Signer) -> None:
    assert _reason(expired.certificate) == "expired"


def test_not_yet_valid(seller: Signer) -> None:
    with pytest.raises(CertificateError, match="not valid before") as caught:
        check_certificate(seller.certificate, at=NOW - timedelta(days=31))
    assert caught.value.reason == "not_yet_valid"


def test_key_usage_without_digital_signature(encryption_only: x509.Certificate) -> None:
    assert _reason(encryption_only) == "no_digital_signature"


def test_ca_certificate_cannot_sign_invoices(ca: Signer) -> None:
    assert _reason(ca.certificate) == "no_digital_signature"


def test_tax_code_of_another_business(other_business: Signer) -> None:
    assert _reason(other_business.certificate, tax_code=SELLER_TAX_CODE) == "tax_code_mismatch"


def test_certificate_without_tax_code_mismatches_any_tax_code(authority: Signer) -> None:
    assert _reason(authority.certificate, tax_code=SELLER_TAX_CODE) == "tax_code_mismatch"


def test_untrusted_issuer(seller: Signer) -> None:
    stranger = issue_certificate(
        common_name="other CA",
        is_ca=True,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=9),
    )
    assert _reason(seller.certificate, trust_anchors=[stranger.certificate]) == "untrusted"


def test_issuer_name_alone_does_not_make_a_certificate_trusted(ca: Signer) -> None:
    impostor = issue_certificate(
        common_name="hoadon test CA",
        is_ca=True,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=9),
    )
    forged = issue_certificate(
        common_name="CÔNG TY GIẢ",
        tax_code=SELLER_TAX_CODE,
        issuer=impostor,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=9),
    )
    assert forged.certificate.issuer == ca.certificate.subject
    assert _reason(forged.certificate, trust_anchors=[ca.certificate]) == "untrusted"


def test_a_non_ca_anchor_cannot_vouch_for_others(seller: Signer) -> None:
    child = _certificate([x509.NameAttribute(NameOID.COMMON_NAME, "child")], issuer=seller)
    assert _reason(child, trust_anchors=[seller.certificate]) == "untrusted"


def test_a_pinned_certificate_is_its_own_anchor(authority: Signer) -> None:
    assert check_certificate(authority.certificate, at=NOW, trust_anchors=[authority.certificate])


def test_trust_is_checked_first(expired: Signer, authority: Signer) -> None:
    assert _reason(expired.certificate, trust_anchors=[authority.certificate]) == "untrusted"


@pytest.mark.parametrize(
    ("written", "asked"),
    [
        ("0314409058-002", "0314409058002"),
        ("0314409058002", "0314409058-002"),
        ("0314409058-002", "0314409058-002"),
    ],
)
def test_branch_tax_codes_compare_by_digits(ca: Signer, written: str, asked: str) -> None:
    branch = _certificate(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "CHI NHÁNH"),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{written}"),
        ],
        issuer=ca,
    )
    assert check_certificate(branch, at=NOW, tax_code=asked).tax_code == "0314409058-002"


def test_branch_tax_code_does_not_match_the_parent(ca: Signer) -> None:
    branch = _certificate([x509.NameAttribute(NameOID.USER_ID, "MST:0314409058-002")], issuer=ca)
    assert _reason(branch, tax_code="0314409058") == "tax_code_mismatch"


def test_tax_code_from_uid(seller: Signer) -> None:
    assert certificate_tax_code(seller.certificate) == SELLER_TAX_CODE


def test_uid_is_preferred_over_other_attributes(ca: Signer) -> None:
    certificate = _certificate(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"CÔNG TY MẸ MST:{OTHER_TAX_CODE}"),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{SELLER_TAX_CODE}"),
        ],
        issuer=ca,
    )
    assert certificate_tax_code(certificate) == SELLER_TAX_CODE


def test_tax_code_tolerated_in_another_attribute(ca: Signer) -> None:
    certificate = _certificate(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "CÔNG TY VÍ DỤ"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"MST: {OTHER_TAX_CODE}"),
        ],
        issuer=ca,
    )
    assert certificate_tax_code(certificate) == OTHER_TAX_CODE


def test_personal_id_is_not_a_tax_code(ca: Signer) -> None:
    certificate = _certificate(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn A"),
            x509.NameAttribute(NameOID.USER_ID, "CCCD:001234567890"),
        ],
        issuer=ca,
    )
    assert certificate_tax_code(certificate) is None


def test_describe_certificate(seller: Signer) -> None:
    info = describe_certificate(seller.certificate)
    assert (
        info.fingerprint_sha256 == hashlib.sha256(seller.certificate.public_bytes(Encoding.DER)).hexdigest()
    )
    assert int(info.serial_hex, 16) == seller.certificate.serial_number
    assert len(info.serial_hex) % 2 == 0
    assert info.serial_hex == info.serial_hex.lower()
    assert info.not_before == NOW - timedelta(days=30)
    assert info.not_after.tzinfo is UTC


def test_naive_moment_is_refused(seller: Signer) -> None:
    with pytest.raises(SigningError, match="timezone-aware"):
        check_certificate(seller.certificate, at=NOW.replace(tzinfo=None))
