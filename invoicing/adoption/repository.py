from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    distinct,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from invoicing.adoption.periods import DAY, GRAINS, MONTH, Interval
from invoicing.models import (
    Business,
    Invoice,
    Receipt,
    Registration,
    RegistryImport,
    RegistryStatus,
    metadata,
)
from invoicing.pagination import Cursor

PROVINCE_WIDE = "*"
DOCUMENT_COLUMNS = (
    "invoices_issued",
    "invoices_cancelled",
    "invoices_amount",
    "receipts_issued",
    "receipts_cancelled",
    "receipts_amount",
    "issuers",
)
BUSINESS_COLUMNS = ("submitted", "accepted", "rejected", "claimed", "first_documents", "active", "unlisted")
FLOW_COLUMNS = ("submitted", "accepted", "rejected", "claimed", "first_documents")
STOCK_COLUMNS = ("accepted", "active", "unlisted", "first_documents")
CounterKey = tuple[str, str, str, date]
Counts = dict[str, int]

_document_table: Table = metadata.tables["adoption_document_counters"]
_business_table: Table = metadata.tables["adoption_business_counters"]
_marker_table: Table = metadata.tables["adoption_activity"]
_first_table: Table = metadata.tables["adoption_first_documents"]
_lag_table: Table = metadata.tables["adoption_lags"]
_registry_table: Table = metadata.tables["business_registry"]
_COUNTER_KEY = ("province_code", "ward_code", "grain", "period_start")
# Registry imports take this transaction-scoped PostgreSQL lock so two imports never interleave
# their row locks (and deadlock); SQLite has one writer anyway.
_REGISTRY_IMPORT_LOCK = 0x686F61646F6E01


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session, table: Table) -> Any:
    return postgresql.insert(table) if _dialect(session) == "postgresql" else sqlite.insert(table)


# --- the fold: markers, first documents, counters --------------------------------------------

# Rows per multi-row statement: a batch of 1,000 invoices folds into some 3,000 markers, and
# PostgreSQL takes at most 65,535 parameters per statement.
_STATEMENT_ROWS = 1000


