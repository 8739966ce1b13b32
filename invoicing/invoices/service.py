from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import pdf
import signing
from invoicing.adoption import service as adoption
from invoicing.audit.service import record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.authority import service as authority
from invoicing.authority.qr import QrFacts, sign_qr_payload
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.chain import ChainLink, ChainProblem, find_chain_problems
from invoicing.decimals import plain_number
from invoicing.errors import (
    Conflict,
    FieldProblem,
    HoadonError,
    NotFound,
    ValidationFailed,
    validation_failed,
)
from invoicing.invoices import repository
from invoicing.invoices.calculation import Calculation, LineInput, LineNature, calculate
from invoicing.invoices.documents import PageExtras, invoice_page
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.schemas import InvoiceCreate, LineIn
from invoicing.invoices.vat import parse_vat_rate
from invoicing.invoices.xml import InvoiceDocument, InvoiceXMLError, Party, RelatedInvoice, build_invoice_xml
from invoicing.keyring import Keyring
from invoicing.models import (
    Business,
    DocumentKind,
    Invoice,
    Relation,
    Rendition,
    RenditionStatus,
    Series,
)
from invoicing.models.base import utcnow
from invoicing.pagination import Cursor
from invoicing.receipts import service as receipts
from invoicing.renditions import service as renditions
from invoicing.series import service as series_service
from invoicing.series.rules import TEMPLATES
from invoicing.words import amount_in_words

INVOICE_KINDS = frozenset({DocumentKind.VAT_INVOICE, DocumentKind.SALES_INVOICE})
RENDITION_TYPE = "invoice"


class InvoiceNotFound(NotFound):
    type_slug = "invoice-not-found"
    title = "Invoice not found"


class ExternalIdAlreadyUsed(Conflict):
    type_slug = "external-id-already-used"
    title = "An invoice with this external_id exists"


@dataclass(frozen=True)
class IssueContext:
    keyring: Keyring
    provider_tax_code: str | None


def _external_id_conflict(existing: Invoice) -> ExternalIdAlreadyUsed:
    return ExternalIdAlreadyUsed(
        f"invoice {existing.template}{existing.symbol} no. {existing.number} already has external_id "
        f"{existing.external_id!r}",
        field="external_id",
        extra={"existing": {"id": str(existing.id), "href": f"/v1/invoices/{existing.id}"}},
    )


def _line_inputs(lines: Sequence[LineIn], *, with_vat: bool, differences: bool) -> list[LineInput]:
    problems: list[FieldProblem] = []
    inputs: list[LineInput] = []
    for index, line in enumerate(lines):
        field = f"lines[{index}]"
        vat_rate = None
        if line.vat_rate is not None:
            if not with_vat:
                problems.append(
                    FieldProblem(f"{field}.vat_rate", "a sales invoice (template 2) carries no VAT rate")
                )
            else:
                try:
                    vat_rate = parse_vat_rate(line.vat_rate)
                except ValueError as error:
                    problems.append(FieldProblem(f"{field}.vat_rate", str(error)))
        elif with_vat and line.nature in (LineNature.GOODS, LineNature.TRADE_DISCOUNT):
            problems.append(FieldProblem(f"{field}.vat_rate", "a VAT invoice line needs a VAT rate (TSuat)"))
        if line.nature == LineNature.GOODS and differences:
            # An adjustment carries differences: a decrease is a negative quantity or price
            # (decision 10), but a line that changes nothing is a mistake.
            if not line.quantity or line.unit_price is None:
                problems.append(
                    FieldProblem(
                        f"{field}.quantity", "an adjustment line needs a non-zero quantity and a unit price"
                    )
                )
        elif line.nature == LineNature.GOODS:
            if line.quantity is None or line.quantity <= 0:
                problems.append(
                    FieldProblem(f"{field}.quantity", "a goods or service line needs a quantity above 0")
                )
            if line.unit_price is None or line.unit_price < 0:
                problems.append(
                    FieldProblem(
                        f"{field}.unit_price", "a goods or service line needs a unit price of 0 or more"
                    )
                )
        inputs.append(
            LineInput(
                name=line.name,
                unit=line.unit,
                quantity=line.quantity if line.quantity is not None else Decimal(0),
                unit_price=line.unit_price if line.unit_price is not None else Decimal(0),
                discount_rate=line.discount_rate,
                vat_rate=vat_rate,
                nature=line.nature,
                item_code=line.item_code,
            )
        )
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)
    return inputs


