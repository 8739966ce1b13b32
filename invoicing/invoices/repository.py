from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from invoicing.auth.principals import BusinessPrincipal
from invoicing.models import ErrorNotice, Invoice, InvoiceStatus
from invoicing.pagination import Cursor


@dataclass(frozen=True)
class InvoiceFilter:
    issued_from: date | None = None
    issued_to: date | None = None
    status: InvoiceStatus | None = None
    template: str | None = None
    symbol: str | None = None
    buyer_tax_code: str | None = None
    external_id: str | None = None


def readable(principal: BusinessPrincipal) -> SelectOfScalar[Invoice]:
    """Every read starts here: a business sees its own invoices and nothing else."""
    return select(Invoice).where(Invoice.seller_tax_code == principal.tax_code)


def get(session: Session, principal: BusinessPrincipal, invoice_id: uuid.UUID) -> Invoice | None:
    return session.exec(readable(principal).where(Invoice.id == invoice_id)).first()


def get_for_update(session: Session, principal: BusinessPrincipal, invoice_id: uuid.UUID) -> Invoice | None:
    """Row-locked: a correction and a cancellation of one invoice queue here, one after the other."""
    return session.exec(readable(principal).where(Invoice.id == invoice_id).with_for_update()).first()


def lineage(session: Session, principal: BusinessPrincipal, root_id: uuid.UUID) -> list[Invoice]:
    """The root and every invoice correcting it, directly or through a replacement, in issue order."""
    found: list[Invoice] = []
    frontier = [root_id]
    while frontier:
        rows = list(session.exec(readable(principal).where(col(Invoice.id).in_(frontier))))
        found.extend(rows)
        children = session.exec(
            readable(principal).where(col(Invoice.related_invoice_id).in_(frontier))
        ).all()
        frontier = [child.id for child in children if child.id not in {row.id for row in found}]
    return sorted(found, key=lambda invoice: (invoice.created_at, invoice.number))


def get_by_external_id(session: Session, principal: BusinessPrincipal, external_id: str) -> Invoice | None:
    return session.exec(readable(principal).where(Invoice.external_id == external_id)).first()


def list_invoices(
    session: Session,
    principal: BusinessPrincipal,
    *,
    filters: InvoiceFilter,
    limit: int,
    cursor: Cursor | None,
) -> list[Invoice]:
    statement = readable(principal)
    if filters.issued_from is not None:
        statement = statement.where(Invoice.issue_date >= filters.issued_from)
    if filters.issued_to is not None:
        statement = statement.where(Invoice.issue_date <= filters.issued_to)
    if filters.status is not None:
        statement = statement.where(Invoice.status == filters.status)
    if filters.template is not None:
        statement = statement.where(Invoice.template == filters.template)
    if filters.symbol is not None:
        statement = statement.where(Invoice.symbol == filters.symbol)
    if filters.buyer_tax_code is not None:
        statement = statement.where(Invoice.buyer_tax_code == filters.buyer_tax_code)
    if filters.external_id is not None:
        statement = statement.where(Invoice.external_id == filters.external_id)
    if cursor is not None:
        statement = statement.where(
            (col(Invoice.created_at) < cursor.at)
            | ((col(Invoice.created_at) == cursor.at) & (col(Invoice.id) < cursor.id))
        )
    statement = statement.order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc()).limit(limit + 1)
    return list(session.exec(statement))


def get_any(session: Session, invoice_id: uuid.UUID) -> Invoice | None:
    """Unscoped: for jobs and public verification, which are not acting for a business."""
    return session.get(Invoice, invoice_id)


def corrections_of(session: Session, invoice_id: uuid.UUID) -> list[Invoice]:
    """Unscoped, for public verification: the invoices adjusting or replacing this one."""
    statement = (
        select(Invoice).where(Invoice.related_invoice_id == invoice_id).order_by(col(Invoice.created_at))
    )
    return list(session.exec(statement))


def find_by_authority_code(session: Session, authority_code: str) -> Invoice | None:
    return session.exec(select(Invoice).where(Invoice.authority_code == authority_code)).first()


def find_by_number(
    session: Session, *, seller_tax_code: str, template: str, symbol: str, number: int
) -> Invoice | None:
    statement = select(Invoice).where(
        Invoice.seller_tax_code == seller_tax_code,
        Invoice.template == template,
        Invoice.symbol == symbol,
        Invoice.number == number,
    )
    return session.exec(statement).first()


def documents_of_series(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, bytes]]:
    rows = session.exec(
        select(Invoice.id, Invoice.number, Invoice.signed_xml).where(Invoice.series_id == series_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def notices_of_series(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, bytes]]:
    rows = session.exec(
        select(ErrorNotice.id, Invoice.number, ErrorNotice.signed_xml)
        .join(Invoice, col(Invoice.id) == col(ErrorNotice.invoice_id))
        .where(Invoice.series_id == series_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def notices_for(session: Session, invoice_ids: list[uuid.UUID]) -> list[ErrorNotice]:
    statement = (
        select(ErrorNotice)
        .where(col(ErrorNotice.invoice_id).in_(invoice_ids))
        .order_by(col(ErrorNotice.created_at))
    )
    return list(session.exec(statement))
