"""``hoadon adoption rebuild``: recompute the aggregates from the source tables and compare.

Sources: registrations (submitted, decided, claimed), businesses (locality, acceptance), invoices
and receipts (every counter, marker and first document, from their current status), and the
registry (the current number of operating businesses, and which registered businesses it lacks).

The registry keeps no history, so ``active`` and ``unlisted`` — deltas dated by the import that
made them — are checked by their sum per locality; a difference is fixed by a correction dated
today, which keeps the history of earlier imports as it was recorded. Everything else is
recomputed exactly and, with ``apply``, rewritten.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from invoicing.adoption import repository
from invoicing.adoption.aggregates import CACHE, Invalidates, Totals, lag_days, vnd_amount
from invoicing.adoption.periods import DAY, keys_of, vn_date
from invoicing.adoption.repository import (
    BUSINESS_COLUMNS,
    DOCUMENT_COLUMNS,
    PROVINCE_WIDE,
    CounterKey,
    Counts,
)
from invoicing.db import after_commit
from invoicing.models import InvoiceStatus, ReceiptStatus, RegistrationStatus

REGISTRY_COLUMNS = ("active", "unlisted")
REPORTED = 1000


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    column: str
    stored: object
    expected: object


@dataclass
class RebuildReport:
    differences: list[Difference] = field(default_factory=list)
    total: int = 0
    markers_missing: int = 0
    markers_extra: int = 0
    documents: int = 0
    applied: bool = False

    @property
    def clean(self) -> bool:
        return self.total == 0

    def add(self, difference: Difference) -> None:
        self.total += 1
        if len(self.differences) < REPORTED:
            self.differences.append(difference)


def _key_text(key: tuple[Any, ...]) -> str:
    province, ward, grain, start, *rest = key
    text = f"{province}/{ward} {grain} {start.isoformat()}"
    return text + "".join(f" {value}" for value in rest)


def _compare(
    report: RebuildReport,
    table: str,
    stored: dict[CounterKey, Counts],
    expected: dict[CounterKey, Counts],
    columns: tuple[str, ...],
) -> None:
    for key in sorted(set(stored) | set(expected)):
        have = stored.get(key, {})
        want = expected.get(key, {})
        for name in columns:
            if have.get(name, 0) != want.get(name, 0):
                report.add(Difference(table, _key_text(key), name, have.get(name, 0), want.get(name, 0)))


def _expected(session: Session, report: RebuildReport) -> tuple[Totals, dict[str, dict[str, Any]]]:
    totals = Totals()
    for province, ward, status, submitted_at, decided_at, claimed_at in repository.registration_dates(
        session
    ):
        place = (province, ward)
        totals.business(place, vn_date(submitted_at), "submitted", 1)
        if decided_at is not None and status == RegistrationStatus.ACCEPTED.value:
            totals.business(place, vn_date(decided_at), "accepted", 1)
        if decided_at is not None and status == RegistrationStatus.REJECTED.value:
            totals.business(place, vn_date(decided_at), "rejected", 1)
        if claimed_at is not None:
            totals.business(place, vn_date(claimed_at), "claimed", 1)

    places = repository.business_places(session)
    firsts: dict[uuid.UUID, date] = {}
    sources = (
        (
            "invoice",
            repository.invoice_rows(session),
            {InvoiceStatus.CANCELLED.value, InvoiceStatus.REPLACED.value},
        ),
        ("receipt", repository.receipt_rows(session), {ReceiptStatus.CANCELLED.value}),
    )
    for kind, rows, out_of_force in sources:
        for row in rows:
            report.documents += 1
            business = places[row.business_id]
            place = (business.province_code, business.ward_code)
            totals.document(place, row.issue_date, f"{kind}s_issued", 1)
            if row.status == "cancelled":
                totals.document(place, row.issue_date, f"{kind}s_cancelled", 1)
            if row.status not in out_of_force:
                amount = vnd_amount(
                    row.total, currency=row.currency, exchange_rate=row.exchange_rate, total_vnd=row.total_vnd
                )
                totals.document(place, row.issue_date, f"{kind}s_amount", amount)
            known = firsts.get(row.business_id)
            if known is None or row.issue_date < known:
                firsts[row.business_id] = row.issue_date

    first_documents: dict[str, dict[str, Any]] = {}
    for business_id, issued_on in firsts.items():
        business = places[business_id]
        place = (business.province_code, business.ward_code)
        accepted_on = vn_date(business.registered_at)
        totals.business(place, issued_on, "first_documents", 1)
        totals.lag(place, issued_on, lag_days(accepted_on, issued_on), 1)
        first_documents[business.tax_code] = {
            "tax_code": business.tax_code,
            "province_code": business.province_code,
            "ward_code": business.ward_code,
            "accepted_on": accepted_on,
            "issued_on": issued_on,
            "previous_on": None,
        }
    for (province, ward, grain, start), count in repository.expected_issuers(session).items():
        totals.documents[(province, ward, grain, start)]["issuers"] += count
        totals.documents[(province, PROVINCE_WIDE, grain, start)]["issuers"] += count
    return totals, first_documents


def _registry_columns(
    session: Session, report: RebuildReport, stored: dict[CounterKey, Counts], *, today: date
) -> dict[CounterKey, Counts]:
    """The registry deltas as recorded per ward and day, with every month, year and province-wide
    row made their sum, and a correction dated today where the sum to date disagrees with the
    registry."""
    zero = dict.fromkeys(REGISTRY_COLUMNS, 0)
    days: dict[tuple[str, str, date], Counts] = {
        (province, ward, start): {name: counts.get(name, 0) for name in REGISTRY_COLUMNS}
        for (province, ward, grain, start), counts in stored.items()
        if ward != PROVINCE_WIDE and grain == DAY
    }

    def derive() -> dict[CounterKey, Counts]:
        rows: dict[CounterKey, Counts] = {}
        for (province, ward, day), counts in days.items():
            for grain, start in keys_of(day):
                for place in (ward, PROVINCE_WIDE):
                    row = rows.setdefault((province, place, grain, start), dict(zero))
                    for name in REGISTRY_COLUMNS:
                        row[name] += counts[name]
        return rows

    derived = derive()
    for key in sorted(
        set(derived) | {k for k, c in stored.items() if any(c.get(n, 0) for n in REGISTRY_COLUMNS)}
    ):
        if key[2] == DAY and key[1] != PROVINCE_WIDE:
            continue
        for name in REGISTRY_COLUMNS:
            have = stored.get(key, {}).get(name, 0)
            want = derived.get(key, zero)[name]
            if have != want:
                report.add(Difference("businesses", _key_text(key), name, have, want))

    expected = {
        "active": repository.operating_by_locality(session),
        "unlisted": repository.unlisted_by_locality(session),
    }
    to_date: defaultdict[tuple[str, str], Counts] = defaultdict(lambda: dict(zero))
    for (province, ward, _), counts in days.items():
        for name in REGISTRY_COLUMNS:
            to_date[(province, ward)][name] += counts[name]
    for name in REGISTRY_COLUMNS:
        for place in sorted(set(expected[name]) | set(to_date)):
            have = to_date[place][name] if place in to_date else 0
            want = expected[name].get(place, 0)
            if have != want:
                report.add(Difference("businesses", f"{place[0]}/{place[1]} (sum to date)", name, have, want))
                row = days.setdefault((place[0], place[1], today), dict(zero))
                row[name] += want - have
    return derive()


def rebuild(session: Session, *, apply: bool, today: date) -> RebuildReport:
    """Compare the aggregates with the source tables; with ``apply``, make them equal."""
    repository.lock_aggregates(session)
    report = RebuildReport()
    totals, first_documents = _expected(session, report)

    stored_documents = repository.stored_document_counts(session)
    expected_documents = {key: dict(counts) for key, counts in totals.documents.items()}
    _compare(report, "documents", stored_documents, expected_documents, DOCUMENT_COLUMNS)

    stored_businesses = repository.stored_business_counts(session)
    flows = tuple(name for name in BUSINESS_COLUMNS if name not in REGISTRY_COLUMNS)
    expected_businesses = {key: dict(counts) for key, counts in totals.businesses.items()}
    _compare(report, "businesses", stored_businesses, expected_businesses, flows)
    registry = _registry_columns(session, report, stored_businesses, today=today)

    stored_lags = repository.stored_lags(session)
    for key in sorted(set(stored_lags) | set(totals.lags)):
        if stored_lags.get(key, 0) != totals.lags.get(key, 0):
            report.add(
                Difference(
                    "lags", _key_text(key), "businesses", stored_lags.get(key, 0), totals.lags.get(key, 0)
                )
            )

    stored_firsts = repository.stored_first_documents(session)
    for tax_code in sorted(set(stored_firsts) | set(first_documents)):
        have = stored_firsts.get(tax_code)
        want_row = first_documents.get(tax_code)
        want = (
            (want_row["province_code"], want_row["ward_code"], want_row["accepted_on"], want_row["issued_on"])
            if want_row
            else None
        )
        if have != want:
            report.add(
                Difference("first_documents", tax_code, "issued_on", have and have[3], want and want[3])
            )

    report.markers_missing, report.markers_extra = repository.marker_differences(session)
    report.total += report.markers_missing + report.markers_extra

    if apply and not report.clean:
        _apply(session, totals, registry, first_documents)
        report.applied = True
    return report


def _apply(
    session: Session,
    totals: Totals,
    registry: dict[CounterKey, Counts],
    first_documents: dict[str, dict[str, Any]],
) -> None:
    def key_columns(key: tuple[Any, ...]) -> dict[str, Any]:
        return {"province_code": key[0], "ward_code": key[1], "grain": key[2], "period_start": key[3]}

    repository.replace_document_counts(
        session,
        [
            {**key_columns(key), "slot": 0, **{name: counts.get(name, 0) for name in DOCUMENT_COLUMNS}}
            for key, counts in sorted(totals.documents.items())
            if any(counts.values())
        ],
    )
    business_rows = []
    for key in sorted(set(totals.businesses) | set(registry)):
        counts = {**totals.businesses.get(key, {}), **registry.get(key, {})}
        if any(counts.values()):
            business_rows.append(
                {**key_columns(key), **{name: counts.get(name, 0) for name in BUSINESS_COLUMNS}}
            )
    repository.replace_business_counts(session, business_rows)
    repository.replace_lags(
        session,
        [
            {**key_columns(key), "days": key[4], "businesses": n}
            for key, n in sorted(totals.lags.items())
            if n
        ],
    )
    repository.replace_first_documents(session, [first_documents[code] for code in sorted(first_documents)])
    repository.replace_markers(session)
    cache: Invalidates | None = session.info.get(CACHE)
    if cache is not None:
        after_commit(session, cache.invalidate)