def _calculate(request: InvoiceCreate, *, with_vat: bool, differences: bool) -> Calculation:
    inputs = _line_inputs(request.lines, with_vat=with_vat, differences=differences)
    try:
        return calculate(
            lines=inputs, currency=request.currency, with_vat=with_vat, allow_negative=differences
        )
    except ValueError as error:
        message = str(error)
        field = message.split(":", 1)[0] if message.startswith("lines[") else "lines"
        raise ValidationFailed(message, field=field) from None


def _check_dates(request: InvoiceCreate, series: Series, *, today: date) -> None:
    if request.issue_date.year != series.year:
        raise ValidationFailed(
            f"series {series.template}{series.symbol} numbers the year {series.year}; "
            f"an invoice dated {request.issue_date.isoformat()} belongs to a {request.issue_date.year} series",
            field="issue_date",
        )
    if request.issue_date > today:
        raise ValidationFailed(
            f"issue_date {request.issue_date.isoformat()} is in the future (today is {today.isoformat()} in Vietnam)",
            field="issue_date",
        )


def _check_correction(request: InvoiceCreate, series: Series, correction: Correction) -> None:
    original = correction.original
    if series.template != original.template:
        raise ValidationFailed(
            f"invoice {original.template}{original.symbol} no. {original.number} is corrected by an invoice of "
            f"the same template ({original.template}); {request.series} is template {series.template}",
            field="series",
        )
    if request.currency != original.currency:
        raise ValidationFailed(f"the invoice being corrected is in {original.currency}", field="currency")
    if request.issue_date < original.issue_date:
        raise ValidationFailed(
            f"a correction cannot be dated before the invoice it corrects ({original.issue_date.isoformat()})",
            field="issue_date",
        )


def _party(business: Business) -> Party:
    return Party(
        name=business.name,
        tax_code=business.tax_code,
        address=business.address,
        phone=business.phone,
        email=business.email,
    )


@dataclass(frozen=True)
class Correction:
    """The invoice a new one adjusts or replaces (TTHDLQuan, decision 10)."""

    original: Invoice
    relation: Relation
    note: str | None

    @property
    def related(self) -> RelatedInvoice:
        return RelatedInvoice(
            nature=1 if self.relation is Relation.REPLACEMENT else 2,
            template=self.original.template,
            series=self.original.symbol,
            number=self.original.number,
            issue_date=self.original.issue_date,
            note=self.note,
        )