def _batches(rows: Sequence[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    for start in range(0, len(rows), _STATEMENT_ROWS):
        yield list(rows[start : start + _STATEMENT_ROWS])


def insert_markers(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, date]]:
    """Insert the markers not there yet; returns the ones this call created."""
    if not rows:
        return []
    statement = (
        _insert(session, _marker_table)
        .on_conflict_do_nothing(index_elements=["tax_code", "grain", "period_start"])
        .returning(_marker_table.c.tax_code, _marker_table.c.grain, _marker_table.c.period_start)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(statement, list(rows))]


@dataclass(frozen=True)
class FirstDocumentChange:
    tax_code: str
    province_code: str
    ward_code: str
    accepted_on: date
    issued_on: date
    previous_on: date | None


def upsert_first_documents(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[FirstDocumentChange]:
    """Record each business's earliest document date; returns the rows that were created or moved
    earlier, with the date they had before (``previous_on``)."""
    changes: list[FirstDocumentChange] = []
    for batch in _batches(rows):
        changes.extend(_upsert_first_documents(session, batch))
    return changes


def _upsert_first_documents(session: Session, rows: list[Mapping[str, Any]]) -> list[FirstDocumentChange]:
    statement = _insert(session, _first_table).values([{**row, "previous_on": None} for row in rows])
    statement = statement.on_conflict_do_update(
        index_elements=["tax_code"],
        set_={"issued_on": statement.excluded.issued_on, "previous_on": _first_table.c.issued_on},
        where=_first_table.c.issued_on > statement.excluded.issued_on,
    ).returning(
        _first_table.c.tax_code,
        _first_table.c.province_code,
        _first_table.c.ward_code,
        _first_table.c.accepted_on,
        _first_table.c.issued_on,
        _first_table.c.previous_on,
    )
    return [FirstDocumentChange(*row) for row in session.execute(statement)]


def _add(session: Session, table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    columns = [name for name in rows[0] if name not in keys]
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in columns},
    )
    # One statement, many parameter sets: compiled once, sent in batches, applied in list order.
    session.execute(statement, list(rows))


def add_document_counts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _add(session, _document_table, (*_COUNTER_KEY, "slot"), rows)


def add_business_counts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _add(session, _business_table, _COUNTER_KEY, rows)


def add_lags(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _add(session, _lag_table, (*_COUNTER_KEY, "days"), rows)


# --- statistics -------------------------------------------------------------------------------


def _within(
    grain: Any, period_start: Any, intervals: Iterable[Interval], *also: ColumnElement[bool]
) -> ColumnElement[bool]:
    # ``also`` is repeated in every arm so that each arm is one index range scan.
    return or_(*(and_(*also, grain == i.grain, period_start.between(i.first, i.last)) for i in intervals))


def _scoped(
    table: Table,
    statement: Select[Any],
    intervals: Sequence[Interval],
    *,
    province: str | None,
    by_ward: bool,
) -> Any:
    """Rows of ``intervals``, grouped by province (province-wide rows) or, within ``province``, by ward."""
    if by_ward:
        group = table.c.ward_code
        level = [table.c.province_code == province]
        statement = statement.where(table.c.ward_code != PROVINCE_WIDE)
    else:
        group = table.c.province_code
        level = [table.c.ward_code == PROVINCE_WIDE]
        if province is not None:
            statement = statement.where(table.c.province_code == province)
    statement = statement.where(_within(table.c.grain, table.c.period_start, intervals, *level))
    return statement.add_columns(group).group_by(group)


def _sum_counts(
    session: Session,
    table: Table,
    columns: Sequence[str],
    intervals: Sequence[Interval],
    *,
    province: str | None,
    by_ward: bool,
) -> dict[str, Counts]:
    statement = select(*(func.coalesce(func.sum(table.c[name]), 0) for name in columns))
    statement = _scoped(table, statement, intervals, province=province, by_ward=by_ward)
    found: dict[str, Counts] = {}
    for row in session.execute(statement):
        found[row[-1]] = {name: int(row[i]) for i, name in enumerate(columns)}
    return found


def document_counts(
    session: Session, intervals: Sequence[Interval], *, province: str | None, by_ward: bool
) -> dict[str, Counts]:
    return _sum_counts(
        session, _document_table, DOCUMENT_COLUMNS, intervals, province=province, by_ward=by_ward
    )


def business_counts(
    session: Session,
    intervals: Sequence[Interval],
    columns: Sequence[str],
    *,
    province: str | None,
    by_ward: bool,
) -> dict[str, Counts]:
    return _sum_counts(session, _business_table, columns, intervals, province=province, by_ward=by_ward)


def distinct_issuers(
    session: Session, intervals: Sequence[Interval], *, province: str | None, by_ward: bool
) -> dict[str, int]:
    """Businesses with a document in the range: counted from the activity markers, for ranges that
    are not one aggregate key."""
    table = _marker_table
    group = table.c.ward_code if by_ward else table.c.province_code
    level = [table.c.province_code == province] if province is not None else []
    statement = select(group, func.count(distinct(table.c.tax_code))).where(
        _within(table.c.grain, table.c.period_start, intervals, *level)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement.group_by(group))}


def lag_histograms(
    session: Session, intervals: Sequence[Interval], *, province: str | None, by_ward: bool
) -> dict[str, list[tuple[int, int]]]:
    table = _lag_table
    statement = select(table.c.days, func.sum(table.c.businesses))
    statement = _scoped(table, statement, intervals, province=province, by_ward=by_ward)
    statement = statement.group_by(table.c.days)
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for days, businesses, locality in session.execute(statement):
        found[locality].append((int(days), int(businesses)))
    return found


def series(
    session: Session, *, grain: str, first: date, last: date, province: str | None
) -> tuple[dict[date, Counts], dict[date, Counts]]:
    """Per period start: document counts and business counts (province-wide or national)."""
    documents: dict[date, Counts] = {}
    businesses: dict[date, Counts] = {}
    for table, columns, into in (
        (_document_table, DOCUMENT_COLUMNS, documents),
        (_business_table, BUSINESS_COLUMNS, businesses),
    ):
        statement = (
            select(table.c.period_start, *(func.sum(table.c[name]) for name in columns))
            .where(
                table.c.grain == grain,
                table.c.period_start.between(first, last),
                table.c.ward_code == PROVINCE_WIDE,
            )
            .group_by(table.c.period_start)
        )
        if province is not None:
            statement = statement.where(table.c.province_code == province)
        for row in session.execute(statement):
            into[row[0]] = {name: int(row[i + 1] or 0) for i, name in enumerate(columns)}
    return documents, businesses


# --- registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredEntry:
    name: str
    province_code: str
    ward_code: str
    status: RegistryStatus
    import_id: uuid.UUID
    import_line: int


def _one_of(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    # PostgreSQL takes the chunk's 5,000 codes as one array parameter, not 5,000 of them.
    if _dialect(session) == "postgresql":
        matches: ColumnElement[bool] = column == any_(
            bindparam("one_of", value=list(values), type_=postgresql.ARRAY(String))
        )
        return matches
    result: ColumnElement[bool] = column.in_(values)
    return result


def lock_registry_imports(session: Session) -> None:
    if _dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRY_IMPORT_LOCK})


