from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from invoicing.auth.dependencies import BusinessDep
from invoicing.db import SessionDep
from invoicing.decimals import plain_number
from invoicing.downloads import PDF_RESPONSES, XML_RESPONSES, pdf_response, xml_response
from invoicing.idempotency import IdempotencyKeyHeader, run_idempotent
from invoicing.keyring import KeyringDep
from invoicing.models import Receipt, RenditionStatus
from invoicing.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from invoicing.problems import problem_responses
from invoicing.receipts import service
from invoicing.receipts.repository import ReceiptFilter
from invoicing.receipts.schemas import FeeLineRead, PayerRead, ReceiptCreate, ReceiptList, ReceiptRead

router = APIRouter(prefix="/v1/receipts", tags=["receipts"])


def receipt_read(receipt: Receipt, *, pdf_status: RenditionStatus = RenditionStatus.PENDING) -> ReceiptRead:
    base = f"/v1/receipts/{receipt.id}"
    return ReceiptRead(
        id=receipt.id,
        series=receipt.symbol,
        template=receipt.template,
        number=receipt.number,
        issue_date=receipt.issue_date,
        payer=PayerRead(
            name=receipt.payer_name, address=receipt.payer_address, tax_code=receipt.payer_tax_code
        ),
        lines=[FeeLineRead(**line) for line in receipt.lines],
        total=plain_number(receipt.total),
        total_in_words=receipt.total_in_words,
        currency=receipt.currency,
        exchange_rate=plain_number(receipt.exchange_rate) if receipt.exchange_rate is not None else None,
        total_vnd=plain_number(receipt.total_vnd) if receipt.total_vnd is not None else None,
        status=receipt.status,
        pdf_status=pdf_status,
        external_id=receipt.external_id,
        sha256=receipt.sha256,
        chain_link=receipt.chain_link,
        signed_at=receipt.signed_at,
        created_at=receipt.created_at,
        links={"self": base, "xml": f"{base}/xml", "pdf": f"{base}/pdf", "verify": f"/verify/{receipt.id}"},
    )


def _location(result: BaseModel) -> dict[str, str]:
    assert isinstance(result, ReceiptRead)
    return {"Location": result.links["self"]}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Issue an e-receipt for fees and charges: validated, numbered, signed",
)
def issue_receipt(
    body: ReceiptCreate,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=f"business:{business.business_id}",
        body=body,
        status_code=status.HTTP_201_CREATED,
        action=lambda: receipt_read(service.issue_receipt(session, business, keyring=keyring, request=body)),
        headers=_location,
    )


@router.get("", response_model=ReceiptList, responses=problem_responses(401, 403, 422))
def list_receipts(
    session: SessionDep,
    business: BusinessDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    issued_from: Annotated[date | None, Query(description="Issue date on or after")] = None,
    issued_to: Annotated[date | None, Query(description="Issue date on or before")] = None,
    series: Annotated[str | None, Query(pattern=r"^[A-Z]{2}-[0-9]{2}E$", examples=["AA-26E"])] = None,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
) -> ReceiptList:
    filters = ReceiptFilter(
        issued_from=issued_from, issued_to=issued_to, symbol=series, external_id=external_id
    )
    rows, more = service.list_receipts(
        session, business, filters=filters, limit=limit, cursor=decode_cursor(cursor)
    )
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    pdf_statuses = service.pdf_statuses(session, rows)
    return ReceiptList(
        data=[receipt_read(row, pdf_status=pdf_statuses[row.id]) for row in rows], next_cursor=next_cursor
    )


@router.get("/{receipt_id}", response_model=ReceiptRead, responses=problem_responses(401, 403, 404))
def get_receipt(receipt_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> ReceiptRead:
    receipt = service.get_receipt(session, business, receipt_id)
    return receipt_read(receipt, pdf_status=service.pdf_statuses(session, [receipt])[receipt.id])


@router.get(
    "/{receipt_id}/xml",
    response_class=Response,
    responses=XML_RESPONSES,
    summary="The signed receipt XML (BLai), byte for byte as stored",
)
def get_receipt_xml(receipt_id: uuid.UUID, session: SessionDep, business: BusinessDep) -> Response:
    receipt = service.get_receipt(session, business, receipt_id)
    return xml_response(
        signed_xml=receipt.signed_xml, sha256=receipt.sha256, filename=service.xml_filename(receipt)
    )


@router.get(
    "/{receipt_id}/pdf",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="The receipt as PDF/A-3b with its signed XML attached",
)
def get_receipt_pdf(
    receipt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    keyring: KeyringDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    rendered = service.receipt_pdf(
        session,
        business,
        keyring=keyring,
        base_url=request.app.state.settings.base_url,
        receipt_id=receipt_id,
    )
    return pdf_response(rendered, if_none_match=if_none_match)
