"""Importing the business registry (CSV ``tax_code,name,province_code,ward_code,status``).

The file is read twice, streaming: first for its SHA-256 and to refuse a file that is not UTF-8
before anything is written, then row by row in chunks. Memory stays constant whatever the size:
each chunk is validated, compared with the stored rows in one query and written in bulk; a tax
code seen earlier in the same file is recognised from the stored row (``import_id`` and
``import_line``), not from a set of every code read.

One import is one transaction. A whole-file refusal (wrong header, not UTF-8, a malformed CSV
record) rolls everything back; a refused row is reported with its line number and reason and the
valid rows are imported. Choices:

- The first occurrence of a duplicated tax code wins; later ones are refused, naming its line.
- A name starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is refused, not
  neutralised: such a name is a spreadsheet formula (CSV injection), and a registry is the
  source others export from, so it is fixed at its source rather than altered here.
- Codes lose their leading zeros in spreadsheets: ``1`` is read as province ``01``, ``4`` as
  ward ``00004``.
- A pre-2025 province code is mapped to its current province (``legacy.py``); its ward code
  cannot be mapped and is left empty — the row counts for the province only, and the import
  says so in ``notes``.
- A provincial official imports the rows of its own province: rows of another province, and
  rows that would move a business out of another province's registry, are refused with that
  reason. A national official (or the CLI) imports any row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import IO, Any

from sqlmodel import Session

from invoicing.adoption import aggregates, repository
from invoicing.adoption.aggregates import BusinessChange
from invoicing.adoption.csvfiles import FORMULA_STARTS
from invoicing.adoption.legacy import current_province_for_legacy, legacy_name
from invoicing.adoption.periods import vn_date
from invoicing.audit.service import record_event
from invoicing.errors import ValidationFailed
from invoicing.localities import service as localities
from invoicing.models import RegistryImport, RegistryStatus
from invoicing.models.base import utcnow
from invoicing.taxcodes import normalize_tax_code

COLUMNS = ("tax_code", "name", "province_code", "ward_code", "status")
CHUNK_ROWS = 5000
REPORTED_PROBLEMS = 1000
READ_BYTES = 1 << 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"^\d{1,5}$")


class RegistryFileRejected(ValidationFailed):
    type_slug = "registry-file-rejected"
    title = "The registry file was refused whole; nothing was imported"


@dataclass(frozen=True)
class RowProblem:
    line: int
    tax_code: str
    reason: str


@dataclass
class ImportOutcome:
    record: RegistryImport
    rejects: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)

    @property
    def rejects_truncated(self) -> bool:
        return self.record.rejected > len(self.rejects)

    @property
    def notes_truncated(self) -> bool:
        return self.record.legacy_mapped > len(self.notes)


@dataclass(frozen=True)
class _Row:
    line: int
    tax_code: str
    name: str
    province_code: str
    ward_code: str
    status: RegistryStatus
    legacy_province_code: str | None
    legacy_ward_code: str | None


@cache
def _current_provinces() -> frozenset[str]:
    return frozenset(province.code for province in localities.list_provinces())


def _code(value: str, width: int) -> str | None:
    text = value.strip()
    return text.zfill(width) if _DIGITS.match(text) and len(text) <= width else None


def check_file(stream: IO[bytes], *, on_bytes: Callable[[int], None] | None = None) -> tuple[str, int]:
    """SHA-256 and size; refuses a file that is not UTF-8, naming the line of the first bad byte."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    size = 0
    lines = 1
    while chunk := stream.read(READ_BYTES):
        digest.update(chunk)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines + chunk.count(b"\n", 0, error.start)
            raise RegistryFileRejected(
                f"the file is not UTF-8: byte 0x{chunk[error.start]:02x} on line {line}; save it as "
                "UTF-8 CSV",
                field="file",
            ) from None
        lines += chunk.count(b"\n")
        size += len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RegistryFileRejected(
            f"the file is not UTF-8: it ends in the middle of a character (line {lines})", field="file"
        ) from None
    if size == 0:
        raise RegistryFileRejected("the file is empty; expected a header line", field="file")
    return digest.hexdigest(), size


