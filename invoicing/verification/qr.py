"""QR codes: the authority-signed payload checked against the stored invoice, and the public page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import date
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from sqlmodel import Session

import signing
from invoicing.authority.qr import QrFacts, QrPayloadError, parse_qr_payload, signature_matches
from invoicing.errors import FieldProblem, ValidationFailed
from invoicing.invoices import service as invoices
from invoicing.keyring import Keyring
from invoicing.models import Invoice
from invoicing.verification.schemas import (
    QrDocument,
    QrFact,
    QrFields,
    QrVerificationReport,
    SignatureResult,
)
from invoicing.verification.service import IN_FORCE, STATUS_DETAIL, element_text

MAX_QR_CHARS = 2048
QR_FIELDS = tuple(f.name for f in fields(QrFacts))
# Only well-shaped facts reach a query: PostgreSQL refuses a NUL in text with an error, and SHDon
# has at most 8 digits (Decree 123/2020 Art. 10.3), which also keeps a number within INTEGER.
_QR_SHAPES = {
    "seller_tax_code": (
        re.compile(r"[0-9]{10}(-[0-9]{3})?|[0-9]{12}"),
        "not a tax code (10 digits, or 10-3 for a branch)",
    ),
    "series": (re.compile(r"[1-9][0-9A-Z]{1,9}"), "not a template and series symbol such as 1C26TAA"),
    "issue_date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "not a date written YYYY-MM-DD"),
    "total": (re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,6})?"), "not a plain decimal number such as 4350000"),
    "authority_code": (re.compile(r"00[0-9A-F]{32}"), "not 00 followed by 32 uppercase hex characters"),
}
_MAX_NUMBER = 99_999_999
_VERIFY_PATH = "/verify/"


class QrNotAuthentic(ValidationFailed):
    type_slug = "qr-not-authentic"
    title = "The QR code is not the tax authority's signature over the invoice hoadon holds"


@dataclass(frozen=True)
class QrCheck:
    facts: QrFacts
    signature_valid: bool
    url_code: str | None

    def url_code_matches(self, stored: Invoice | None) -> bool | None:
        """The path of a URL is not signed: its page must be the invoice the signed facts name."""
        expected = self.facts.authority_code or (str(stored.id) if stored is not None else None)
        if self.url_code is None or expected is None:
            return None
        return self.url_code.upper() == expected.upper()


def _split_qr_text(text: str) -> tuple[str, str | None]:
    text = text.strip()
    if len(text) > MAX_QR_CHARS:
        raise QrPayloadError("payload", f"longer than {MAX_QR_CHARS} characters")
    if not text.lower().startswith(("http://", "https://")):
        return text, None
    try:
        url = urlsplit(text)
    except ValueError:
        raise QrPayloadError("payload", "not a URL") from None
    values = parse_qs(url.query).get("q", [])
    if len(values) != 1:
        raise QrPayloadError("payload", "the URL must carry exactly one q= payload")
    _, marker, code = url.path.rpartition(_VERIFY_PATH)
    return values[0], code if marker and code else None


def _check_shape(facts: QrFacts) -> None:
    for name, (pattern, reason) in _QR_SHAPES.items():
        value = getattr(facts, name)
        if value is not None and not pattern.fullmatch(value):
            raise QrPayloadError(name, reason)
    try:
        date.fromisoformat(facts.issue_date)
    except ValueError:
        raise QrPayloadError("issue_date", "not a calendar date") from None
    if not 1 <= facts.number <= _MAX_NUMBER:
        raise QrPayloadError("number", f"not an invoice number (1 to {_MAX_NUMBER})")


def check_qr(text: str, *, certificate: x509.Certificate) -> QrCheck:
    """Offline: the facts and whether ``certificate`` signed them. ``text`` is the payload or the
    verification URL carrying it; QrPayloadError names the malformed field."""
    payload, url_code = _split_qr_text(text)
    facts, signed, signature = parse_qr_payload(payload)
    _check_shape(facts)
    return QrCheck(
        facts=facts, signature_valid=signature_matches(certificate, signed, signature), url_code=url_code
    )


def compare_qr_facts(facts: QrFacts, stored: Invoice) -> dict[str, bool]:
    expected = invoices.qr_facts(stored)
    return {name: getattr(facts, name) == getattr(expected, name) for name in QR_FIELDS}


def seller_name(invoice: Invoice) -> str | None:
    """The name as signed on the invoice's face, not the business's name today."""
    return element_text(signing.parse_xml(invoice.signed_xml), "DLHDon/NDHDon/NBan/Ten")


def _find_for_qr(session: Session, facts: QrFacts) -> Invoice | None:
    return invoices.find_issued(
        session,
        seller_tax_code=facts.seller_tax_code,
        template=facts.series[:1],
        symbol=facts.series[1:],
        number=facts.number,
    )


def _qr_document(stored: Invoice) -> QrDocument:
    return QrDocument(
        seller_tax_code=stored.seller_tax_code,
        seller_name=seller_name(stored),
        series=f"{stored.template}{stored.symbol}",
        number=stored.number,
        issue_date=stored.issue_date,
        currency=stored.currency,
        total=invoices.qr_facts(stored).total,
        authority_code=stored.authority_code,
        status=stored.status.value,
        href=f"/verify/{invoices.lookup_code(stored)}",
    )


def _differences(
    facts: QrFacts, stored: Invoice | None, matches: dict[str, bool | None]
) -> list[FieldProblem]:
    expected = invoices.qr_facts(stored) if stored is not None else None
    problems = []
    for name in QR_FIELDS:
        if matches[name] is not False:
            continue
        if name == "document_sha256":
            reason = "hoadon holds a different document under this seller, series and number"
        else:
            reason = (
                f"the QR says {getattr(facts, name)}; the invoice hoadon holds says {getattr(expected, name)}"
            )
        problems.append(FieldProblem(name, reason))
    return problems


def verify_qr(session: Session, *, keyring: Keyring, text: str) -> QrVerificationReport:
    """A payload that is malformed, or whose signature fails, is refused (ValidationFailed); every
    other outcome is reported, valid or not."""
    try:
        check = check_qr(text, certificate=keyring.authority.certificate)
    except QrPayloadError as error:
        raise ValidationFailed(error.reason, field=error.field) from None
    facts = check.facts
    stored = _find_for_qr(session, facts)
    # The 256-bit document digest is printed nowhere but on the invoice and in its QR, so only a
    # caller holding it learns how the stored invoice compares: guessing another business's
    # totals number by number gets no answer.
    same_document = stored is not None and stored.sha256 == facts.document_sha256
    matches: dict[str, bool | None] = dict.fromkeys(QR_FIELDS)
    if stored is not None and same_document:
        matches.update(compare_qr_facts(facts, stored))
    elif stored is not None:
        matches["document_sha256"] = False
    differing = _differences(facts, stored, matches)

    def report(*, valid: bool, detail: str) -> QrVerificationReport:
        return QrVerificationReport(
            valid=valid,
            signature=SignatureResult.PASSED if check.signature_valid else SignatureResult.FAILED,
            stored=stored is not None,
            fields=QrFields(
                **{name: QrFact(value=getattr(facts, name), matches=matches[name]) for name in QR_FIELDS}
            ),
            document=_qr_document(stored) if stored is not None and same_document else None,
            detail=detail,
        )

    if not check.signature_valid:
        refused = report(valid=False, detail="the tax authority's signature does not verify")
        extra = {"report": refused.model_dump(mode="json")}
        if differing:
            raise QrNotAuthentic(
                "the QR payload was altered: " + ", ".join(p.field for p in differing) + " differ",
                errors=differing,
                extra=extra,
            )
        raise QrNotAuthentic(
            "every fact matches the invoice hoadon holds, but the signature is not the tax authority's"
            if stored is not None
            else "not signed by the tax authority, and hoadon holds no such invoice",
            field="signature",
            extra=extra,
        )
    if check.url_code_matches(stored) is False:
        detail = (
            f"the URL opens /verify/{check.url_code}, which is not the page of the invoice the "
            "signed payload names"
        )
        raise QrNotAuthentic(
            detail,
            field="payload",
            extra={"report": report(valid=False, detail=detail).model_dump(mode="json")},
        )
    if stored is None:
        return report(
            valid=False,
            detail="the tax authority's signature is valid, but hoadon holds no invoice with this "
            "seller, series and number: it is kept by another deployment",
        )
    if differing:
        return report(
            valid=False,
            detail="signed by the tax authority, but not the invoice hoadon holds under this number",
        )
    if stored.status.value not in IN_FORCE:
        return report(
            valid=False, detail=f"authentic, but the invoice is {STATUS_DETAIL[stored.status.value]}"
        )
    return report(
        valid=True,
        detail=f"authentic and matching the stored invoice, which is {STATUS_DETAIL[stored.status.value]}",
    )


@dataclass(frozen=True)
class QrOnPage:
    """What a QR's ``?q=`` says about the page's invoice; ``problem`` when it cannot be read."""

    facts: QrFacts | None = None
    signature_valid: bool = False
    matches: dict[str, bool] = field(default_factory=dict)
    problem: QrPayloadError | None = None

    @property
    def valid(self) -> bool:
        return self.signature_valid and bool(self.matches) and all(self.matches.values())


@dataclass(frozen=True)
class PublicInvoice:
    invoice: Invoice
    seller_name: str | None
    qr: QrOnPage | None
    related: list[invoices.RelatedDocument]


def _normalized_lookup_code(code: str) -> str | None:
    code = code.strip()
    if _QR_SHAPES["authority_code"][0].fullmatch(code.upper()):
        return code.upper()
    try:
        return str(uuid.UUID(code))
    except ValueError:
        return None


def public_invoice(
    session: Session, *, keyring: Keyring, code: str, qr_payload: str | None
) -> PublicInvoice | None:
    """What the public page shows for ``code`` (see invoices.lookup_code); the QR, when given, is
    checked against this very invoice, so a URL pointing at another invoice's page shows up."""
    lookup = _normalized_lookup_code(code)
    invoice = invoices.find_for_lookup(session, lookup) if lookup is not None else None
    if invoice is None:
        return None
    qr = None
    if qr_payload is not None:
        try:
            check = check_qr(qr_payload, certificate=keyring.authority.certificate)
        except QrPayloadError as error:
            qr = QrOnPage(problem=error)
        else:
            qr = QrOnPage(
                facts=check.facts,
                signature_valid=check.signature_valid,
                matches=compare_qr_facts(check.facts, invoice),
            )
    return PublicInvoice(
        invoice=invoice,
        seller_name=seller_name(invoice),
        qr=qr,
        related=invoices.related_documents(session, invoice),
    )
