"""Corrections of issued invoices (Decree 123 Art. 19; decision 10): adjust, replace, cancel.

An issued document is never rewritten. A correction is a new signed invoice that references the
original (TTHDLQuan); a cancellation is a signed 04/SS-HĐĐT notice. Each changes the original's
status, under a row lock on the original so that two corrections of one invoice cannot both win.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlmodel import Session

import signing
from invoicing.adoption import service as adoption
from invoicing.audit.service import events_for, record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.businesses import service as businesses
from invoicing.certificates import service as certificates
from invoicing.errors import Conflict, ValidationFailed
from invoicing.invoices import repository
from invoicing.invoices.notices import CANCEL, ErrorNoticeForm, NoticedInvoice, build_error_notice
from invoicing.invoices.schemas import BuyerIn, InvoiceAdjust, InvoiceCreate, InvoiceReplace
from invoicing.invoices.service import Correction, InvoiceNotFound, IssueContext, issue_invoice
from invoicing.localities import service as localities
from invoicing.models import AuditEvent, ErrorNotice, Invoice, InvoiceStatus, Relation
from invoicing.models.base import utcnow
from invoicing.receipts import service as receipts
from invoicing.series import service as series_service


class InvoiceNotCorrectable(Conflict):
    type_slug = "invoice-not-correctable"
    title = "The invoice cannot be corrected this way"


class InvoiceAlreadyCancelled(InvoiceNotCorrectable):
    type_slug = "invoice-already-cancelled"
    title = "The invoice is cancelled"


class InvoiceAlreadyReplaced(InvoiceNotCorrectable):
    type_slug = "invoice-already-replaced"
    title = "The invoice was replaced"


def _locked(session: Session, principal: BusinessPrincipal, invoice_id: uuid.UUID) -> Invoice:
    invoice = repository.get_for_update(session, principal, invoice_id)
    if invoice is None:
        if receipts.is_own_receipt(session, principal, invoice_id):
            # A receipt is a voucher, not an invoice (Decree 123 Art. 30): Art. 19's corrections
            # do not apply to it.
            raise ValidationFailed(
                f"{invoice_id} is one of your receipts, not an invoice: receipts cannot be adjusted, "
                "replaced or cancelled as invoices",
                field="invoice_id",
            )
        raise InvoiceNotFound(f"no invoice {invoice_id} for this business")
    return invoice


def _refuse_if_closed(invoice: Invoice, *, action: str) -> None:
    name = f"invoice {invoice.template}{invoice.symbol} no. {invoice.number}"
    if invoice.status is InvoiceStatus.CANCELLED:
        raise InvoiceAlreadyCancelled(f"{name} is cancelled and cannot be {action}")
    if invoice.status is InvoiceStatus.REPLACED:
        raise InvoiceAlreadyReplaced(
            f"{name} was replaced by invoice {invoice.replaced_by_id}; correct the replacement instead",
            extra={
                "replaced_by": {
                    "id": str(invoice.replaced_by_id),
                    "href": f"/v1/invoices/{invoice.replaced_by_id}",
                }
            },
        )
    if invoice.relation is Relation.ADJUSTMENT:
        raise InvoiceNotCorrectable(
            f"{name} is itself an adjustment; adjust the original invoice {invoice.related_invoice_id} instead"
        )


def _buyer_of(invoice: Invoice) -> BuyerIn:
    buyer = signing.parse_xml(invoice.signed_xml).find("DLHDon/NDHDon/NMua")
    fields = {
        "tax_code": "MST",
        "name": "Ten",
        "address": "DChi",
        "buyer_person": "HVTNMHang",
        "customer_code": "MKHang",
        "phone": "SDThoai",
        "email": "DCTDTu",
        "bank_account": "STKNHang",
        "bank_name": "TNHang",
    }
    values = {field: buyer.findtext(tag) for field, tag in fields.items()} if buyer is not None else {}
    return BuyerIn.model_validate({field: value for field, value in values.items() if value})


def _issue_correction(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    original: Invoice,
    relation: Relation,
    request: InvoiceAdjust | InvoiceReplace,
    buyer: BuyerIn,
) -> Invoice:
    correction = issue_invoice(
        session,
        principal,
        context=context,
        request=InvoiceCreate(
            series=request.series or f"{original.template}{original.symbol}",
            issue_date=request.issue_date,
            currency=original.currency,
            exchange_rate=original.exchange_rate,
            payment_method=request.payment_method,
            buyer=buyer,
            lines=request.lines,
            external_id=request.external_id,
        ),
        correction=Correction(original=original, relation=relation, note=request.note),
    )
    record_event(
        session,
        actor=principal.actor,
        action=f"invoice.{'adjusted' if relation is Relation.ADJUSTMENT else 'replaced'}",
        subject_type="invoice",
        subject_id=original.id,
        data={f"{relation.value}_id": str(correction.id), "number": correction.number, "note": request.note},
    )
    return correction


def adjust_invoice(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    invoice_id: uuid.UUID,
    request: InvoiceAdjust,
) -> Invoice:
    original = _locked(session, principal, invoice_id)
    _refuse_if_closed(original, action="adjusted")
    adjustment = _issue_correction(
        session,
        principal,
        context=context,
        original=original,
        relation=Relation.ADJUSTMENT,
        request=request,
        buyer=request.buyer or _buyer_of(original),
    )
    original.status = InvoiceStatus.ADJUSTED
    session.add(original)
    return adjustment


def replace_invoice(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    invoice_id: uuid.UUID,
    request: InvoiceReplace,
) -> Invoice:
    original = _locked(session, principal, invoice_id)
    _refuse_if_closed(original, action="replaced")
    if original.status is InvoiceStatus.ADJUSTED:
        raise InvoiceNotCorrectable(
            f"invoice {original.template}{original.symbol} no. {original.number} was adjusted; "
            "correct it further with another adjustment"
        )
    replacement = _issue_correction(
        session,
        principal,
        context=context,
        original=original,
        relation=Relation.REPLACEMENT,
        request=request,
        buyer=request.buyer,
    )
    original.status = InvoiceStatus.REPLACED
    original.replaced_by_id = replacement.id
    session.add(original)
    return replacement


def cancel_invoice(
    session: Session,
    principal: BusinessPrincipal,
    *,
    context: IssueContext,
    invoice_id: uuid.UUID,
    reason: str,
) -> ErrorNotice:
    """Record the seller's signed 04/SS-HĐĐT notice; the invoice keeps its number and its bytes."""
    invoice = _locked(session, principal, invoice_id)
    _refuse_if_closed(invoice, action="cancelled")
    if invoice.status is InvoiceStatus.ADJUSTED:
        raise InvoiceNotCorrectable(
            f"invoice {invoice.template}{invoice.symbol} no. {invoice.number} was adjusted and can no longer be "
            "cancelled (decision 10)"
        )
    business = businesses.get_business(session, principal)
    now = utcnow()
    signer = certificates.signer_for(session, keyring=context.keyring, business=business, at=now)
    notice_id = uuid.uuid4()
    data_id = f"DLTBao-{notice_id}"
    province = localities.get_province(business.province_code)
    root = build_error_notice(
        ErrorNoticeForm(
            data_id=data_id,
            tax_office=f"Thuế {province.name}",
            taxpayer_name=business.name,
            tax_code=business.tax_code,
            place=province.name,
            notice_date=now.astimezone(signing.VN_TZ).date(),
            invoices=(
                NoticedInvoice(
                    authority_code=invoice.authority_code,
                    template=invoice.template,
                    series=invoice.symbol,
                    number=invoice.number,
                    issue_date=invoice.issue_date,
                    nature=CANCEL,
                    reason=reason,
                ),
            ),
        )
    )
    slot = root.find("DSCKS/NNT")
    assert slot is not None
    signing.sign(
        root=root,
        signer=signer,
        reference_ids=[data_id],
        into=slot,
        signing_time=now,
        signature_id=f"NNT-{notice_id}",
    )
    signed_xml = signing.serialize(root)
    notice = ErrorNotice(
        id=notice_id,
        invoice_id=invoice.id,
        seller_tax_code=invoice.seller_tax_code,
        nature=CANCEL,
        reason=reason,
        signed_xml=signed_xml,
        sha256=hashlib.sha256(signed_xml).hexdigest(),
    )
    session.add(notice)
    # The chain records the cancellation as an event of its own: the invoice's entry, and its
    # number, stay exactly where they were.
    series, allocation = series_service.lock_chain(session, invoice.series_id)
    series_service.append_to_chain(
        session,
        series,
        allocation=allocation,
        event="cancelled",
        document_id=notice.id,
        number=invoice.number,
        document_sha256=notice.sha256,
    )
    invoice.status = InvoiceStatus.CANCELLED
    session.add(invoice)
    adoption.record_invoice_cancelled(session, business=business, invoice=invoice)
    record_event(
        session,
        actor=principal.actor,
        action="invoice.cancelled",
        subject_type="invoice",
        subject_id=invoice.id,
        data={"reason": reason, "notice_id": str(notice.id), "form": "04/SS-HĐĐT"},
    )
    return notice


@dataclass(frozen=True)
class History:
    invoice: Invoice
    lineage: list[Invoice]
    notices: list[ErrorNotice]
    events: list[AuditEvent]


def invoice_history(session: Session, principal: BusinessPrincipal, *, invoice_id: uuid.UUID) -> History:
    invoice = repository.get(session, principal, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_id} for this business")
    root = invoice
    while root.related_invoice_id is not None:
        parent = repository.get(session, principal, root.related_invoice_id)
        if parent is None:
            break
        root = parent
    lineage = repository.lineage(session, principal, root.id)
    notices = repository.notices_for(session, [entry.id for entry in lineage])
    events = events_for(session, [str(entry.id) for entry in lineage])
    return History(invoice=invoice, lineage=lineage, notices=notices, events=events)


def get_notice(session: Session, principal: BusinessPrincipal, *, invoice_id: uuid.UUID) -> ErrorNotice:
    invoice = repository.get(session, principal, invoice_id)
    notices = repository.notices_for(session, [invoice.id]) if invoice is not None else []
    if not notices:
        raise InvoiceNotFound(f"invoice {invoice_id} has no 04/SS-HĐĐT notice")
    return notices[-1]