def registry_entries(session: Session, tax_codes: Sequence[str]) -> dict[str, StoredEntry]:
    if not tax_codes:
        return {}
    table = _registry_table
    statement = select(
        table.c.tax_code,
        table.c.name,
        table.c.province_code,
        table.c.ward_code,
        table.c.status,
        table.c.import_id,
        table.c.import_line,
    ).where(_one_of(session, table.c.tax_code, tax_codes))
    return {row[0]: StoredEntry(*row[1:]) for row in session.execute(statement)}


_REGISTRY_COLUMNS = (
    "tax_code",
    "name",
    "province_code",
    "ward_code",
    "status",
    "legacy_province_code",
    "legacy_ward_code",
    "import_id",
    "import_line",
    "updated_at",
)


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def insert_registry_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if _dialect(session) != "postgresql":
        session.execute(insert(_registry_table), list(rows))
        return
    # COPY: a registry is loaded a million rows at a time, and an INSERT per row is the bottleneck.
    with _driver_connection(session).cursor() as cursor:
        columns = ", ".join(_REGISTRY_COLUMNS)
        with cursor.copy(f"COPY business_registry ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    tuple(row[name].value if name == "status" else row[name] for name in _REGISTRY_COLUMNS)
                )


def update_registry_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    table = _registry_table
    statement = (
        update(table)
        .where(table.c.tax_code == bindparam("b_tax_code"))
        .values({name: bindparam(f"b_{name}") for name in rows[0] if name != "tax_code"})
    )
    session.execute(statement, [{f"b_{name}": value for name, value in row.items()} for row in rows])


def mark_registry_entries(session: Session, *, import_id: uuid.UUID, lines: Mapping[str, int]) -> None:
    """Note unchanged rows as seen by this import (so a later duplicate is recognised)."""
    if not lines:
        return
    table = _registry_table
    if _dialect(session) != "postgresql":
        statement = (
            update(table)
            .where(table.c.tax_code == bindparam("b_tax_code"))
            .values(import_id=import_id, import_line=bindparam("b_line"))
        )
        session.execute(statement, [{"b_tax_code": code, "b_line": line} for code, line in lines.items()])
        return
    with _driver_connection(session).cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS registry_seen "
            "(tax_code varchar(14) PRIMARY KEY, line integer) ON COMMIT DROP"
        )
        with cursor.copy("COPY registry_seen (tax_code, line) FROM STDIN") as copy:
            for code, line in lines.items():
                copy.write_row((code, line))
        cursor.execute(
            "UPDATE business_registry AS entry SET import_id = %s, import_line = seen.line "
            "FROM registry_seen AS seen WHERE entry.tax_code = seen.tax_code",
            (import_id,),
        )
        cursor.execute("TRUNCATE registry_seen")


