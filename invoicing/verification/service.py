"""Verification of an uploaded invoice or receipt: every check reported on its own, none skipped silently."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from cryptography import x509
from lxml import etree
from sqlmodel import Session

import signing
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.invoices import service as invoices
from invoicing.keyring import Keyring
from invoicing.models import Invoice, InvoiceStatus, Receipt
from invoicing.receipts import service as receipts
from invoicing.verification.schemas import (
    Check,
    CheckResult,
    RelatedDocumentRead,
    VerificationReport,
    VerifiedDocument,
)

# Documents dated before Decree 123 took effect (1 July 2022) may carry SHA-1 signatures from
# older systems (decision 6); anything newer must use SHA-256.
LEGACY_SHA1_BEFORE = date(2022, 7, 1)
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_AUTHORITY_CODE = re.compile(r"^00[0-9A-F]{32}$")
_KINDS = {"1": "vat_invoice", "2": "sales_invoice"}
# Keyed by the status value: receipts have two of the invoice statuses ("issued", "cancelled").
STATUS_DETAIL: dict[str, str] = {
    InvoiceStatus.ISSUED.value: "issued and in force",
    InvoiceStatus.ADJUSTED.value: "in force, with adjustments",
    InvoiceStatus.REPLACED.value: "replaced by another invoice",
    InvoiceStatus.CANCELLED.value: "cancelled",
}
IN_FORCE = frozenset({InvoiceStatus.ISSUED.value, InvoiceStatus.ADJUSTED.value})


@dataclass(frozen=True)
class _Layout:
    """Where an invoice (``HDon``) or a receipt (``BLai``, DOMAIN.md decision 13) keeps each fact."""

    noun: str
    root: str
    data: str
    template: str
    symbol: str
    number: str
    seller: str
    total: str

    def general(self, name: str) -> str:
        return f"{self.data}/TTChung/{name}"


INVOICE = _Layout(
    noun="invoice",
    root="HDon",
    data="DLHDon",
    template="KHMSHDon",
    symbol="KHHDon",
    number="SHDon",
    seller="DLHDon/NDHDon/NBan",
    total="DLHDon/NDHDon/TToan/TgTTTBSo",
)
RECEIPT = _Layout(
    noun="receipt",
    root="BLai",
    data="DLBLai",
    template="KHMSBLai",
    symbol="KHBLai",
    number="SBLai",
    seller="DLBLai/NDBLai/NThu",
    total="DLBLai/NDBLai/TToan/TgTien",
)


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


def element_text(root: etree._Element, path: str) -> str | None:
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


def _stored(
    session: Session,
    layout: _Layout,
    *,
    seller_tax_code: str | None,
    template: str | None,
    symbol: str | None,
    number: int | None,
) -> Invoice | Receipt | None:
    if not (seller_tax_code and template and symbol and number):
        return None
    find = receipts.find_issued if layout is RECEIPT else invoices.find_issued
    return find(session, seller_tax_code=seller_tax_code, template=template, symbol=symbol, number=number)


def verify_document(session: Session, *, keyring: Keyring, data: bytes) -> VerificationReport:
    """Raises signing.InvalidXML for what is not safe, well-formed XML; reports everything else."""
    root = signing.parse_xml(data)
    layout = RECEIPT if root.tag == RECEIPT.root else INVOICE
    report = _Report()
    issue_date = _date(element_text(root, layout.general("NLap")))
    template = element_text(root, layout.general(layout.template))
    symbol = element_text(root, layout.general(layout.symbol))
    number = _int(element_text(root, layout.general(layout.number)))
    seller_tax_code = element_text(root, f"{layout.seller}/MST")
    authority_code = element_text(root, "MCCQT")
    document = VerifiedDocument(
        kind="receipt" if layout is RECEIPT else _KINDS.get(template or "", "unknown"),
        seller_tax_code=seller_tax_code,
        seller_name=element_text(root, f"{layout.seller}/Ten"),
        template=template,
        series=symbol,
        number=number,
        issue_date=issue_date,
        currency=element_text(root, layout.general("DVTTe")),
        total=element_text(root, layout.total),
        authority_code=authority_code,
        status=None,
        signed_at=None,
    )

    data_element = root.find(layout.data)
    if root.tag != layout.root or data_element is None or not data_element.get("Id"):
        report.add(
            "format",
            CheckResult.FAILED,
            "not an invoice or a receipt: expected HDon/DLHDon[@Id] or BLai/DLBLai[@Id]",
        )
        report.not_run(
            "seller_signature",
            "seller_certificate",
            "authority",
            "registration",
            "stored_copy",
            "status",
            because="the document is not an invoice or a receipt",
        )
        return VerificationReport(valid=False, checks=report.checks, document=document)
    if None in (template, symbol, number, seller_tax_code, issue_date):
        seller_path = layout.seller.split("/")[-1]
        report.add(
            "format",
            CheckResult.FAILED,
            f"{layout.template}, {layout.symbol}, {layout.number}, NLap and {seller_path}/MST are required",
        )
    else:
        report.add(
            "format",
            CheckResult.PASSED,
            f"a {layout.root} {layout.noun} with template, series, number, date and seller",
        )
    data_id = data_element.get("Id", "")

    seller = _check_seller_signature(root, report, layout, data_element, data_id, issue_date)
    if seller is not None:
        document.signed_at = seller.signing_time
    if layout is RECEIPT:
        report.add("authority", CheckResult.NOT_APPLICABLE, "a receipt carries no authority code")
    else:
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
        _stored(
            session, layout, seller_tax_code=seller_tax_code, template=template, symbol=symbol, number=number
        )
        if business
        else None
    )
    _check_stored_copy(report, layout, root, data, stored)
    if stored is None:
        report.add("status", CheckResult.NOT_RUN, "no stored copy to read the status from")
    else:
        document.status = stored.status.value
        if isinstance(stored, Invoice):
            document.related = [
                RelatedDocumentRead(
                    role=item.role,
                    series=item.series,
                    number=item.number,
                    issue_date=item.issue_date,
                    verify_url=f"/verify/{item.lookup_code}",
                )
                for item in invoices.related_documents(session, stored)
            ]
        report.add(
            "status",
            CheckResult.PASSED if stored.status.value in IN_FORCE else CheckResult.FAILED,
            STATUS_DETAIL[stored.status.value],
        )
    return VerificationReport(valid=report.valid, checks=report.checks, document=document)


def _check_seller_signature(
    root: etree._Element,
    report: _Report,
    layout: _Layout,
    data_element: etree._Element,
    data_id: str,
    issue_date: date | None,
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
        report.add(
            "seller_signature", CheckResult.FAILED, f"the signature does not cover {layout.data} ({data_id})"
        )
        return None
    report.add(
        "seller_signature",
        CheckResult.PASSED,
        f"valid {verified.signature_algorithm} signature over {layout.data}",
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


def _check_stored_copy(
    report: _Report, layout: _Layout, root: etree._Element, data: bytes, stored: Invoice | Receipt | None
) -> None:
    if stored is None:
        report.add(
            "stored_copy",
            CheckResult.FAILED,
            f"hoadon holds no {layout.noun} with this seller, series and number",
        )
        return
    if hashlib.sha256(data).hexdigest() == stored.sha256:
        report.add("stored_copy", CheckResult.PASSED, "byte-identical to the stored signed XML")
        return
    stored_root = signing.parse_xml(stored.signed_xml)
    if etree.tostring(stored_root, method="c14n") == etree.tostring(root, method="c14n"):
        report.add("stored_copy", CheckResult.PASSED, "identical to the stored signed XML once canonicalised")
        return
    report.add(
        "stored_copy", CheckResult.FAILED, f"differs from the {layout.noun} hoadon stored under this number"
    )
