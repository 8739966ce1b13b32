from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from invoicing.models import ChainEntry, Series


def list_for_business(session: Session, business_id: uuid.UUID) -> list[Series]:
    statement = (
        select(Series).where(Series.business_id == business_id).order_by(col(Series.created_at).desc())
    )
    return list(session.exec(statement))


def find(session: Session, business_id: uuid.UUID, *, template: str | None, symbol: str) -> list[Series]:
    statement = select(Series).where(Series.business_id == business_id, Series.symbol == symbol)
    if template is not None:
        statement = statement.where(Series.template == template)
    return list(session.exec(statement))


@dataclass(frozen=True)
class Allocation:
    number: int
    chain_head: str
    chain_length: int


def allocate_number(session: Session, series_id: uuid.UUID) -> Allocation:
    """Take the next number by an atomic increment that row-locks the series until commit.

    Concurrent issuers of one series queue on the lock, so numbers follow signing order, and a
    rollback returns the number with the lock: no gap, no reuse (Decree 123 Art. 10.3). The chain
    head comes back from the same locked row, so it is the latest committed one.
    """
    statement = (
        update(Series)
        .where(col(Series.id) == series_id)
        .values(next_number=Series.next_number + 1)
        .returning(col(Series.next_number), col(Series.chain_head), col(Series.chain_length))
    )
    next_number, head, length = session.execute(statement).one()
    return Allocation(number=int(next_number) - 1, chain_head=str(head), chain_length=int(length))


def lock_chain(session: Session, series_id: uuid.UUID) -> Allocation:
    """Row-lock the series for a chain entry that takes no number (a state change)."""
    statement = (
        update(Series)
        .where(col(Series.id) == series_id)
        .values(chain_length=Series.chain_length)
        .returning(col(Series.next_number), col(Series.chain_head), col(Series.chain_length))
    )
    next_number, head, length = session.execute(statement).one()
    return Allocation(number=int(next_number) - 1, chain_head=str(head), chain_length=int(length))


def append_chain_entry(session: Session, series: Series, entry: ChainEntry) -> None:
    session.add(entry)
    session.execute(
        update(Series)
        .where(col(Series.id) == series.id)
        .values(chain_head=entry.link, chain_length=entry.position)
    )


def chain_page(session: Session, series_id: uuid.UUID, *, after: int, limit: int) -> list[ChainEntry]:
    statement = (
        select(ChainEntry)
        .where(ChainEntry.series_id == series_id, ChainEntry.position > after)
        .order_by(col(ChainEntry.position))
        .limit(limit + 1)
    )
    return list(session.exec(statement))


def all_series(session: Session, *, seller_tax_code: str | None) -> list[Series]:
    statement = select(Series).order_by(col(Series.seller_tax_code), col(Series.template), col(Series.symbol))
    if seller_tax_code is not None:
        statement = statement.where(Series.seller_tax_code == seller_tax_code)
    return list(session.exec(statement))


def chain_entries(session: Session, series_id: uuid.UUID) -> list[ChainEntry]:
    statement = select(ChainEntry).where(ChainEntry.series_id == series_id).order_by(col(ChainEntry.position))
    return list(session.exec(statement))
