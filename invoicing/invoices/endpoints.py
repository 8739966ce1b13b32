from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from invoicing.auth.dependencies import BusinessDep
from invoicing.auth.principals import BusinessPrincipal
from invoicing.db import SessionDep
from invoicing.decimals import plain_number
from invoicing.downloads import PDF_RESPONSES, XML_RESPONSES, pdf_response, xml_response
from invoicing.idempotency import IdempotencyKeyHeader, run_idempotent
from invoicing.invoices import corrections, service
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.schemas import (
    BatchCreate,
    BatchItem,
    BatchResult,
    BuyerRead,
    HistoryEvent,
    InvoiceAdjust,
    InvoiceCancel,
    InvoiceCreate,
    InvoiceHistory,
    InvoiceList,
    InvoiceRead,
    InvoiceReplace,
    LineageEntry,
    NoticeRead,
    RateBreakdown,
)
from invoicing.keyring import Keyring, KeyringDep
from invoicing.models import Invoice, InvoiceStatus, RenditionStatus
from invoicing.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from invoicing.problems import problem_responses
from invoicing.series.rules import split_series

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


def invoice_read(invoice: Invoice, *, pdf_status: RenditionStatus = RenditionStatus.PENDING) -> InvoiceRead:
    base = f"/v1/invoices/{invoice.id}"
    links = {"self": base, "xml": f"{base}/xml", "pdf": f"{base}/pdf", "history": f"{base}/history"}
    if invoice.related_invoice_id is not None:
        links["corrects"] = f"/v1/invoices/{invoice.related_invoice_id}"
    if invoice.replaced_by_id is not None:
        links["replaced_by"] = f"/v1/invoices/{invoice.replaced_by_id}"
    if invoice.status is InvoiceStatus.CANCELLED:
        links["cancellation"] = f"{base}/cancellation"
    if invoice.authority_code:
        links["verify"] = f"/verify/{invoice.authority_code}"
    return InvoiceRead(
        id=invoice.id,
        series=f"{invoice.template}{invoice.symbol}",
        template=invoice.template,
        symbol=invoice.symbol,
        number=invoice.number,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        exchange_rate=plain_number(invoice.exchange_rate) if invoice.exchange_rate is not None else None,
        buyer=BuyerRead(tax_code=invoice.buyer_tax_code, name=invoice.buyer_name),
        subtotal=plain_number(invoice.subtotal),
        discount_total=plain_number(invoice.discount_total),
        vat_total=plain_number(invoice.vat_total) if invoice.vat_total is not None else None,
        total=plain_number(invoice.total),
        total_in_words=invoice.total_in_words,
        rates=[RateBreakdown(**rate) for rate in invoice.rates],
        status=invoice.status,
        pdf_status=pdf_status,
        authority_code=invoice.authority_code,
        external_id=invoice.external_id,
        relation=invoice.relation,
        corrects=invoice.related_invoice_id,
        sha256=invoice.sha256,
        chain_link=invoice.chain_link,
        signed_at=invoice.signed_at,
        created_at=invoice.created_at,
        links=links,
    )


def _context(request: Request, keyring: KeyringDep) -> service.IssueContext:
    return service.IssueContext(
        keyring=keyring, provider_tax_code=request.app.state.settings.provider_tax_code
    )


def _principal_key(business: BusinessPrincipal) -> str:
    return f"business:{business.business_id}"


def _location(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, InvoiceRead)
    return {"Location": result.links["self"]}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Issue an invoice: validated, numbered, signed, coded on C series",
)
def issue_invoice(
    body: InvoiceCreate,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    context = _context(request, keyring)
    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=_principal_key(business),
        body=body,
        status_code=status.HTTP_201_CREATED,
        action=lambda: invoice_read(service.issue_invoice(session, business, context=context, request=body)),
        headers=_location,
    )


@router.post(
    "/batch",
    response_model=BatchResult,
    responses=problem_responses(401, 403, 409, 422),
    summary="Issue up to 1,000 invoices; per-item outcomes, or all-or-nothing with atomic",
)
def issue_batch(
    body: BatchCreate,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    context = _context(request, keyring)

    def action() -> BatchResult:
        outcomes = service.issue_batch(
            session, business, context=context, items=body.invoices, atomic=body.atomic
        )
        items: list[BatchItem] = []
        for outcome in outcomes:
            if outcome.invoice is not None:
                items.append(
                    BatchItem(index=outcome.index, status=201, invoice=invoice_read(outcome.invoice))
                )
            elif outcome.error is not None:
                items.append(
                    BatchItem(
                        index=outcome.index, status=outcome.error.status, problem=outcome.error.problem()
                    )
                )
        issued = sum(1 for item in items if item.invoice is not None)
        return BatchResult(issued=issued, failed=len(items) - issued, data=items)

    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=_principal_key(business),
        body=body,
        status_code=status.HTTP_200_OK,
        action=action,
    )


