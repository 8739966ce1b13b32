"""Adoption tracking (decision 14): the registry, the hooks that keep the aggregates, the statistics.

A business is *registered* once its registration is accepted, *active* while the imported
registry lists it as operating, *issuing* in a period when it issued a document dated in it. The
locality of a registered business is the province and ward it registered with, never its tax
code's prefix; that of an active business is the registry's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from sqlmodel import Session

from invoicing.adoption import aggregates, repository
from invoicing.adoption.aggregates import CACHE, BusinessChange, DocumentChange, vnd_amount
from invoicing.adoption.cache import AdoptionCache
from invoicing.adoption.periods import (
    DAY,
    EPOCH,
    MONTH,
    Buckets,
    Granularity,
    Window,
    decompose,
    parse_buckets,
    parse_window,
    today_vn,
    vn_date,
)
from invoicing.adoption.rebuild import RebuildReport, rebuild
from invoicing.adoption.registry import ImportOutcome, RowProblem, import_registry
from invoicing.auth.principals import OfficialPrincipal
from invoicing.db import Database
from invoicing.errors import NotFound
from invoicing.localities import service as localities
from invoicing.models import (
    Business,
    Invoice,
    Receipt,
    Registration,
    RegistrationStatus,
    RegistryImport,
    Relation,
)
from invoicing.models.base import utcnow
from invoicing.pagination import Cursor

__all__ = [
    "Figures",
    "ImportOutcome",
    "RebuildReport",
    "RowProblem",
    "Statistics",
    "Timeseries",
    "attach_cache",
    "import_registry_file",
    "list_imports",
    "province_statistics",
    "rebuild_aggregates",
    "record_credentials_claimed",
    "record_invoice_cancelled",
    "record_invoice_issued",
    "record_receipt_cancelled",
    "record_receipt_issued",
    "record_registration_decided",
    "record_registration_submitted",
    "statistics_window",
    "timeseries",
    "ward_statistics",
]


def attach_cache(database: Database, redis: Any | None) -> None:
    """Let every commit that changes an aggregate invalidate the cached statistics."""
    if redis is None:
        database.session_info.pop(CACHE, None)
    else:
        database.session_info[CACHE] = AdoptionCache(redis)


# --- hooks: one call from each event that changes a statistic --------------------------------


def record_registration_submitted(session: Session, *, registration: Registration) -> None:
    aggregates.record(
        session,
        BusinessChange(
            registration.province_code,
            registration.ward_code,
            vn_date(registration.submitted_at),
            (("submitted", 1),),
        ),
    )


def record_registration_decided(session: Session, *, registration: Registration) -> None:
    day = vn_date(registration.decided_at or utcnow())
    if registration.status is RegistrationStatus.ACCEPTED:
        counts: tuple[tuple[str, int], ...] = (("accepted", 1),)
        if not repository.in_registry(session, registration.tax_code):
            counts += (("unlisted", 1),)
    elif registration.status is RegistrationStatus.REJECTED:
        counts = (("rejected", 1),)
    else:
        return
    aggregates.record(
        session, BusinessChange(registration.province_code, registration.ward_code, day, counts)
    )


def record_credentials_claimed(session: Session, *, registration: Registration) -> None:
    aggregates.record(
        session,
        BusinessChange(
            registration.province_code,
            registration.ward_code,
            vn_date(registration.credentials_claimed_at or utcnow()),
            (("claimed", 1),),
        ),
    )


def _document(business: Business, *, kind: str, issue_date: date, **counts: int) -> DocumentChange:
    return DocumentChange(
        tax_code=business.tax_code,
        province_code=business.province_code,
        ward_code=business.ward_code,
        accepted_on=vn_date(business.registered_at),
        issue_date=issue_date,
        kind=kind,
        **counts,
    )


def _invoice_vnd(invoice: Invoice) -> int:
    return vnd_amount(invoice.total, currency=invoice.currency, exchange_rate=invoice.exchange_rate)


def _receipt_vnd(receipt: Receipt) -> int:
    return vnd_amount(
        receipt.total,
        currency=receipt.currency,
        exchange_rate=receipt.exchange_rate,
        total_vnd=receipt.total_vnd,
    )


def record_invoice_issued(session: Session, *, business: Business, invoice: Invoice) -> None:
    """Also takes back the amount of the invoice a replacement replaces: it is no longer in force."""
    aggregates.record(
        session,
        _document(
            business, kind="invoice", issue_date=invoice.issue_date, issued=1, amount=_invoice_vnd(invoice)
        ),
    )
    if invoice.relation is Relation.REPLACEMENT and invoice.related_invoice_id is not None:
        original = session.get(Invoice, invoice.related_invoice_id)
        if original is not None:
            aggregates.record(
                session,
                _document(
                    business, kind="invoice", issue_date=original.issue_date, amount=-_invoice_vnd(original)
                ),
            )


def record_invoice_cancelled(session: Session, *, business: Business, invoice: Invoice) -> None:
    aggregates.record(
        session,
        _document(
            business,
            kind="invoice",
            issue_date=invoice.issue_date,
            cancelled=1,
            amount=-_invoice_vnd(invoice),
        ),
    )


def record_receipt_issued(session: Session, *, business: Business, receipt: Receipt) -> None:
    aggregates.record(
        session,
        _document(
            business, kind="receipt", issue_date=receipt.issue_date, issued=1, amount=_receipt_vnd(receipt)
        ),
    )


def record_receipt_cancelled(session: Session, *, business: Business, receipt: Receipt) -> None:
    aggregates.record(
        session,
        _document(
            business,
            kind="receipt",
            issue_date=receipt.issue_date,
            cancelled=1,
            amount=-_receipt_vnd(receipt),
        ),
    )


# --- the registry -----------------------------------------------------------------------------


def import_registry_file(
    session: Session,
    official: OfficialPrincipal | None,
    *,
    stream: IO[bytes],
    filename: str | None,
    cli_user: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_problem: Callable[[str, RowProblem], None] | None = None,
) -> ImportOutcome:
    """Import a registry CSV as ``official`` (API) or from the command line (``official`` None)."""
    return import_registry(
        session,
        stream=stream,
        actor=official.actor if official is not None else ("cli", cli_user),
        province_scope=official.province_code if official is not None else None,
        source="api" if official is not None else "cli",
        filename=filename,
        on_bytes=on_bytes,
        on_problem=on_problem,
    )


def list_imports(
    session: Session, official: OfficialPrincipal, *, limit: int, cursor: Cursor | None
) -> tuple[list[RegistryImport], bool]:
    rows = repository.list_imports(session, province=official.province_code, limit=limit, cursor=cursor)
    return rows[:limit], len(rows) > limit


def rebuild_aggregates(session: Session, *, apply: bool) -> RebuildReport:
    return rebuild(session, apply=apply, today=today_vn())


# --- statistics -------------------------------------------------------------------------------


@dataclass
class Figures:
    code: str | None
    name: str
    active: int = 0
    registered: int = 0
    unlisted: int = 0
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    claimed: int = 0
    first_documents: int = 0
    issuers: int = 0
    invoices_issued: int = 0
    invoices_cancelled: int = 0
    invoices_amount: int = 0
    receipts_issued: int = 0
    receipts_cancelled: int = 0
    receipts_amount: int = 0
    lags: list[tuple[int, int]] = field(default_factory=list)

    @property
    def amount_total(self) -> int:
        return self.invoices_amount + self.receipts_amount

    @property
    def adoption_rate(self) -> Decimal | None:
        if self.active == 0:
            return None
        return (Decimal(self.registered) / Decimal(self.active)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def adoption_percent(self) -> Decimal | None:
        if self.active == 0:
            return None
        return (Decimal(self.registered) * 100 / Decimal(self.active)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def median_days(self) -> float | None:
        return median(self.lags)

    def absorb(self, other: Figures) -> None:
        for item in fields(self):
            if item.name in ("code", "name"):
                continue
            if item.name == "lags":
                self.lags.extend(other.lags)
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def median(histogram: Iterable[tuple[int, int]]) -> float | None:
    counts: defaultdict[int, int] = defaultdict(int)
    for days, n in histogram:
        counts[days] += n
    total = sum(counts.values())
    if total <= 0:
        return None
    wanted = ((total - 1) // 2, total // 2)
    picked: list[int] = []
    seen = 0
    for days in sorted(counts):
        while len(picked) < 2 and seen + counts[days] > wanted[len(picked)]:
            picked.append(days)
        seen += counts[days]
        if len(picked) == 2:
            break
    return (picked[0] + picked[1]) / 2


@dataclass(frozen=True)
class Statistics:
    window: Window
    rows: list[Figures]
    total: Figures
    unassigned: Figures | None = None


def _figures(session: Session, window: Window, *, province: str | None, by_ward: bool) -> dict[str, Figures]:
    found: dict[str, Figures] = {}

    def at(code: str) -> Figures:
        return found.setdefault(code, Figures(code=code, name=""))

    stocks = repository.business_counts(
        session,
        decompose(EPOCH, window.as_of),
        ("accepted", "active", "unlisted"),
        province=province,
        by_ward=by_ward,
    )
    for code, counts in stocks.items():
        figures = at(code)
        figures.registered, figures.active, figures.unlisted = (
            counts["accepted"],
            counts["active"],
            counts["unlisted"],
        )
    intervals = window.intervals
    flows = repository.business_counts(
        session, intervals, repository.FLOW_COLUMNS, province=province, by_ward=by_ward
    )
    for code, counts in flows.items():
        figures = at(code)
        for name in repository.FLOW_COLUMNS:
            setattr(figures, name, counts[name])
    documents = repository.document_counts(session, intervals, province=province, by_ward=by_ward)
    for code, counts in documents.items():
        figures = at(code)
        for name in repository.DOCUMENT_COLUMNS:
            setattr(figures, name, counts[name])
    if window.single_key is None:
        if window.start is None:
            # Everyone who ever issued up to the end: their first document is in the window.
            for figures in found.values():
                figures.issuers = figures.first_documents
        else:
            for figures in found.values():
                figures.issuers = 0
            for code, count in repository.distinct_issuers(
                session, intervals, province=province, by_ward=by_ward
            ).items():
                at(code).issuers = count
    for code, histogram in repository.lag_histograms(
        session, intervals, province=province, by_ward=by_ward
    ).items():
        at(code).lags = histogram
    return found


def _total(rows: Iterable[Figures], *, code: str | None, name: str) -> Figures:
    total = Figures(code=code, name=name)
    for row in rows:
        total.absorb(row)
    return total


def province_statistics(session: Session, official: OfficialPrincipal, *, window: Window) -> Statistics:
    """Every province (a provincial official: its own) and the total of those shown."""
    found = _figures(session, window, province=official.province_code, by_ward=False)
    rows = []
    for province in localities.list_provinces():
        if not official.can_see_province(province.code):
            continue
        figures = found.get(province.code) or Figures(code=province.code, name="")
        figures.name = province.name
        rows.append(figures)
    name = "Toàn quốc" if official.is_national else rows[0].name
    return Statistics(window=window, rows=rows, total=_total(rows, code=official.province_code, name=name))


def _visible_province(official: OfficialPrincipal, code: str) -> localities.Locality:
    # Another province's figures are as invisible as a province that does not exist.
    if not official.can_see_province(code):
        raise NotFound(f"No province {code!r} in your jurisdiction")
    return localities.get_province(code)


def ward_statistics(
    session: Session, official: OfficialPrincipal, *, province_code: str, window: Window
) -> Statistics:
    """Every ward of the province, the rows no current ward could be given (``unassigned``), and
    the province's own figures as the total."""
    province = _visible_province(official, province_code)
    found = _figures(session, window, province=province.code, by_ward=True)
    rows = []
    for ward in localities.list_wards(province.code):
        figures = found.get(ward.code) or Figures(code=ward.code, name="")
        figures.name = ward.name
        rows.append(figures)
    unassigned = found.get("") or Figures(code=None, name="")
    unassigned.code, unassigned.name = None, "Chưa xác định phường/xã (mã cũ trước 2025)"
    whole = _figures(session, window, province=province.code, by_ward=False).get(province.code)
    total = whole or Figures(code=province.code, name=province.name)
    total.name = province.name
    return Statistics(window=window, rows=rows, total=total, unassigned=unassigned)