def issue_invoice(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    request: InvoiceCreate,
    correction: Correction | None = None,
) -> Invoice:
    business = businesses.get_business(session, principal)
    series = series_service.get_series_for_issue(
        session, principal, series=request.series, kinds=INVOICE_KINDS
    )
    now = utcnow()
    _check_dates(request, series, today=now.astimezone(signing.VN_TZ).date())
    with_vat = series.kind is DocumentKind.VAT_INVOICE
    if correction is not None:
        _check_correction(request, series, correction)
    calculation = _calculate(
        request,
        with_vat=with_vat,
        differences=correction is not None and correction.relation is Relation.ADJUSTMENT,
    )
    try:
        words = amount_in_words(calculation.total, currency=request.currency)
    except ValueError as error:
        raise ValidationFailed(str(error), field="lines") from None
    if request.external_id is not None:
        existing = repository.get_by_external_id(session, principal, request.external_id)
        if existing is not None:
            raise _external_id_conflict(existing)
    signer = certificates.signer_for(session, keyring=context.keyring, business=business, at=now)

    # From here the series row is locked until commit: keep the work below short.
    allocation = series_service.allocate_number(session, series)
    invoice_id = uuid.uuid4()
    data_id = f"DLHDon-{invoice_id}"
    document = InvoiceDocument(
        data_id=data_id,
        format_version=series.format_version,
        title=TEMPLATES[series.template].title,
        template=series.template,
        series=series.symbol,
        number=allocation.number,
        issue_date=request.issue_date,
        currency=request.currency,
        exchange_rate=request.exchange_rate,
        payment_method=request.payment_method,
        provider_tax_code=context.provider_tax_code,
        seller=_party(business),
        buyer=Party(
            name=request.buyer.name,
            tax_code=request.buyer.tax_code,
            address=request.buyer.address,
            phone=request.buyer.phone,
            email=request.buyer.email,
            bank_account=request.buyer.bank_account,
            bank_name=request.buyer.bank_name,
            buyer_person=request.buyer.buyer_person,
            customer_code=request.buyer.customer_code,
        ),
        calculation=calculation,
        total_in_words=words,
        related=correction.related if correction is not None else None,
    )
    try:
        root = build_invoice_xml(document)
    except InvoiceXMLError as error:
        raise ValidationFailed(
            "the invoice does not fit the authority's format",
            errors=[FieldProblem(field=v.split(":", 1)[0], reason=v) for v in error.violations],
        ) from None
    certificates.sign_as_seller(
        root, signer=signer, data_id=data_id, signature_id=f"NBan-{invoice_id}", at=now
    )
    authority_code = (
        authority.code_and_countersign(
            context.keyring, root=root, data_id=data_id, seller_tax_code=business.tax_code, signing_time=now
        )
        if series.with_authority_code
        else None
    )
    sealed = series_service.seal(session, series, allocation=allocation, root=root, document_id=invoice_id)
    invoice = Invoice(
        id=invoice_id,
        business_id=business.id,
        seller_tax_code=business.tax_code,
        series_id=series.id,
        template=series.template,
        symbol=series.symbol,
        number=allocation.number,
        issue_date=request.issue_date,
        currency=request.currency,
        exchange_rate=request.exchange_rate,
        buyer_tax_code=request.buyer.tax_code,
        buyer_name=request.buyer.name,
        subtotal=calculation.subtotal,
        discount_total=calculation.discount_total,
        vat_total=calculation.vat_total,
        total=calculation.total,
        total_in_words=words,
        rates=[
            {
                "vat_rate": rate.vat_rate.code,
                "taxable_amount": plain_number(rate.taxable),
                "vat_amount": plain_number(rate.tax),
            }
            for rate in calculation.rates
        ],
        authority_code=authority_code,
        external_id=request.external_id,
        related_invoice_id=correction.original.id if correction is not None else None,
        relation=correction.relation if correction is not None else None,
        correction_note=correction.note if correction is not None else None,
        signed_xml=sealed.signed_xml,
        sha256=sealed.sha256,
        chain_link=sealed.chain_link,
        signed_at=now,
    )
    session.add(invoice)
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
        session, document_type=RENDITION_TYPE, document_id=invoice.id, seller_tax_code=invoice.seller_tax_code
    )
    adoption.record_invoice_issued(session, business=business, invoice=invoice)
    record_event(
        session,
        actor=principal.actor,
        action="invoice.issued",
        subject_type="invoice",
        subject_id=invoice.id,
        data={
            "series": f"{series.template}{series.symbol}",
            "number": allocation.number,
            "sha256": sealed.sha256,
        },
    )
    return invoice


def get_invoice(session: Session, principal: BusinessPrincipal, invoice_id: uuid.UUID) -> Invoice:
    invoice = repository.get(session, principal, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_id} for this business")
    return invoice


def pdf_statuses(session: Session, invoices: Sequence[Invoice]) -> dict[uuid.UUID, RenditionStatus]:
    return renditions.pdf_statuses(
        session, document_type=RENDITION_TYPE, document_ids=[i.id for i in invoices]
    )


