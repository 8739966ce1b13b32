"""Maintained aggregates: adoption statistics are read from these, never from the documents.

The events that change a statistic — a registration submitted or decided, credentials claimed, a
document issued, replaced or cancelled, a registry import — record what they change on the
session (:func:`record`). The changes are folded into the aggregate tables when the transaction
commits, in that same transaction: the counters are exactly as committed as the documents.

Tables (``invoicing/models/adoption.py``):

- ``adoption_document_counters``: invoices and receipts issued and cancelled, their amount in
  VND, and distinct issuing businesses, per (province, ward, grain, period start, slot). Each
  dated event adds to its day (``D``), month (``M``) and year (``Y``), for its ward and for the
  whole province (ward ``"*"``). A range of dates is at most five runs of such keys
  (``periods.decompose``), so the province query reads about 34 × slots rows for a month or
  a year, whether the month held ten thousand invoices or a billion: the 1M-invoice query costs
  what the 10k one does (``bench/adoption.py`` measures the ratio).
- ``adoption_business_counters``: registrations submitted, accepted, rejected, credentials
  claimed, first documents, and two deltas — ``active`` (registry rows entering or leaving
  *operating*) and ``unlisted`` (registered businesses the registry does not list). A stock
  "as of" a date is the sum of its deltas up to that date, again a bounded number of keys.
- ``adoption_activity``: one marker per (business, day | month | year) in which it issued a
  document. A marker that a fold creates adds 1 to ``issuers`` of its key, which makes
  distinct issuers exact for any single day, month or year; a range that is not one key counts
  distinct businesses over the markers, a cost bounded by businesses × periods, not by documents.
- ``adoption_first_documents`` and ``adoption_lags``: each business's earliest document date
  and a histogram of days from acceptance to it, from which the median is read.

Document counters are split over ``SLOTS`` rows per key. A committing transaction adds to one
slot chosen at random, so concurrent issuers in one province seldom wait on the same row; since
rows are locked only at commit, in key order, and after every other lock of the transaction,
these updates neither hold up issuance nor close a deadlock with series locks.

Replacements and cancellations keep ``invoices_issued`` (a number was used) and take the amount
back: ``invoices_amount`` is the value of documents in force, dated in the period, and
``invoices_cancelled`` counts cancelled ones by the date of the invoice (so ``hoadon adoption
rebuild`` can recompute every counter from the documents' current state). Savepoints are
honoured: changes recorded inside a savepoint that rolls back (a refused batch item) are dropped
with it.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction

from invoicing.adoption import repository
from invoicing.adoption.periods import keys_of
from invoicing.adoption.repository import PROVINCE_WIDE, CounterKey, Counts
from invoicing.db import after_commit

logger = logging.getLogger("hoadon.adoption")
SLOTS = 8
PENDING = "adoption.pending"
CACHE = "adoption.cache"


class Invalidates(Protocol):
    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class DocumentChange:
    """An invoice or receipt issued (``issued`` 1), or its amount taken back (replaced, cancelled)."""

    tax_code: str
    province_code: str
    ward_code: str
    accepted_on: date
    issue_date: date
    kind: str
    issued: int = 0
    cancelled: int = 0
    amount: int = 0


@dataclass(frozen=True)
class BusinessChange:
    """Registration and registry deltas of one locality on one day."""

    province_code: str
    ward_code: str
    day: date
    counts: tuple[tuple[str, int], ...]


Change = DocumentChange | BusinessChange


def vnd_amount(
    total: Decimal, *, currency: str, exchange_rate: Decimal | None, total_vnd: Decimal | None = None
) -> int:
    """Whole đồng (decision 8); a foreign-currency document at its own exchange rate."""
    if total_vnd is not None:
        value = total_vnd
    elif currency == "VND" or exchange_rate is None:
        value = total
    else:
        value = total * exchange_rate
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def record(session: OrmSession, change: Change) -> None:
    """Add ``change`` to the aggregates when this session's transaction commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).append((transaction, change))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_rolled_back(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[SessionTransaction | None, Change]] | None = session.info.get(PENDING)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        return
    pending[:] = [entry for entry in pending if not _within(entry[0], previous_transaction)]


@event.listens_for(OrmSession, "before_commit")
def _fold_on_commit(session: OrmSession) -> None:
    # A savepoint being released commits nothing yet; fold once, when the real commit comes.
    if session.in_nested_transaction():
        return
    pending: list[tuple[SessionTransaction | None, Change]] | None = session.info.pop(PENDING, None)
    if not pending:
        return
    fold(session, [change for _, change in pending])
    cache: Invalidates | None = session.info.get(CACHE)
    if cache is not None:
        after_commit(session, cache.invalidate)  # type: ignore[arg-type]


