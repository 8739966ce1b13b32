"""E-receipts for fees and charges (*biên lai điện tử*, Decree 123 Art. 30–39), issued like invoices:
numbered gap-free in a registered series, signed by the collector, sealed into the series' chain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import pdf
import signing
from invoicing.adoption import service as adoption
from invoicing.audit.service import record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.authority.qr import QrFacts, sign_qr_payload
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.decimals import plain_number
from invoicing.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from invoicing.keyring import Keyring
from invoicing.models import DocumentKind, Receipt, Rendition, RenditionStatus, Series
from invoicing.models.base import utcnow
from invoicing.pagination import Cursor
from invoicing.receipts import repository
from invoicing.receipts.documents import PageExtras, receipt_page
from invoicing.receipts.repository import ReceiptFilter
from invoicing.receipts.schemas import ReceiptCreate
from invoicing.receipts.xml import Fee, ReceiptDocument, ReceiptParty, ReceiptXMLError, build_receipt_xml
from invoicing.renditions import service as renditions
from invoicing.series import service as series_service
from invoicing.series.rules import RECEIPT_TITLE
from invoicing.words import amount_in_words

RECEIPT_KINDS = frozenset({DocumentKind.RECEIPT})
RENDITION_TYPE = "receipt"


class ReceiptNotFound(NotFound):
    type_slug = "receipt-not-found"
    title = "Receipt not found"


class ReceiptExternalIdAlreadyUsed(Conflict):
    type_slug = "external-id-already-used"
    title = "A receipt with this external_id exists"


def _external_id_conflict(existing: Receipt) -> ReceiptExternalIdAlreadyUsed:
    return ReceiptExternalIdAlreadyUsed(
        f"receipt {existing.symbol} no. {existing.number} already has external_id {existing.external_id!r}",
        field="external_id",
        extra={"existing": {"id": str(existing.id), "href": f"/v1/receipts/{existing.id}"}},
    )


def _series(session: Session, principal: BusinessPrincipal, request: ReceiptCreate) -> Series:
    series = series_service.get_series_for_issue(
        session, principal, series=request.series, kinds=RECEIPT_KINDS
    )
    if request.template is not None and request.template != series.template:
        raise ValidationFailed(
            f"series {series.symbol} is registered under template {series.template}, not {request.template}",
            field="template",
        )
    return series


def _check_dates(issue_date: date, series: Series, *, today: date) -> None:
    if issue_date.year != series.year:
        raise ValidationFailed(
            f"series {series.symbol} numbers the year {series.year}; a receipt dated "
            f"{issue_date.isoformat()} belongs to a {issue_date.year} series (Art. 32.2b)",
            field="issue_date",
        )
    if issue_date > today:
        raise ValidationFailed(
            f"issue_date {issue_date.isoformat()} is in the future (today is {today.isoformat()} in Vietnam); "
            "a receipt is issued when the fee is collected (Art. 31)",
            field="issue_date",
        )


def _fees(request: ReceiptCreate) -> tuple[Fee, ...]:
    if request.currency == "VND":
        # Decision 8: VND amounts are whole đồng.
        problems = [
            FieldProblem(f"lines[{index}].amount", "a VND amount is whole đồng, without decimals")
            for index, line in enumerate(request.lines)
            if line.amount != line.amount.to_integral_value()
        ]
        if problems:
            raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)
    return tuple(Fee(name=line.fee_name, amount=line.amount) for line in request.lines)


def issue_receipt(
    session: Session, principal: BusinessPrincipal, *, keyring: Keyring, request: ReceiptCreate
) -> Receipt:
    business = businesses.get_business(session, principal)
    series = _series(session, principal, request)
    now = utcnow()
    _check_dates(request.issue_date, series, today=now.astimezone(signing.VN_TZ).date())
    fees = _fees(request)
    total = sum((fee.amount for fee in fees), Decimal(0))
    try:
        words = amount_in_words(total, currency=request.currency)
    except ValueError as error:
        raise ValidationFailed(str(error), field="lines") from None
    if request.external_id is not None:
        existing = repository.get_by_external_id(session, principal, request.external_id)
        if existing is not None:
            raise _external_id_conflict(existing)
    signer = certificates.signer_for(session, keyring=keyring, business=business, at=now)

    # From here the series row is locked until commit: keep the work below short.
    allocation = series_service.allocate_number(session, series)
    receipt_id = uuid.uuid4()
    data_id = f"DLBLai-{receipt_id}"
    document = ReceiptDocument(
        data_id=data_id,
        format_version=series.format_version,
        title=RECEIPT_TITLE,
        template=series.template,
        series=series.symbol,
        number=allocation.number,
        issue_date=request.issue_date,
        currency=request.currency,
        exchange_rate=request.exchange_rate,
        collector=ReceiptParty(name=business.name, tax_code=business.tax_code, address=business.address),
        payer=ReceiptParty(
            name=request.payer.name, tax_code=request.payer.tax_code, address=request.payer.address
        ),
        fees=fees,
        total_in_words=words,
    )
    try:
        root = build_receipt_xml(document)
    except ReceiptXMLError as error:
        raise ValidationFailed(
            "the receipt does not fit the receipt format",
            errors=[FieldProblem(field=v.split(":", 1)[0], reason=v) for v in error.violations],
        ) from None
    certificates.sign_as_seller(
        root, signer=signer, data_id=data_id, signature_id=f"NBan-{receipt_id}", at=now
    )
    sealed = series_service.seal(session, series, allocation=allocation, root=root, document_id=receipt_id)
    receipt = Receipt(
        id=receipt_id,
        business_id=business.id,
        seller_tax_code=business.tax_code,
        series_id=series.id,
        template=series.template,
        symbol=series.symbol,
        number=allocation.number,
        issue_date=request.issue_date,
        currency=request.currency,
        exchange_rate=request.exchange_rate,
        payer_name=request.payer.name,
        payer_tax_code=request.payer.tax_code,
        payer_address=request.payer.address,
        lines=[{"fee_name": fee.name, "amount": plain_number(fee.amount)} for fee in fees],
        total=document.total,
        total_vnd=document.total_vnd,
        total_in_words=words,
        external_id=request.external_id,
        signed_xml=sealed.signed_xml,
        sha256=sealed.sha256,
        chain_link=sealed.chain_link,
        signed_at=now,
    )
    session.add(receipt)
    try:
        # external_id is unique per seller; a concurrent twin fails here and this request rolls
        # back whole, handing its number back.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        existing = repository.get_by_external_id(session, principal, request.external_id or "")
        if existing is None:
            raise
        raise _external_id_conflict(existing) from None
    renditions.request_rendition(
        session, document_type=RENDITION_TYPE, document_id=receipt.id, seller_tax_code=receipt.seller_tax_code
    )
    adoption.record_receipt_issued(session, business=business, receipt=receipt)
    record_event(
        session,
        actor=principal.actor,
        action="receipt.issued",
        subject_type="receipt",
        subject_id=receipt.id,
        data={"series": series.symbol, "number": allocation.number, "sha256": sealed.sha256},
    )
    return receipt


def is_own_receipt(session: Session, principal: BusinessPrincipal, document_id: uuid.UUID) -> bool:
    return repository.get(session, principal, document_id) is not None


def get_receipt(session: Session, principal: BusinessPrincipal, receipt_id: uuid.UUID) -> Receipt:
    receipt = repository.get(session, principal, receipt_id)
    if receipt is None:
        raise ReceiptNotFound(f"no receipt {receipt_id} for this business")
    return receipt


def list_receipts(
    session: Session,
    principal: BusinessPrincipal,
    *,
    filters: ReceiptFilter,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Receipt], bool]:
    rows = repository.list_receipts(session, principal, filters=filters, limit=limit, cursor=cursor)
    return rows[:limit], len(rows) > limit


def pdf_statuses(session: Session, receipts: Sequence[Receipt]) -> dict[uuid.UUID, RenditionStatus]:
    return renditions.pdf_statuses(
        session, document_type=RENDITION_TYPE, document_ids=[r.id for r in receipts]
    )


def find_for_lookup(session: Session, receipt_id: uuid.UUID) -> Receipt | None:
    """What ``/verify/{id}`` of a receipt's QR code leads to (receipts carry no authority code)."""
    return repository.get_any(session, receipt_id)


