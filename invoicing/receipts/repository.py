from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from invoicing.auth.principals import BusinessPrincipal
from invoicing.models import Receipt
from invoicing.pagination import Cursor


@dataclass(frozen=True)
class ReceiptFilter:
    issued_from: date | None = None
    issued_to: date | None = None
    symbol: str | None = None
    external_id: str | None = None


def readable(principal: BusinessPrincipal) -> SelectOfScalar[Receipt]:
    """Every read starts here: a business sees its own receipts and nothing else."""
    return select(Receipt).where(Receipt.seller_tax_code == principal.tax_code)


def get(session: Session, principal: BusinessPrincipal, receipt_id: uuid.UUID) -> Receipt | None:
    return session.exec(readable(principal).where(Receipt.id == receipt_id)).first()


def get_by_external_id(session: Session, principal: BusinessPrincipal, external_id: str) -> Receipt | None:
    return session.exec(readable(principal).where(Receipt.external_id == external_id)).first()


def list_receipts(
    session: Session,
    principal: BusinessPrincipal,
    *,
    filters: ReceiptFilter,
    limit: int,
    cursor: Cursor | None,
) -> list[Receipt]:
    statement = readable(principal)
    if filters.issued_from is not None:
        statement = statement.where(Receipt.issue_date >= filters.issued_from)
    if filters.issued_to is not None:
        statement = statement.where(Receipt.issue_date <= filters.issued_to)
    if filters.symbol is not None:
        statement = statement.where(Receipt.symbol == filters.symbol)
    if filters.external_id is not None:
        statement = statement.where(Receipt.external_id == filters.external_id)
    if cursor is not None:
        statement = statement.where(
            (col(Receipt.created_at) < cursor.at)
            | ((col(Receipt.created_at) == cursor.at) & (col(Receipt.id) < cursor.id))
        )
    statement = statement.order_by(col(Receipt.created_at).desc(), col(Receipt.id).desc()).limit(limit + 1)
    return list(session.exec(statement))


def get_any(session: Session, receipt_id: uuid.UUID) -> Receipt | None:
    """Unscoped: for jobs and public verification, which are not acting for a business."""
    return session.get(Receipt, receipt_id)


def documents_of_series(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, bytes]]:
    rows = session.exec(
        select(Receipt.id, Receipt.number, Receipt.signed_xml).where(Receipt.series_id == series_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def find_by_number(
    session: Session, *, seller_tax_code: str, template: str, symbol: str, number: int
) -> Receipt | None:
    statement = select(Receipt).where(
        Receipt.seller_tax_code == seller_tax_code,
        Receipt.template == template,
        Receipt.symbol == symbol,
        Receipt.number == number,
    )
    return session.exec(statement).first()
