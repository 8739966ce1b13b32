"""The package surface: the names the application imports, and nothing of the web or the database."""

from __future__ import annotations

import subprocess
import sys

import signing

PUBLIC_NAMES = {
    "parse_xml",
    "serialize",
    "Signer",
    "load_signer",
    "load_certificate",
    "generate_private_key",
    "issue_certificate",
    "private_key_pem",
    "certificate_pem",
    "CertificateInfo",
    "describe_certificate",
    "certificate_tax_code",
    "check_certificate",
    "sign",
    "verify",
    "VerifiedSignature",
    "VN_TZ",
    "SigningError",
    "InvalidXML",
    "InvalidSignature",
    "CertificateError",
    "KeyMismatch",
}


def test_public_names() -> None:
    assert set(signing.__all__) == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(signing, name).__doc__, name


def test_errors_form_one_tree() -> None:
    for error in (
        signing.InvalidXML,
        signing.InvalidSignature,
        signing.CertificateError,
        signing.KeyMismatch,
    ):
        assert issubclass(error, signing.SigningError)
    assert signing.CertificateError("expired", reason="expired").reason == "expired"


def test_importing_signing_loads_no_application_code() -> None:
    forbidden = ["fastapi", "starlette", "sqlmodel", "sqlalchemy", "redis", "invoicing", "pdf"]
    script = f"import sys, signing; print([m for m in {forbidden!r} if m in sys.modules])"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