def find_issued(
    session: Session, *, seller_tax_code: str, template: str, symbol: str, number: int
) -> Receipt | None:
    """The stored receipt behind a (collector, template, series, number) — for public verification."""
    return repository.find_by_number(
        session, seller_tax_code=seller_tax_code, template=template, symbol=symbol, number=number
    )


def documents_of_series(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, bytes]]:
    """The stored receipts of a series, for recomputing its chain."""
    return repository.documents_of_series(session, series_id)


def xml_filename(receipt: Receipt) -> str:
    return f"{receipt.seller_tax_code}-{receipt.symbol}-{receipt.number}.xml"


def qr_facts(receipt: Receipt) -> QrFacts:
    return QrFacts(
        seller_tax_code=receipt.seller_tax_code,
        series=receipt.symbol,
        number=receipt.number,
        issue_date=receipt.issue_date.isoformat(),
        total=plain_number(receipt.total),
        authority_code=None,
        document_sha256=receipt.sha256,
    )


def _render(
    session: Session, receipt: Receipt, rendition: Rendition, *, keyring: Keyring, base_url: str
) -> None:
    lookup_url = f"{base_url}/verify/{receipt.id}"
    payload = sign_qr_payload(keyring.authority, qr_facts(receipt))
    extras = PageExtras(qr_payload_url=f"{lookup_url}?q={payload}", lookup_url=lookup_url)
    renditions.render_into(
        session,
        rendition,
        render=lambda: pdf.render_receipt(
            page=receipt_page(signed_xml=receipt.signed_xml, extras=extras),
            attachment=receipt.signed_xml,
            attachment_name=xml_filename(receipt),
        ),
    )


def render_pdf(session: Session, *, keyring: Keyring, base_url: str, receipt_id: uuid.UUID) -> None:
    receipt = repository.get_any(session, receipt_id)
    if receipt is None:
        return
    renditions.run_render_job(
        session,
        document_type=RENDITION_TYPE,
        document_id=receipt_id,
        render=lambda rendition: _render(session, receipt, rendition, keyring=keyring, base_url=base_url),
    )


def receipt_pdf(
    session: Session, principal: BusinessPrincipal, *, keyring: Keyring, base_url: str, receipt_id: uuid.UUID
) -> renditions.DocumentPdf:
    receipt = get_receipt(session, principal, receipt_id)
    return renditions.pdf_when_read(
        session,
        document_type=RENDITION_TYPE,
        document_id=receipt.id,
        filename=xml_filename(receipt).removesuffix(".xml") + ".pdf",
        render=lambda rendition: _render(session, receipt, rendition, keyring=keyring, base_url=base_url),
    )