def find_issued(
    session: Session, *, seller_tax_code: str, template: str, symbol: str, number: int
) -> Invoice | None:
    """The stored invoice behind a (seller, template, series, number) — for public verification."""
    return repository.find_by_number(
        session, seller_tax_code=seller_tax_code, template=template, symbol=symbol, number=number
    )


def list_invoices(
    session: Session,
    principal: BusinessPrincipal,
    *,
    filters: InvoiceFilter,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Invoice], bool]:
    rows = repository.list_invoices(session, principal, filters=filters, limit=limit, cursor=cursor)
    return rows[:limit], len(rows) > limit


class BatchRejected(ValidationFailed):
    type_slug = "batch-rejected"
    title = "An atomic batch was refused whole"


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    invoice: Invoice | None = None
    error: HoadonError | None = None


def issue_batch(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    items: Sequence[dict[str, Any]],
    atomic: bool,
) -> list[BatchOutcome]:
    """Issue in request order, each item in its own savepoint: a refused item hands its number
    back, so the issued ones stay contiguous within their series."""
    outcomes: list[BatchOutcome] = []
    for index, item in enumerate(items):
        try:
            try:
                request = InvoiceCreate.model_validate(item)
            except PydanticValidationError as error:
                raise validation_failed(error.errors()) from None
            with session.begin_nested():
                outcomes.append(
                    BatchOutcome(
                        index, invoice=issue_invoice(session, principal, context=context, request=request)
                    )
                )
        except HoadonError as error:
            if atomic:
                prefix = f"invoices[{index}]"
                raise BatchRejected(
                    f"item {index} was refused, so no invoice of the batch was issued: {error.detail}",
                    errors=[FieldProblem(f"{prefix}.{e.field}", e.reason) for e in error.errors]
                    or [FieldProblem(prefix, error.detail)],
                ) from None
            outcomes.append(BatchOutcome(index, error=error))
    return outcomes


@dataclass(frozen=True)
class ChainAudit:
    series: Series
    entries: int
    problems: list[ChainProblem]


def audit_chains(session: Session, *, seller_tax_code: str | None = None) -> list[ChainAudit]:
    """Recompute every series' chain from the stored documents themselves: a deleted document, an
    altered byte, a skipped number or a broken link each show up as a problem."""
    audits = []
    for series in series_service.all_series(session, seller_tax_code=seller_tax_code):
        entries = series_service.chain_entries(session, series)
        documents = (
            receipts.documents_of_series(session, series.id)
            if series.kind is DocumentKind.RECEIPT
            else repository.documents_of_series(session, series.id)
        )
        problems = find_chain_problems(
            [ChainLink(e.position, e.number, e.event, e.document_sha256, e.link) for e in entries],
            head=series.chain_head,
            length=series.chain_length,
        )
        # A cancellation is its own entry, over the signed 04/SS-HĐĐT notice, not the invoice.
        notices = (
            {} if series.kind is DocumentKind.RECEIPT else repository.notices_of_series(session, series.id)
        )
        for entry in entries:
            stored = (notices if entry.event == "cancelled" else documents).pop(entry.document_id, None)
            if stored is None:
                problems.append(ChainProblem(entry.position, f"document of number {entry.number} is missing"))
            elif hashlib.sha256(stored[1]).hexdigest() != entry.document_sha256:
                problems.append(
                    ChainProblem(entry.position, f"document of number {entry.number} was altered")
                )
        for number, _ in documents.values():
            problems.append(ChainProblem(0, f"number {number} is stored but not in the chain"))
        audits.append(ChainAudit(series=series, entries=len(entries), problems=problems))
    return audits


def qr_facts(invoice: Invoice) -> QrFacts:
    return QrFacts(
        seller_tax_code=invoice.seller_tax_code,
        series=f"{invoice.template}{invoice.symbol}",
        number=invoice.number,
        issue_date=invoice.issue_date.isoformat(),
        total=plain_number(invoice.total),
        authority_code=invoice.authority_code,
        document_sha256=invoice.sha256,
    )