def registered_localities(session: Session, tax_codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    if not tax_codes:
        return {}
    statement = select(col(Business.tax_code), col(Business.province_code), col(Business.ward_code)).where(
        _one_of(session, col(Business.tax_code), tax_codes)
    )
    return {row[0]: (row[1], row[2]) for row in session.execute(statement)}


def in_registry(session: Session, tax_code: str) -> bool:
    statement = select(literal(1)).where(_registry_table.c.tax_code == tax_code)
    return session.execute(statement).first() is not None


def add_import(session: Session, record: RegistryImport) -> RegistryImport:
    session.add(record)
    session.flush()
    return record


def list_imports(
    session: Session, *, province: str | None, limit: int, cursor: Cursor | None
) -> list[RegistryImport]:
    statement = select(RegistryImport)
    if province is not None:
        statement = statement.where(col(RegistryImport.province_scope) == province)
    if cursor is not None:
        at: datetime = cursor.at
        statement = statement.where(
            (col(RegistryImport.imported_at) < at)
            | ((col(RegistryImport.imported_at) == at) & (col(RegistryImport.id) < cursor.id))
        )
    statement = statement.order_by(col(RegistryImport.imported_at).desc(), col(RegistryImport.id).desc())
    return list(session.scalars(statement.limit(limit + 1)))


# --- rebuild ----------------------------------------------------------------------------------


def lock_aggregates(session: Session) -> None:
    """Hold writers off while the aggregates are compared or rewritten.

    Tables are named in the order every writer touches them (imports: registry first; the fold:
    markers, first documents, lags, document and business counters), so the lock never closes a
    cycle with a transaction already part-way through.
    """
    if _dialect(session) == "postgresql":
        session.execute(
            text(
                "LOCK TABLE business_registry, adoption_activity, adoption_first_documents, adoption_lags, "
                "adoption_document_counters, adoption_business_counters IN SHARE ROW EXCLUSIVE MODE"
            )
        )


@dataclass(frozen=True)
class BusinessPlace:
    tax_code: str
    province_code: str
    ward_code: str
    registered_at: datetime


def business_places(session: Session) -> dict[uuid.UUID, BusinessPlace]:
    statement = select(
        col(Business.id),
        col(Business.tax_code),
        col(Business.province_code),
        col(Business.ward_code),
        col(Business.registered_at),
    )
    return {row[0]: BusinessPlace(*row[1:]) for row in session.execute(statement)}


def registration_dates(
    session: Session,
) -> Iterator[tuple[str, str, str, datetime, datetime | None, datetime | None]]:
    statement = select(
        col(Registration.province_code),
        col(Registration.ward_code),
        col(Registration.status),
        col(Registration.submitted_at),
        col(Registration.decided_at),
        col(Registration.credentials_claimed_at),
    ).execution_options(yield_per=5000)
    for row in session.execute(statement):
        yield row[0], row[1], str(row[2]), row[3], row[4], row[5]


@dataclass(frozen=True)
class DocumentRow:
    business_id: uuid.UUID
    issue_date: date
    status: str
    currency: str
    total: Decimal
    exchange_rate: Decimal | None
    total_vnd: Decimal | None


def invoice_rows(session: Session) -> Iterator[DocumentRow]:
    statement = select(
        col(Invoice.business_id),
        col(Invoice.issue_date),
        col(Invoice.status),
        col(Invoice.currency),
        col(Invoice.total),
        col(Invoice.exchange_rate),
    ).execution_options(yield_per=5000)
    for row in session.execute(statement):
        yield DocumentRow(row[0], row[1], str(row[2]), row[3], row[4], row[5], None)


def receipt_rows(session: Session) -> Iterator[DocumentRow]:
    statement = select(
        col(Receipt.business_id),
        col(Receipt.issue_date),
        col(Receipt.status),
        col(Receipt.currency),
        col(Receipt.total),
        col(Receipt.exchange_rate),
        col(Receipt.total_vnd),
    ).execution_options(yield_per=5000)
    for row in session.execute(statement):
        yield DocumentRow(row[0], row[1], str(row[2]), row[3], row[4], row[5], row[6])


def operating_by_locality(session: Session) -> dict[tuple[str, str], int]:
    table = _registry_table
    statement = (
        select(table.c.province_code, table.c.ward_code, func.count())
        .where(table.c.status == RegistryStatus.OPERATING)
        .group_by(table.c.province_code, table.c.ward_code)
    )
    return {(row[0], row[1]): int(row[2]) for row in session.execute(statement)}


def unlisted_by_locality(session: Session) -> dict[tuple[str, str], int]:
    """Registered businesses the registry does not list at all, by their registered locality."""
    listed = exists().where(_registry_table.c.tax_code == Business.tax_code)
    statement = (
        select(col(Business.province_code), col(Business.ward_code), func.count())
        .where(~listed)
        .group_by(col(Business.province_code), col(Business.ward_code))
    )
    return {(row[0], row[1]): int(row[2]) for row in session.execute(statement)}


def stored_document_counts(session: Session) -> dict[CounterKey, Counts]:
    table = _document_table
    keys = [table.c[name] for name in _COUNTER_KEY]
    statement = select(*keys, *(func.sum(table.c[name]) for name in DOCUMENT_COLUMNS)).group_by(*keys)
    return {
        (row[0], row[1], row[2], row[3]): {name: int(row[4 + i]) for i, name in enumerate(DOCUMENT_COLUMNS)}
        for row in session.execute(statement)
    }


def stored_business_counts(session: Session) -> dict[CounterKey, Counts]:
    table = _business_table
    statement = select(*(table.c[name] for name in (*_COUNTER_KEY, *BUSINESS_COLUMNS)))
    return {
        (row[0], row[1], row[2], row[3]): {name: int(row[4 + i]) for i, name in enumerate(BUSINESS_COLUMNS)}
        for row in session.execute(statement)
    }


def stored_lags(session: Session) -> dict[tuple[str, str, str, date, int], int]:
    table = _lag_table
    statement = select(
        table.c.province_code,
        table.c.ward_code,
        table.c.grain,
        table.c.period_start,
        table.c.days,
        table.c.businesses,
    )
    return {(r[0], r[1], r[2], r[3], r[4]): int(r[5]) for r in session.execute(statement)}


def stored_first_documents(session: Session) -> dict[str, tuple[str, str, date, date]]:
    table = _first_table
    statement = select(
        table.c.tax_code, table.c.province_code, table.c.ward_code, table.c.accepted_on, table.c.issued_on
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in session.execute(statement)}


def _period_start(session: Session, grain: str, day: Any) -> Any:
    if grain == DAY:
        return day
    unit = "month" if grain == MONTH else "year"
    if _dialect(session) == "postgresql":
        return cast(func.date_trunc(unit, day), Date)
    return type_coerce(func.date(day, f"start of {unit}"), Date)


def _expected_markers(session: Session, grain: str) -> Select[Any]:
    documents = union(
        select(col(Invoice.business_id).label("business_id"), col(Invoice.issue_date).label("issue_date")),
        select(col(Receipt.business_id).label("business_id"), col(Receipt.issue_date).label("issue_date")),
    ).subquery()
    return (
        select(
            col(Business.tax_code).label("tax_code"),
            literal(grain).label("grain"),
            _period_start(session, grain, documents.c.issue_date).label("period_start"),
            col(Business.province_code).label("province_code"),
            col(Business.ward_code).label("ward_code"),
        )
        .select_from(documents.join(Business, col(Business.id) == documents.c.business_id))
        .distinct()
    )


def expected_issuers(session: Session) -> dict[CounterKey, int]:
    """Distinct issuing businesses per ward and per period key, straight from the documents."""
    found: dict[CounterKey, int] = {}
    for grain in GRAINS:
        markers = _expected_markers(session, grain).subquery()
        statement = select(
            markers.c.province_code, markers.c.ward_code, markers.c.period_start, func.count()
        ).group_by(markers.c.province_code, markers.c.ward_code, markers.c.period_start)
        for province, ward, start, count in session.execute(statement):
            found[(province, ward, grain, start)] = int(count)
    return found


def marker_differences(session: Session) -> tuple[int, int]:
    """(missing, extra) activity markers compared with the documents."""
    missing = extra = 0
    stored_columns = (_marker_table.c.tax_code, _marker_table.c.grain, _marker_table.c.period_start)
    for grain in GRAINS:
        expected = _expected_markers(session, grain).subquery()
        expected_keys = select(expected.c.tax_code, expected.c.grain, expected.c.period_start)
        stored_keys = select(*stored_columns).where(_marker_table.c.grain == grain)
        missing += int(
            session.execute(
                select(func.count()).select_from(expected_keys.except_(stored_keys).subquery())
            ).scalar_one()
        )
        extra += int(
            session.execute(
                select(func.count()).select_from(stored_keys.except_(expected_keys).subquery())
            ).scalar_one()
        )
    return missing, extra


def replace_markers(session: Session) -> None:
    session.execute(delete(_marker_table))
    for grain in GRAINS:
        session.execute(
            insert(_marker_table).from_select(
                ["tax_code", "grain", "period_start", "province_code", "ward_code"],
                _expected_markers(session, grain),
            )
        )


def _replace(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    session.execute(delete(table))
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), list(rows[start : start + 5000]))


def replace_document_counts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _replace(session, _document_table, rows)


def replace_business_counts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _replace(session, _business_table, rows)


def replace_lags(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _replace(session, _lag_table, rows)


def replace_first_documents(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    _replace(session, _first_table, rows)