@router.get("", response_model=InvoiceList, responses=problem_responses(401, 403, 422))
def list_invoices(
    session: SessionDep,
    business: BusinessDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    issued_from: Annotated[date | None, Query(description="Issue date on or after")] = None,
    issued_to: Annotated[date | None, Query(description="Issue date on or before")] = None,
    status: InvoiceStatus | None = None,
    series: Annotated[
        str | None, Query(pattern=r"^([0-9]?[CK][0-9]{2}[A-Z]{3}|[A-Z]{2}-[0-9]{2}E)$", examples=["1C26TAA"])
    ] = None,
    buyer_tax_code: Annotated[str | None, Query(max_length=14)] = None,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
) -> InvoiceList:
    template, symbol = (None, None)
    if series is not None:
        template, symbol = split_series(series)
    filters = InvoiceFilter(
        issued_from=issued_from,
        issued_to=issued_to,
        status=status,
        template=template,
        symbol=symbol,
        buyer_tax_code=buyer_tax_code,
        external_id=external_id,
    )
    rows, more = service.list_invoices(
        session, business, filters=filters, limit=limit, cursor=decode_cursor(cursor)
    )
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    pdf_statuses = service.pdf_statuses(session, rows)
    return InvoiceList(
        data=[invoice_read(row, pdf_status=pdf_statuses[row.id]) for row in rows], next_cursor=next_cursor
    )


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 403, 404))
def get_invoice(invoice_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> InvoiceRead:
    invoice = service.get_invoice(session, business, invoice_id)
    return invoice_read(invoice, pdf_status=service.pdf_statuses(session, [invoice])[invoice.id])


@router.get(
    "/{invoice_id}/xml",
    response_class=Response,
    responses=XML_RESPONSES,
    summary="The signed XML, byte for byte as stored",
)
def get_invoice_xml(invoice_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> Response:
    invoice = service.get_invoice(session, business, invoice_id)
    return xml_response(
        signed_xml=invoice.signed_xml, sha256=invoice.sha256, filename=service.xml_filename(invoice)
    )


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="The invoice as PDF/A-3b with its signed XML attached",
)
def get_invoice_pdf(
    invoice_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    rendered = service.invoice_pdf(
        session,
        business,
        keyring=keyring,
        base_url=request.app.state.settings.base_url,
        invoice_id=invoice_id,
    )
    return pdf_response(rendered, if_none_match=if_none_match)


def _correct(
    request: Request,
    session: Session,
    business: BusinessPrincipal,
    keyring: Keyring,
    idempotency_key: str | None,
    body: InvoiceAdjust | InvoiceReplace,
    issue: Callable[[service.IssueContext], Invoice],
) -> JSONResponse:
    context = _context(request, keyring)
    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=_principal_key(business),
        body=body,
        status_code=status.HTTP_201_CREATED,
        action=lambda: invoice_read(issue(context)),
        headers=_location,
    )


@router.post(
    "/{invoice_id}/adjust",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Issue an adjustment invoice (TCHDon 2) carrying the differences",
)
def adjust_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceAdjust,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return _correct(
        request,
        session,
        business,
        keyring,
        idempotency_key,
        body,
        lambda context: corrections.adjust_invoice(
            session, business, context=context, invoice_id=invoice_id, request=body
        ),
    )


@router.post(
    "/{invoice_id}/replace",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Issue a replacement invoice (TCHDon 1); the original becomes replaced",
)
def replace_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceReplace,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return _correct(
        request,
        session,
        business,
        keyring,
        idempotency_key,
        body,
        lambda context: corrections.replace_invoice(
            session, business, context=context, invoice_id=invoice_id, request=body
        ),
    )


@router.post(
    "/{invoice_id}/cancel",
    response_model=InvoiceRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Cancel with a signed 04/SS-HĐĐT notice; the number stays used",
)
def cancel_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceCancel,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    context = _context(request, keyring)

    def action() -> InvoiceRead:
        corrections.cancel_invoice(
            session, business, context=context, invoice_id=invoice_id, reason=body.reason
        )
        return invoice_read(service.get_invoice(session, business, invoice_id))

    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=_principal_key(business),
        body=body,
        status_code=status.HTTP_200_OK,
        action=action,
    )


@router.get(
    "/{invoice_id}/cancellation",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}, **problem_responses(401, 403, 404)},
    summary="The signed 04/SS-HĐĐT cancellation notice (TBao)",
)
def get_cancellation_notice(invoice_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> Response:
    notice = corrections.get_notice(session, business, invoice_id=invoice_id)
    return Response(
        content=notice.signed_xml, media_type="application/xml", headers={"ETag": f'"{notice.sha256}"'}
    )


@router.get(
    "/{invoice_id}/history",
    response_model=InvoiceHistory,
    responses=problem_responses(401, 403, 404),
    summary="The lineage (original, adjustments, replacement, cancellation) and the audit events",
)
def get_invoice_history(invoice_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> InvoiceHistory:
    history = corrections.invoice_history(session, business, invoice_id=invoice_id)
    return InvoiceHistory(
        invoice_id=history.invoice.id,
        lineage=[
            LineageEntry(
                id=entry.id,
                series=f"{entry.template}{entry.symbol}",
                number=entry.number,
                issue_date=entry.issue_date,
                status=entry.status,
                relation=entry.relation.value if entry.relation else None,
                corrects=entry.related_invoice_id,
                note=entry.correction_note,
                total=plain_number(entry.total),
                links={"self": f"/v1/invoices/{entry.id}", "xml": f"/v1/invoices/{entry.id}/xml"},
            )
            for entry in history.lineage
        ],
        notices=[
            NoticeRead(
                id=notice.id,
                nature="cancellation",
                reason=notice.reason,
                sha256=notice.sha256,
                created_at=notice.created_at,
                links={
                    "xml": f"/v1/invoices/{notice.invoice_id}/cancellation",
                    "invoice": f"/v1/invoices/{notice.invoice_id}",
                },
            )
            for notice in history.notices
        ],
        events=[
            HistoryEvent(
                occurred_at=event.occurred_at,
                actor=f"{event.actor_type}:{event.actor_id}" if event.actor_id else event.actor_type,
                action=event.action,
                subject_id=event.subject_id,
                data=event.data,
            )
            for event in history.events
        ],
    )
