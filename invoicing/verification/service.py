"""Verification of an uploaded invoice: every check reported on its own, none skipped silently."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from lxml import etree
from sqlmodel import Session

import signing
from invoicing.authority.qr import QrFacts, QrPayloadError, parse_qr_payload, signature_matches
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.errors import FieldProblem, ValidationFailed
from invoicing.invoices import service as invoices
from invoicing.keyring import Keyring
from invoicing.models import Invoice, InvoiceStatus
from invoicing.verification.schemas import (
    Check,
    CheckResult,
    QrDocument,
    QrFact,
    QrFields,
    QrVerificationReport,
    SignatureResult,
    VerificationReport,
    VerifiedDocument,
)

# Documents dated before Decree 123 took effect (1 July 2022) may carry SHA-1 signatures from
# older systems (decision 6); anything newer must use SHA-256.
LEGACY_SHA1_BEFORE = date(2022, 7, 1)
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_AUTHORITY_CODE = re.compile(r"^00[0-9A-F]{32}$")
_KINDS = {"1": "vat_invoice", "2": "sales_invoice"}
_STATUS_DETAIL = {
    InvoiceStatus.ISSUED: "issued and in force",
    InvoiceStatus.ADJUSTED: "in force, with adjustments",
    InvoiceStatus.REPLACED: "replaced by another invoice",
    InvoiceStatus.CANCELLED: "cancelled",
}


@dataclass
class _Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, result: CheckResult, detail: str) -> None:
        self.checks.append(Check(name=name, result=result, detail=detail))

    def not_run(self, *names: str, because: str) -> None:
        for name in names:
            self.add(name, CheckResult.NOT_RUN, because)

    @property
    def valid(self) -> bool:
        return all(c.result in (CheckResult.PASSED, CheckResult.NOT_APPLICABLE) for c in self.checks)


def _text(root: etree._Element, path: str) -> str | None:
    value = root.findtext(path)
    return value.strip() if value else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _signature(slot: etree._Element | None) -> etree._Element | None:
    if slot is None:
        return None
    return slot.find(f"{{{XMLDSIG_NS}}}Signature")


def verify_document(session: Session, *, keyring: Keyring, data: bytes) -> VerificationReport:
    """Raises signing.InvalidXML for what is not safe, well-formed XML; reports everything else."""
    root = signing.parse_xml(data)
    report = _Report()
    issue_date = _date(_text(root, "DLHDon/TTChung/NLap"))
    template = _text(root, "DLHDon/TTChung/KHMSHDon")
    symbol = _text(root, "DLHDon/TTChung/KHHDon")
    number = _int(_text(root, "DLHDon/TTChung/SHDon"))
    seller_tax_code = _text(root, "DLHDon/NDHDon/NBan/MST")
    authority_code = _text(root, "MCCQT")
    document = VerifiedDocument(
        kind=_KINDS.get(template or "", "unknown"),
        seller_tax_code=seller_tax_code,
        seller_name=_text(root, "DLHDon/NDHDon/NBan/Ten"),
        template=template,
        series=symbol,
        number=number,
        issue_date=issue_date,
        currency=_text(root, "DLHDon/TTChung/DVTTe"),
        total=_text(root, "DLHDon/NDHDon/TToan/TgTTTBSo"),
        authority_code=authority_code,
        status=None,
        signed_at=None,
    )

    data_element = root.find("DLHDon")
    if root.tag != "HDon" or data_element is None or not data_element.get("Id"):
        report.add("format", CheckResult.FAILED, "not an invoice: expected HDon/DLHDon[@Id]")
        report.not_run(
            "seller_signature",
            "seller_certificate",
            "authority",
            "registration",
            "stored_copy",
            "status",
            because="the document is not an invoice",
        )
        return VerificationReport(valid=False, checks=report.checks, document=document)
    if None in (template, symbol, number, seller_tax_code, issue_date):
        report.add("format", CheckResult.FAILED, "KHMSHDon, KHHDon, SHDon, NLap and NBan/MST are required")
    else:
        report.add(
            "format", CheckResult.PASSED, "an HDon invoice with template, series, number, date and seller"
        )
    data_id = data_element.get("Id", "")

    seller = _check_seller_signature(root, report, data_element, data_id, issue_date)
    if seller is not None:
        document.signed_at = seller.signing_time
    _check_authority(root, report, keyring, data_element, data_id, authority_code, symbol)

    business = businesses.find_by_tax_code(session, seller_tax_code) if seller_tax_code else None
    if business is None:
        report.add(
            "registration", CheckResult.FAILED, f"seller {seller_tax_code} is not registered with hoadon"
        )
    else:
        report.add(
            "registration", CheckResult.PASSED, f"seller {business.tax_code} is registered ({business.name})"
        )
    _check_seller_certificate(
        session, report, seller, seller_tax_code, business_id=business.id if business else None
    )

    stored = (
        invoices.find_issued(
            session, seller_tax_code=seller_tax_code, template=template, symbol=symbol, number=number
        )
        if business and seller_tax_code and template and symbol and number
        else None
    )
    _check_stored_copy(report, root, data, stored)
    if stored is None:
        report.add("status", CheckResult.NOT_RUN, "no stored copy to read the status from")
    else:
        document.status = stored.status.value
        in_force = stored.status in (InvoiceStatus.ISSUED, InvoiceStatus.ADJUSTED)
        report.add(
            "status", CheckResult.PASSED if in_force else CheckResult.FAILED, _STATUS_DETAIL[stored.status]
        )
    return VerificationReport(valid=report.valid, checks=report.checks, document=document)


def _check_seller_signature(
    root: etree._Element, report: _Report, data_element: etree._Element, data_id: str, issue_date: date | None
) -> signing.VerifiedSignature | None:
    signature = _signature(root.find("DSCKS/NBan"))
    if signature is None:
        report.add("seller_signature", CheckResult.FAILED, "no seller signature in DSCKS/NBan")
        return None
    legacy = issue_date is not None and issue_date < LEGACY_SHA1_BEFORE
    try:
        verified = signing.verify(root=root, signature=signature, allow_legacy_sha1=legacy)
    except signing.InvalidSignature as error:
        report.add("seller_signature", CheckResult.FAILED, str(error))
        return None
    if not any(element is data_element for element in verified.signed_elements):
        report.add("seller_signature", CheckResult.FAILED, f"the signature does not cover DLHDon ({data_id})")
        return None
    report.add(
        "seller_signature", CheckResult.PASSED, f"valid {verified.signature_algorithm} signature over DLHDon"
    )
    return verified


def _check_seller_certificate(
    session: Session,
    report: _Report,
    seller: signing.VerifiedSignature | None,
    seller_tax_code: str | None,
    *,
    business_id: uuid.UUID | None,
) -> None:
    if seller is None:
        report.add("seller_certificate", CheckResult.NOT_RUN, "the seller signature did not verify")
        return
    at = seller.signing_time
    if at is None:
        report.add("seller_certificate", CheckResult.FAILED, "the signature carries no SigningTime")
        return
    try:
        signing.check_certificate(seller.certificate, at=at, tax_code=seller_tax_code)
    except signing.CertificateError as error:
        report.add("seller_certificate", CheckResult.FAILED, str(error))
        return
    fingerprint = signing.describe_certificate(seller.certificate).fingerprint_sha256
    if business_id is None or not certificates.is_on_file(
        session, business_id=business_id, fingerprint=fingerprint
    ):
        report.add(
            "seller_certificate",
            CheckResult.FAILED,
            "valid at signing time and issued to the seller's MST, but not a certificate the seller registered",
        )
        return
    report.add(
        "seller_certificate",
        CheckResult.PASSED,
        f"valid at signing time {_local(at)}, issued to MST {seller_tax_code}, on file for the seller",
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(signing.VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _check_authority(
    root: etree._Element,
    report: _Report,
    keyring: Keyring,
    data_element: etree._Element,
    data_id: str,
    authority_code: str | None,
    symbol: str | None,
) -> None:
    coded = symbol is not None and symbol.startswith("C")
    code_element = root.find("MCCQT")
    if not coded and code_element is None:
        report.add("authority", CheckResult.NOT_APPLICABLE, "a K series invoice carries no authority code")
        return
    if code_element is None or authority_code is None:
        report.add(
            "authority", CheckResult.FAILED, "a C series invoice must carry the authority code (MCCQT)"
        )
        return
    if not _AUTHORITY_CODE.match(authority_code):
        report.add("authority", CheckResult.FAILED, "MCCQT is not 00 followed by 32 uppercase hex characters")
        return
    signature = _signature(root.find("DSCKS/CQT"))
    if signature is None:
        report.add("authority", CheckResult.FAILED, "no authority signature in DSCKS/CQT")
        return
    expected: x509.Certificate = keyring.authority.certificate
    try:
        verified = signing.verify(root=root, signature=signature, expected_certificate=expected)
    except signing.InvalidSignature as error:
        report.add("authority", CheckResult.FAILED, str(error))
        return
    covered = {id(element) for element in verified.signed_elements}
    if id(data_element) not in covered or id(code_element) not in covered:
        report.add("authority", CheckResult.FAILED, "the authority signature does not cover DLHDon and MCCQT")
        return
    report.add(
        "authority", CheckResult.PASSED, f"MCCQT {authority_code} signed by the tax authority over {data_id}"
    )


def _check_stored_copy(report: _Report, root: etree._Element, data: bytes, stored: Invoice | None) -> None:
    if stored is None:
        report.add(
            "stored_copy", CheckResult.FAILED, "hoadon holds no invoice with this seller, series and number"
        )
        return
    if hashlib.sha256(data).hexdigest() == stored.sha256:
        report.add("stored_copy", CheckResult.PASSED, "byte-identical to the stored signed XML")
        return
    stored_root = signing.parse_xml(stored.signed_xml)
    if etree.tostring(stored_root, method="c14n") == etree.tostring(root, method="c14n"):
        report.add("stored_copy", CheckResult.PASSED, "identical to the stored signed XML once canonicalised")
        return
    report.add("stored_copy", CheckResult.FAILED, "differs from the invoice hoadon stored under this number")


MAX_QR_CHARS = 2048
QR_FIELDS = tuple(f.name for f in fields(QrFacts))
IN_FORCE = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.ADJUSTED})
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
    return _text(signing.parse_xml(invoice.signed_xml), "DLHDon/NDHDon/NBan/Ten")


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
    if stored.status not in IN_FORCE:
        return report(valid=False, detail=f"authentic, but the invoice is {_STATUS_DETAIL[stored.status]}")
    return report(
        valid=True,
        detail=f"authentic and matching the stored invoice, which is {_STATUS_DETAIL[stored.status]}",
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
    return PublicInvoice(invoice=invoice, seller_name=seller_name(invoice), qr=qr)
