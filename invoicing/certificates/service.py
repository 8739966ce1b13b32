from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from lxml import etree
from sqlmodel import Session

import signing
from invoicing.audit.service import record_event
from invoicing.certificates import repository
from invoicing.errors import Conflict, ValidationFailed
from invoicing.keyring import Keyring
from invoicing.models import Business, CertificateSource, SigningCertificate
from invoicing.models.base import utcnow
from invoicing.secretbox import seal, unseal

SANDBOX_VALIDITY = timedelta(days=365)
KeyAlgorithm = Literal["rsa", "ec"]


class NoUsableCertificate(Conflict):
    type_slug = "no-signing-certificate"
    title = "No usable signing certificate"


class CertificateAlreadyOnFile(Conflict):
    type_slug = "certificate-already-on-file"
    title = "This certificate is already on file"


def certificate_on_form(*, pem: str, tax_code: str) -> signing.CertificateInfo:
    """The certificate a registration lists: parseable, valid now, for signing, and for this MST."""
    try:
        certificate = signing.load_certificate(pem.encode())
        return signing.check_certificate(certificate, at=utcnow(), tax_code=tax_code)
    except signing.CertificateError as error:
        raise ValidationFailed(str(error), field="certificate_pem") from None
    except signing.SigningError as error:
        raise ValidationFailed(f"not an X.509 certificate in PEM: {error}", field="certificate_pem") from None


def _store(
    session: Session,
    *,
    keyring: Keyring,
    business: Business,
    signer: signing.Signer,
    source: CertificateSource,
) -> SigningCertificate:
    info = signing.describe_certificate(signer.certificate)
    if repository.get_by_fingerprint(session, info.fingerprint_sha256) is not None:
        raise CertificateAlreadyOnFile(f"certificate {info.serial_hex} is already on file", field="data")
    record = SigningCertificate(
        business_id=business.id,
        source=source,
        certificate_pem=signing.certificate_pem(signer.certificate).decode(),
        sealed_private_key=seal(
            signing.private_key_pem(signer, password=None), secret_key=keyring.secret_key
        ),
        serial_hex=info.serial_hex,
        fingerprint_sha256=info.fingerprint_sha256,
        subject=info.subject[:1000],
        issuer=info.issuer[:1000],
        not_before=info.not_before,
        not_after=info.not_after,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor=("business", str(business.id)) if source is CertificateSource.UPLOADED else ("system", None),
        action="certificate.added",
        subject_type="business",
        subject_id=business.id,
        data={"serial": info.serial_hex, "source": source.value, "not_after": info.not_after.isoformat()},
    )
    return record


def issue_sandbox_certificate(
    session: Session, *, keyring: Keyring, business: Business, key_algorithm: KeyAlgorithm = "rsa"
) -> SigningCertificate:
    """RSA by default, as Vietnamese CAs issue; ECDSA P-256 keys are minted 100x faster (demo data)."""
    if keyring.sandbox_ca is None:
        raise NoUsableCertificate("The sandbox CA is off (HOADON_SANDBOX); upload a certificate instead")
    now = utcnow()
    signer = signing.issue_certificate(
        common_name=business.name[:64],
        tax_code=business.tax_code,
        issuer=keyring.sandbox_ca,
        not_before=now - timedelta(minutes=5),
        not_after=now + SANDBOX_VALIDITY,
        private_key=signing.generate_private_key(algorithm=key_algorithm),
    )
    return _store(
        session, keyring=keyring, business=business, signer=signer, source=CertificateSource.SANDBOX
    )


def upload_certificate(
    session: Session, *, keyring: Keyring, business: Business, data: bytes, password: bytes | None
) -> SigningCertificate:
    try:
        signer = signing.load_signer(data=data, password=password)
        signing.check_certificate(signer.certificate, at=utcnow(), tax_code=business.tax_code)
    except signing.KeyMismatch as error:
        raise ValidationFailed(str(error), field="data") from None
    except signing.CertificateError as error:
        raise ValidationFailed(str(error), field="data") from None
    except signing.SigningError as error:
        raise ValidationFailed(f"cannot read a key and certificate: {error}", field="data") from None
    return _store(
        session, keyring=keyring, business=business, signer=signer, source=CertificateSource.UPLOADED
    )


def sign_as_seller(
    root: etree._Element, *, signer: signing.Signer, data_id: str, signature_id: str, at: datetime
) -> None:
    """The seller's signature in ``DSCKS/NBan`` over the document data and its signing time."""
    slot = root.find("DSCKS/NBan")
    if slot is None:
        raise ValueError("the document has no DSCKS/NBan slot")
    signing.sign(
        root=root,
        signer=signer,
        reference_ids=[data_id],
        into=slot,
        signing_time=at,
        signature_id=signature_id,
    )


def is_on_file(session: Session, *, business_id: uuid.UUID, fingerprint: str) -> bool:
    record = repository.get_by_fingerprint(session, fingerprint)
    return record is not None and record.business_id == business_id


def list_certificates(session: Session, *, business_id: uuid.UUID) -> list[SigningCertificate]:
    return repository.list_for_business(session, business_id)


@lru_cache(maxsize=1024)
def _unsealed_signer(
    certificate_id: uuid.UUID, sealed: str, certificate_pem: str, secret_key: str
) -> signing.Signer:
    # Unsealing and parsing a key costs more than the signature itself; a certificate row never
    # changes, so its id is a safe cache key.
    key_pem = unseal(sealed, secret_key=secret_key)
    return signing.load_signer(data=key_pem + certificate_pem.encode())


def signer_for(session: Session, *, keyring: Keyring, business: Business, at: datetime) -> signing.Signer:
    record = repository.usable_for_business(session, business.id, at=at)
    if record is None:
        raise NoUsableCertificate(
            "No signing certificate of this business is valid now; upload one with "
            "POST /v1/business/certificates (PKCS#12 or PEM key + certificate)"
        )
    return _unsealed_signer(record.id, record.sealed_private_key, record.certificate_pem, keyring.secret_key)
