"""Fixtures for the signing tests.

Every certificate is minted here with cryptography (a test CA and business certificates carrying
``UID=MST:<tax code>``); nothing is read from stored files. xmlsec1 (the Debian ``xmlsec1``
package) is the independent implementation that signatures are checked against, in both directions;
without it those tests skip, except under HOADON_TEST_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from lxml import etree

from signing import Signer, certificate_pem, generate_private_key, issue_certificate, parse_xml
from tests.signing.helpers import INVOICE_XML, NOW, OTHER_TAX_CODE, SELLER_TAX_CODE, Xmlsec1

VALID_FROM = NOW - timedelta(days=30)
VALID_UNTIL = NOW + timedelta(days=365)


@pytest.fixture(scope="session")
def ca() -> Signer:
    return issue_certificate(
        common_name="hoadon test CA",
        is_ca=True,
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=5 * 365),
    )


@pytest.fixture(scope="session")
def seller(ca: Signer) -> Signer:
    return issue_certificate(
        common_name="CÔNG TY TNHH VÍ DỤ BÁN",
        tax_code=SELLER_TAX_CODE,
        issuer=ca,
        not_before=VALID_FROM,
        not_after=VALID_UNTIL,
    )


@pytest.fixture(scope="session")
def ec_seller(ca: Signer) -> Signer:
    return issue_certificate(
        common_name="CÔNG TY TNHH VÍ DỤ BÁN",
        tax_code=SELLER_TAX_CODE,
        issuer=ca,
        private_key=generate_private_key(algorithm="ec"),
        not_before=VALID_FROM,
        not_after=VALID_UNTIL,
    )


@pytest.fixture(scope="session")
def authority(ca: Signer) -> Signer:
    return issue_certificate(
        common_name="TỔNG CỤC THUẾ", issuer=ca, not_before=VALID_FROM, not_after=VALID_UNTIL
    )


@pytest.fixture(scope="session")
def other_business(ca: Signer) -> Signer:
    return issue_certificate(
        common_name="CÔNG TY KHÁC",
        tax_code=OTHER_TAX_CODE,
        issuer=ca,
        not_before=VALID_FROM,
        not_after=VALID_UNTIL,
    )


@pytest.fixture(scope="session")
def expired(ca: Signer) -> Signer:
    return issue_certificate(
        common_name="CÔNG TY HẾT HẠN",
        tax_code=SELLER_TAX_CODE,
        issuer=ca,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )


@pytest.fixture(scope="session")
def encryption_only(ca: Signer) -> x509.Certificate:
    """A business certificate whose KeyUsage allows key encipherment only, not signatures."""
    key = generate_private_key()
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "CÔNG TY MÃ HÓA"),
                    x509.NameAttribute(NameOID.USER_ID, f"MST:{SELLER_TAX_CODE}"),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(usage, critical=True)
        .sign(ca.private_key, hashes.SHA256())
    )


@pytest.fixture
def invoice() -> etree._Element:
    return parse_xml(INVOICE_XML)


@pytest.fixture
def xmlsec1(tmp_path: Path, ca: Signer) -> Xmlsec1:
    if shutil.which("xmlsec1") is None:
        message = "xmlsec1 is not installed (Debian package 'xmlsec1'; scripts/system-deps.sh installs it)"
        if os.environ.get("HOADON_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(certificate_pem(ca.certificate))
    return Xmlsec1(directory=tmp_path, ca_pem=ca_pem)