@dataclass
class Totals:
    documents: defaultdict[CounterKey, Counts] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    businesses: defaultdict[CounterKey, Counts] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    lags: defaultdict[tuple[str, str, str, date, int], int] = field(default_factory=lambda: defaultdict(int))

    @staticmethod
    def _spread(
        into: defaultdict[CounterKey, Counts], place: tuple[str, str], day: date, name: str, n: int
    ) -> None:
        province, ward = place
        for grain, start in keys_of(day):
            into[(province, ward, grain, start)][name] += n
            into[(province, PROVINCE_WIDE, grain, start)][name] += n

    def document(self, place: tuple[str, str], day: date, name: str, n: int) -> None:
        if n:
            self._spread(self.documents, place, day, name, n)

    def business(self, place: tuple[str, str], day: date, name: str, n: int) -> None:
        if n:
            self._spread(self.businesses, place, day, name, n)

    def lag(self, place: tuple[str, str], day: date, days: int, n: int) -> None:
        province, ward = place
        for grain, start in keys_of(day):
            self.lags[(province, ward, grain, start, days)] += n
            self.lags[(province, PROVINCE_WIDE, grain, start, days)] += n


def lag_days(accepted_on: date, issued_on: date) -> int:
    # A document may be back-dated to before acceptance; adoption cannot take negative time.
    return max(0, (issued_on - accepted_on).days)


def fold(session: Any, changes: list[Change], *, slot: int | None = None) -> None:
    """Apply ``changes`` to the aggregate tables (bulk loaders call this directly)."""
    totals = Totals()
    markers: dict[tuple[str, str, date], tuple[str, str]] = {}
    firsts: dict[str, dict[str, Any]] = {}
    for change in changes:
        if isinstance(change, BusinessChange):
            for name, n in change.counts:
                totals.business((change.province_code, change.ward_code), change.day, name, n)
            continue
        place = (change.province_code, change.ward_code)
        totals.document(place, change.issue_date, f"{change.kind}s_issued", change.issued)
        totals.document(place, change.issue_date, f"{change.kind}s_cancelled", change.cancelled)
        totals.document(place, change.issue_date, f"{change.kind}s_amount", change.amount)
        if not change.issued:
            continue
        for grain, start in keys_of(change.issue_date):
            markers[(change.tax_code, grain, start)] = place
        first = firsts.get(change.tax_code)
        if first is None or change.issue_date < first["issued_on"]:
            firsts[change.tax_code] = {
                "tax_code": change.tax_code,
                "province_code": change.province_code,
                "ward_code": change.ward_code,
                "accepted_on": change.accepted_on,
                "issued_on": change.issue_date,
            }

    # Fixed order — markers, first documents, lags, document then business counters — and keys
    # sorted within each: every transaction locks these rows in the same order.
    created = repository.insert_markers(
        session,
        [
            {"tax_code": key[0], "grain": key[1], "period_start": key[2], "province_code": p, "ward_code": w}
            for key, (p, w) in sorted(markers.items())
        ],
    )
    for tax_code, grain, start in created:
        province, ward = markers[(tax_code, grain, start)]
        totals.documents[(province, ward, grain, start)]["issuers"] += 1
        totals.documents[(province, PROVINCE_WIDE, grain, start)]["issuers"] += 1
    for moved in repository.upsert_first_documents(session, [firsts[code] for code in sorted(firsts)]):
        place = (moved.province_code, moved.ward_code)
        if moved.previous_on is not None:
            totals.business(place, moved.previous_on, "first_documents", -1)
            totals.lag(place, moved.previous_on, lag_days(moved.accepted_on, moved.previous_on), -1)
        totals.business(place, moved.issued_on, "first_documents", 1)
        totals.lag(place, moved.issued_on, lag_days(moved.accepted_on, moved.issued_on), 1)

    repository.add_lags(
        session,
        [
            {
                "province_code": key[0],
                "ward_code": key[1],
                "grain": key[2],
                "period_start": key[3],
                "days": key[4],
                "businesses": n,
            }
            for key, n in sorted(totals.lags.items())
            if n
        ],
    )
    chosen = secrets.randbelow(SLOTS) if slot is None else slot
    repository.add_document_counts(
        session, _rows(totals.documents, repository.DOCUMENT_COLUMNS, extra={"slot": chosen})
    )
    repository.add_business_counts(session, _rows(totals.businesses, repository.BUSINESS_COLUMNS))


def _rows(
    totals: dict[CounterKey, Counts], columns: tuple[str, ...], *, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(totals):
        counts = totals[key]
        if not any(counts.values()):
            continue
        row: dict[str, Any] = {
            "province_code": key[0],
            "ward_code": key[1],
            "grain": key[2],
            "period_start": key[3],
            **(extra or {}),
        }
        row.update({name: counts.get(name, 0) for name in columns})
        rows.append(row)
    return rows