def _header(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    expected = ",".join(COLUMNS)
    if sorted(names) != sorted(COLUMNS):
        missing = [name for name in COLUMNS if name not in names]
        unknown = [name for name in names if name not in COLUMNS]
        details = []
        if missing:
            details.append(f"missing {', '.join(missing)}")
        if unknown:
            details.append(f"unknown {', '.join(repr(name) for name in unknown)}")
        if len(set(names)) != len(names):
            details.append("a column is repeated")
        raise RegistryFileRejected(
            f"the first line must be the header {expected} ({'; '.join(details)})", field="file"
        )
    return {name: names.index(name) for name in COLUMNS}


def _shown(text: str) -> str:
    # Reasons quote the cell, but a reason is no place for a 100 kB cell.
    return repr(text if len(text) <= 24 else text[:24] + "…")


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _validate(line: int, cells: list[str], columns: dict[str, int]) -> tuple[_Row, str | None]:
    """The row as stored, and a note when a legacy code was mapped; _Rejected says why not."""
    if len(cells) != len(COLUMNS):
        raise _Rejected(f"expected {len(COLUMNS)} cells, found {len(cells)}")
    raw_tax_code = cells[columns["tax_code"]].strip()
    try:
        tax_code = normalize_tax_code(raw_tax_code)
    except ValueError as error:
        raise _Rejected(f"tax_code {_shown(raw_tax_code)}: {error}") from None
    name = unicodedata.normalize("NFC", cells[columns["name"]]).strip()
    raw_name = cells[columns["name"]].lstrip(" ")
    if raw_name.startswith(FORMULA_STARTS) or name.startswith(FORMULA_STARTS):
        raise _Rejected(
            f"name starts with {raw_name[:1]!r}: a spreadsheet formula (CSV injection) is not a name; "
            "correct it in the source registry"
        )
    if not name:
        raise _Rejected("name is empty")
    if len(name) > 400:
        raise _Rejected(f"name has {len(name)} characters; at most 400")
    if _CONTROL.search(name):
        raise _Rejected("name contains control characters")
    status_text = cells[columns["status"]].strip().lower()
    try:
        status = RegistryStatus(status_text)
    except ValueError:
        raise _Rejected(
            f"status {_shown(cells[columns['status']])} is not one of operating, suspended, closed"
        ) from None
    raw_province = cells[columns["province_code"]]
    province = _code(raw_province, 2)
    raw_ward = cells[columns["ward_code"]].strip()
    if province is None:
        raise _Rejected(f"province_code {_shown(raw_province)} is not a province code")
    if province not in _current_provinces():
        current = current_province_for_legacy(province)
        if current is None:
            raise _Rejected(f"province_code {province} is not a province, current or pre-2025")
        ward_note = (
            f"; its ward code {raw_ward[:8]} cannot be mapped without ward conversion data, so the row counts "
            "for the province only"
            if raw_ward
            else ""
        )
        note = (
            f"pre-2025 province {province} ({legacy_name(province)}) is part of province {current} "
            f"({localities.get_province(current).name}) since 2025-07-01{ward_note}"
        )
        row = _Row(line, tax_code, name, current, "", status, province, _code(raw_ward, 5))
        return row, note
    ward = _code(raw_ward, 5)
    if ward is None:
        raise _Rejected(
            f"ward_code {_shown(raw_ward)} is not a ward code" if raw_ward else "ward_code is empty"
        )
    try:
        localities.check_locality(province_code=province, ward_code=ward)
    except ValidationFailed as error:
        raise _Rejected(error.detail) from None
    return _Row(line, tax_code, name, province, ward, status, None, None), None


@dataclass
class _Counts:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    legacy_mapped: int = 0


@dataclass
class _Run:
    session: Session
    record: RegistryImport
    scope: str | None
    today: date
    outcome: ImportOutcome
    on_problem: Callable[[str, RowProblem], None] | None
    counts: _Counts = field(default_factory=_Counts)
    # (province, ward) -> name -> delta; bounded by the number of localities.
    deltas: defaultdict[tuple[str, str], defaultdict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def reject(self, line: int, tax_code: str, reason: str) -> None:
        self.counts.rejected += 1
        problem = RowProblem(line, tax_code, reason)
        if len(self.outcome.rejects) < REPORTED_PROBLEMS:
            self.outcome.rejects.append(problem)
        if self.on_problem is not None:
            self.on_problem("rejected", problem)

    def note(self, line: int, tax_code: str, text: str) -> None:
        self.counts.legacy_mapped += 1
        problem = RowProblem(line, tax_code, text)
        if len(self.outcome.notes) < REPORTED_PROBLEMS:
            self.outcome.notes.append(problem)
        if self.on_problem is not None:
            self.on_problem("note", problem)

    def chunk(self, rows: list[tuple[_Row, str | None]]) -> None:
        stored = repository.registry_entries(self.session, [row.tax_code for row, _ in rows])
        seen: dict[str, int] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged: dict[str, int] = {}
        now = utcnow()
        for row, note in rows:
            before = stored.get(row.tax_code)
            first_line = seen.get(row.tax_code)
            if first_line is None and before is not None and before.import_id == self.record.id:
                first_line = before.import_line
            if first_line is not None:
                self.reject(row.line, row.tax_code, f"duplicate tax code: first given on line {first_line}")
                continue
            if self.scope is not None and row.province_code != self.scope:
                self.reject(
                    row.line,
                    row.tax_code,
                    f"province {row.province_code} is outside your jurisdiction (province {self.scope})",
                )
                continue
            if self.scope is not None and before is not None and before.province_code != self.scope:
                self.reject(
                    row.line,
                    row.tax_code,
                    f"the registry lists this business in province {before.province_code}; only a national "
                    "official can move it",
                )
                continue
            seen[row.tax_code] = row.line
            if note is not None:
                self.note(row.line, row.tax_code, note)
            values = {
                "tax_code": row.tax_code,
                "name": row.name,
                "province_code": row.province_code,
                "ward_code": row.ward_code,
                "status": row.status,
                "legacy_province_code": row.legacy_province_code,
                "legacy_ward_code": row.legacy_ward_code,
                "import_id": self.record.id,
                "import_line": row.line,
                "updated_at": now,
            }
            if before is None:
                inserts.append(values)
                self.counts.inserted += 1
            elif (before.name, before.province_code, before.ward_code, before.status) == (
                row.name,
                row.province_code,
                row.ward_code,
                row.status,
            ):
                unchanged[row.tax_code] = row.line
                self.counts.unchanged += 1
                continue
            else:
                updates.append(values)
                self.counts.updated += 1
                if before.status is RegistryStatus.OPERATING:
                    self.deltas[(before.province_code, before.ward_code)]["active"] -= 1
            if row.status is RegistryStatus.OPERATING:
                self.deltas[(row.province_code, row.ward_code)]["active"] += 1
        repository.insert_registry_entries(self.session, inserts)
        repository.update_registry_entries(self.session, updates)
        repository.mark_registry_entries(self.session, import_id=self.record.id, lines=unchanged)
        newly_listed = repository.registered_localities(self.session, [row["tax_code"] for row in inserts])
        for place in newly_listed.values():
            self.deltas[place]["unlisted"] -= 1

    def finish(self) -> None:
        for (province, ward), counts in sorted(self.deltas.items()):
            changed = tuple((name, n) for name, n in sorted(counts.items()) if n)
            if changed:
                aggregates.record(self.session, BusinessChange(province, ward, self.today, changed))


def _records(text: IO[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each CSV record; blank lines skipped."""
    reader = csv.reader(text, strict=True)
    last_line = 0
    try:
        for cells in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            yield line, cells
    except csv.Error as error:
        raise RegistryFileRejected(
            f"the CSV record starting on line {last_line + 1} is malformed ({error}); nothing was imported",
            field="file",
        ) from None


def import_registry(
    session: Session,
    *,
    stream: IO[bytes],
    actor: tuple[str, str | None],
    province_scope: str | None,
    source: str,
    filename: str | None,
    on_bytes: Callable[[int], None] | None = None,
    on_problem: Callable[[str, RowProblem], None] | None = None,
) -> ImportOutcome:
    """Import ``stream``; ``on_bytes`` reports progress (each byte is read twice), ``on_problem``
    sees every refused row and legacy note, beyond the first 1,000 the outcome keeps."""
    sha256, size = check_file(stream, on_bytes=on_bytes)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise RegistryFileRejected("the file is empty; expected a header line", field="file")
    columns = _header(first[1])
    repository.lock_registry_imports(session)
    actor_type, actor_id = actor
    record = repository.add_import(
        session,
        RegistryImport(
            actor_type=actor_type,
            actor_id=actor_id,
            province_scope=province_scope,
            source=source,
            filename=filename[:255] if filename else None,
            sha256=sha256,
            size_bytes=size,
        ),
    )
    outcome = ImportOutcome(record=record)
    run = _Run(session, record, province_scope, vn_date(utcnow()), outcome, on_problem)
    pending: list[tuple[_Row, str | None]] = []
    position = 0
    for line, cells in records:
        run.counts.rows += 1
        try:
            pending.append(_validate(line, cells, columns))
        except _Rejected as rejected:
            cell = cells[columns["tax_code"]].strip()[:20] if len(cells) > columns["tax_code"] else ""
            run.reject(line, cell, rejected.reason)
        if len(pending) >= CHUNK_ROWS:
            run.chunk(pending)
            pending = []
        if on_bytes is not None and run.counts.rows % 1000 == 0:
            now_at = stream.tell()
            on_bytes(now_at - position)
            position = now_at
    if pending:
        run.chunk(pending)
    if on_bytes is not None:
        on_bytes(size - position)
    text.detach()
    run.finish()
    counts = run.counts
    record.rows = counts.rows
    record.inserted = counts.inserted
    record.updated = counts.updated
    record.unchanged = counts.unchanged
    record.rejected = counts.rejected
    record.legacy_mapped = counts.legacy_mapped
    session.add(record)
    record_event(
        session,
        actor=actor,
        action="registry.imported",
        subject_type="registry_import",
        subject_id=record.id,
        data={
            "sha256": sha256,
            "rows": counts.rows,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "rejected": counts.rejected,
        },
    )
    return outcome