def statistics_window(*, period: str | None, start: str | None, end: str | None, as_of: str | None) -> Window:
    return parse_window(period=period, start=start, end=end, as_of=as_of, today=today_vn())


@dataclass(frozen=True)
class Point:
    start: date
    label: str
    documents: dict[str, int]
    businesses: dict[str, int]
    registered: int
    active: int


@dataclass(frozen=True)
class Timeseries:
    granularity: Granularity
    province: localities.Locality | None
    buckets: Buckets
    points: list[Point]


def timeseries(
    session: Session,
    official: OfficialPrincipal,
    *,
    granularity: Granularity,
    province_code: str | None,
    start: str | None,
    end: str | None,
) -> Timeseries:
    """Registrations and documents per day or month; a provincial official sees its province."""
    code = province_code or official.province_code
    province = _visible_province(official, code) if code is not None else None
    buckets = parse_buckets(granularity=granularity, start=start, end=end, today=today_vn())
    grain = DAY if granularity is Granularity.DAY else MONTH
    documents, businesses = repository.series(
        session, grain=grain, first=buckets.first, last=buckets.starts[-1], province=code
    )
    before = repository.business_counts(
        session,
        decompose(EPOCH, buckets.first - timedelta(days=1)),
        ("accepted", "active"),
        province=code,
        by_ward=False,
    )
    registered = sum(counts["accepted"] for counts in before.values())
    active = sum(counts["active"] for counts in before.values())
    points = []
    for bucket in buckets.starts:
        flows = businesses.get(bucket, {})
        registered += flows.get("accepted", 0)
        active += flows.get("active", 0)
        points.append(
            Point(
                start=bucket,
                label=bucket.isoformat() if grain == DAY else bucket.isoformat()[:7],
                documents={
                    name: documents.get(bucket, {}).get(name, 0) for name in repository.DOCUMENT_COLUMNS
                },
                businesses={name: flows.get(name, 0) for name in repository.FLOW_COLUMNS},
                registered=registered,
                active=active,
            )
        )
    return Timeseries(granularity=granularity, province=province, buckets=buckets, points=points)