def lookup_code(invoice: Invoice) -> str:
    """What ``/verify/{code}`` takes: the MCCQT of a coded invoice, the id of an uncoded one."""
    return invoice.authority_code or str(invoice.id)


def qr_url(invoice: Invoice, *, keyring: Keyring, base_url: str) -> str:
    payload = sign_qr_payload(keyring.authority, qr_facts(invoice))
    return f"{base_url}/verify/{lookup_code(invoice)}?q={payload}"


def _render(
    session: Session, invoice: Invoice, rendition: Rendition, *, keyring: Keyring, base_url: str
) -> None:
    extras = PageExtras(
        qr_payload_url=qr_url(invoice, keyring=keyring, base_url=base_url),
        lookup_url=f"{base_url}/verify/{lookup_code(invoice)}",
    )
    renditions.render_into(
        session,
        rendition,
        render=lambda: pdf.render_invoice(
            page=invoice_page(signed_xml=invoice.signed_xml, extras=extras),
            attachment=invoice.signed_xml,
            attachment_name=xml_filename(invoice),
        ),
    )


def render_pdf(session: Session, *, keyring: Keyring, base_url: str, invoice_id: uuid.UUID) -> None:
    invoice = repository.get_any(session, invoice_id)
    if invoice is None:
        return
    renditions.run_render_job(
        session,
        document_type=RENDITION_TYPE,
        document_id=invoice_id,
        render=lambda rendition: _render(session, invoice, rendition, keyring=keyring, base_url=base_url),
    )


def invoice_pdf(
    session: Session, principal: BusinessPrincipal, *, keyring: Keyring, base_url: str, invoice_id: uuid.UUID
) -> renditions.DocumentPdf:
    invoice = get_invoice(session, principal, invoice_id)
    return renditions.pdf_when_read(
        session,
        document_type=RENDITION_TYPE,
        document_id=invoice.id,
        filename=xml_filename(invoice).removesuffix(".xml") + ".pdf",
        render=lambda rendition: _render(session, invoice, rendition, keyring=keyring, base_url=base_url),
    )


def xml_filename(invoice: Invoice) -> str:
    return f"{invoice.seller_tax_code}-{invoice.template}{invoice.symbol}-{invoice.number}.xml"


@dataclass(frozen=True)
class RelatedDocument:
    """Another invoice of the same lineage, as the public may see it."""

    role: str
    series: str
    number: int
    issue_date: date
    lookup_code: str


def related_documents(session: Session, invoice: Invoice) -> list[RelatedDocument]:
    """What corrects this invoice, and what it corrects: the public sees where the lineage leads."""
    related: list[RelatedDocument] = []
    if invoice.related_invoice_id is not None:
        original = repository.get_any(session, invoice.related_invoice_id)
        if original is not None:
            related.append(
                _related("adjusts" if invoice.relation is Relation.ADJUSTMENT else "replaces", original)
            )
    for correction in repository.corrections_of(session, invoice.id):
        related.append(
            _related(
                "adjusted_by" if correction.relation is Relation.ADJUSTMENT else "replaced_by", correction
            )
        )
    return related


def _related(role: str, invoice: Invoice) -> RelatedDocument:
    return RelatedDocument(
        role=role,
        series=f"{invoice.template}{invoice.symbol}",
        number=invoice.number,
        issue_date=invoice.issue_date,
        lookup_code=lookup_code(invoice),
    )


def find_for_lookup(session: Session, code: str) -> Invoice | None:
    """Public lookup by ``lookup_code``: an MCCQT, or the id of an uncoded invoice."""
    if len(code) == 34 and code.startswith("00"):
        return repository.find_by_authority_code(session, code)
    try:
        return repository.get_any(session, uuid.UUID(code))
    except ValueError:
        return None
