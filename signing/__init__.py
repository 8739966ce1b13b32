"""hoadon's signing library: safe XML parsing, keys and certificates, XMLDSig sign and verify.

A library with no knowledge of the web application or the database. Everything it raises is a
:class:`SigningError`. Typical use::

    root = parse_xml(data)
    signer = load_signer(data=p12_bytes, password=b"...")
    check_certificate(signer.certificate, at=now, tax_code="0100233488")
    sign(root=root, signer=signer, reference_ids=["DLHDon-1"], into=root.find("DSCKS/NBan"),
         signing_time=now, signature_id="seller")
    stored = serialize(root)

    result = verify(root=parse_xml(stored), signature=..., expected_certificate=signer.certificate)
"""

from .certificates import CertificateInfo, certificate_tax_code, check_certificate, describe_certificate
from .errors import CertificateError, InvalidSignature, InvalidXML, KeyMismatch, SigningError
from .keys import (
    Signer,
    certificate_pem,
    generate_private_key,
    issue_certificate,
    load_certificate,
    load_signer,
    private_key_pem,
)
from .parsing import parse_xml, serialize
from .xmldsig import VN_TZ, VerifiedSignature, sign, verify

__all__ = [
    "VN_TZ",
    "CertificateError",
    "CertificateInfo",
    "InvalidSignature",
    "InvalidXML",
    "KeyMismatch",
    "Signer",
    "SigningError",
    "VerifiedSignature",
    "certificate_pem",
    "certificate_tax_code",
    "check_certificate",
    "describe_certificate",
    "generate_private_key",
    "issue_certificate",
    "load_certificate",
    "load_signer",
    "parse_xml",
    "private_key_pem",
    "serialize",
    "sign",
    "verify",
]
