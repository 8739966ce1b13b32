"""Adoption benchmark: the province statistics query at 10k and at 1M invoices, and the registry import.

    .venv/bin/python bench/adoption.py [--businesses N] [--small 10000] [--large 1000000]
                                       [--queries 200] [--registry-rows 1000000] [--skip-registry]

(a) Query scaling. A fresh PostgreSQL database, migrated; ``--businesses`` registered businesses
    spread over every ward of the country, a registry of operating businesses, and invoices fed to
    the aggregates the way issuance feeds them (``aggregates.fold`` over the changes
    ``record_invoice_issued`` records, 5,000 per transaction), not by signing a million invoices.
    The first ``--small`` invoices include each business's first one; the rest fall on random days
    after it. The province query (``GET /v1/adoption/provinces``: every province and the national
    total, as the service computes it) is timed ``--queries`` times after ``--small`` invoices and
    again after ``--large``; printed: p50/p95 for a month, a year, an arbitrary day range and
    "since the beginning", and the ratio large/small (goal for the month: at most 1.2). Businesses,
    registry, first documents and periods are the same in both measurements; only the number of
    invoices changes.
(b) Registry import. A generated CSV of ``--registry-rows`` rows (and one of a tenth of that), each
    imported into a fresh database by ``hoadon``'s import in a spawned process: rows/s, and peak
    memory — the importing process's peak RSS (VmHWM; ru_maxrss would include the parent's, as
    Linux keeps it across exec), and the peak of Python allocations traced by tracemalloc in a
    third run (the second imports the same file again: every row unchanged). Equal peaks for 100k and 1M rows show the import runs in constant memory.

Everything runs on 127.0.0.1; the databases are dropped at the end. Timings are reported, never
asserted.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if not __package__:
    # As a script, bench/ comes first on sys.path and bench/pdf.py would shadow the pdf package.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench import _harness as harness

GOAL = 1.2
YEAR = 2026
SEED = 20261128


def _tax_codes(count: int, *, prefix: str) -> list[str]:
    from stdnum.vn import mst

    codes: list[str] = []
    serial = 0
    while len(codes) < count:
        serial += 1
        body = f"{prefix}{serial:07d}"
        check = mst.calc_check_digit(body)
        if check != "10":
            codes.append(body + check)
    return codes


def _wards() -> list[tuple[str, str]]:
    from invoicing.localities import service as localities

    return [
        (province.code, ward.code)
        for province in localities.list_provinces()
        for ward in localities.list_wards(province.code)
    ]


# --- (a) query scaling ------------------------------------------------------------------------


LAST_DAY = date(YEAR, 11, 30)


def _seed_businesses(database: Any, *, businesses: int, rng: random.Random) -> list[Any]:
    """Registrations and the registry, through the same changes the hooks and imports record.

    Returns one template per business whose ``issue_date`` is the day of its first invoice
    (0–90 days after acceptance), so the first documents are the same at every size.
    """
    from invoicing.adoption.aggregates import BusinessChange, DocumentChange, fold

    wards = _wards()
    places = [rng.choice(wards) for _ in range(businesses)]
    codes = _tax_codes(businesses, prefix="03")
    start = date(YEAR, 1, 1)
    changes: list[BusinessChange] = []
    firsts: list[DocumentChange] = []
    for code, (province, ward) in zip(codes, places, strict=True):
        accepted_on = start + timedelta(days=rng.randrange(0, 240))
        changes.append(
            BusinessChange(province, ward, accepted_on, (("submitted", 1), ("accepted", 1), ("claimed", 1)))
        )
        first = min(accepted_on + timedelta(days=rng.randrange(0, 91)), LAST_DAY)
        firsts.append(DocumentChange(code, province, ward, accepted_on, first, "invoice"))
    # The registry: every registered business plus four times as many that are not.
    operating: dict[tuple[str, str], int] = {}
    for province, ward in places + [rng.choice(wards) for _ in range(4 * businesses)]:
        operating[(province, ward)] = operating.get((province, ward), 0) + 1
    changes.extend(BusinessChange(p, w, start, (("active", n),)) for (p, w), n in operating.items())
    with database.transaction() as session:
        fold(session, list(changes))
    return firsts


def _add_invoices(
    database: Any, firsts: list[Any], *, count: int, rng: random.Random, with_firsts: bool = False
) -> float:
    """``count`` invoices: each business's first one (``with_firsts``), then random later ones."""
    from dataclasses import replace

    from invoicing.adoption.aggregates import SLOTS, fold

    began = time.perf_counter()
    batch: list[Any] = []
    # Live issuance commits one invoice at a time, each into a random slot, so even 10,000
    # invoices fill every slot of a busy key; so do these bulk transactions, in turn.
    per_transaction = max(1, min(5000, -(-count // SLOTS)))
    flushed = 0

    def flush() -> None:
        nonlocal flushed
        with database.transaction() as session:
            fold(session, batch, slot=flushed % SLOTS)
        flushed += 1
        batch.clear()

    planned = (
        [replace(first, issued=1, amount=rng.randrange(100_000, 50_000_000)) for first in firsts]
        if with_firsts
        else []
    )
    for index in range(count):
        if index < len(planned):
            batch.append(planned[index])
        else:
            first = rng.choice(firsts)
            issued = first.issue_date + timedelta(
                days=rng.randrange(0, (LAST_DAY - first.issue_date).days + 1)
            )
            batch.append(
                replace(first, issue_date=issued, issued=1, amount=rng.randrange(100_000, 50_000_000))
            )
        if len(batch) == per_transaction:
            flush()
    if batch:
        flush()
    return time.perf_counter() - began


WINDOWS = {
    "month (period=2026-06)": {"period": "2026-06"},
    "year (period=2026)": {"period": "2026"},
    "day range (from=2026-05-17&to=2026-07-09)": {"start": "2026-05-17", "end": "2026-07-09"},
    "since the beginning (as_of=2026-12-31)": {"as_of": "2026-12-31"},
}


def _time_queries(database: Any, *, runs: int) -> dict[str, list[float]]:
    from invoicing.adoption import service
    from invoicing.auth.principals import OfficialPrincipal

    national = OfficialPrincipal(official_id=uuid.uuid4(), name="bench", province_code=None)
    timings: dict[str, list[float]] = {}
    for label, params in WINDOWS.items():
        window = service.statistics_window(
            period=params.get("period"),
            start=params.get("start"),
            end=params.get("end"),
            as_of=params.get("as_of"),
        )
        samples = []
        for run in range(runs + 5):
            with database.transaction() as session:
                began = time.perf_counter()
                found = service.province_statistics(session, national, window=window)
                took = time.perf_counter() - began
            assert len(found.rows) == 34
            if run >= 5:  # warm-up
                samples.append(took)
        timings[label] = samples
    return timings


def _analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as connection:
        connection.execute("VACUUM ANALYZE")


def bench_queries(*, businesses: int, small: int, large: int, runs: int) -> None:
    from invoicing.db import Database, create_db_engine
    from invoicing.migrations import upgrade_to_head

    rng = random.Random(SEED)
    with harness.fresh_database("hoadon_bench_adoption") as fresh:
        upgrade_to_head(fresh.url)
        engine = create_db_engine(fresh.url, pool_size=2)
        database = Database(engine)
        try:
            if small < businesses:
                raise SystemExit("--small must be at least --businesses: every business issues once")
            templates = _seed_businesses(database, businesses=businesses, rng=rng)
            loaded = _add_invoices(database, templates, count=small, rng=rng, with_firsts=True)
            _analyze(fresh.url)
            at_small = _time_queries(database, runs=runs)
            loaded += _add_invoices(database, templates, count=large - small, rng=rng)
            _analyze(fresh.url)
            at_large = _time_queries(database, runs=runs)
            rows = []
            for label in WINDOWS:
                p50_small = harness.percentile(at_small[label], 50) * 1000
                p50_large = harness.percentile(at_large[label], 50) * 1000
                rows.append(
                    (
                        label,
                        p50_small,
                        harness.percentile(at_small[label], 95) * 1000,
                        p50_large,
                        harness.percentile(at_large[label], 95) * 1000,
                        p50_large / p50_small,
                    )
                )
            harness.print_table(
                ("province query", f"p50 ms @{small:,}", "p95 ms", f"p50 ms @{large:,}", "p95 ms", "ratio"),
                rows,
                title=f"(a) province statistics, {businesses:,} businesses, {large:,} invoices fed in "
                f"{loaded:.0f} s ({large / loaded:,.0f} invoices/s through the fold)",
            )
            month = rows[0][5]
            verdict = "met" if month <= GOAL else "NOT met"
            print(f"goal: month query p50 ratio {month:.2f} ≤ {GOAL} — {verdict}")
        finally:
            engine.dispose()


# --- (b) registry import ----------------------------------------------------------------------


def write_registry(path: Path, rows: int) -> None:
    rng = random.Random(SEED)
    wards = _wards()
    statuses = ["operating"] * 17 + ["suspended", "closed", "closed"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("tax_code", "name", "province_code", "ward_code", "status"))
        for index, code in enumerate(_tax_codes(rows, prefix="01")):
            province, ward = rng.choice(wards)
            writer.writerow(
                (code, f"Công ty TNHH Thương mại Dịch vụ số {index}", province, ward, rng.choice(statuses))
            )


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that across exec,
    so a spawned child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def import_once(url: str, path: str, traced: bool) -> dict[str, Any]:
    """In a spawned process: import ``path`` into ``url``; rate and memory."""
    from invoicing.adoption import service
    from invoicing.adoption.registry import _current_provinces
    from invoicing.db import Database, create_db_engine
    from invoicing.localities import service as localities
    from invoicing.taxcodes import normalize_tax_code

    engine = create_db_engine(url, pool_size=1)
    database = Database(engine)
    # Load the locality tables and the validators first: tracemalloc should see the import alone.
    _current_provinces()
    localities.check_locality(province_code="01", ward_code="00004")
    normalize_tax_code("0100233488")
    baseline = _peak_rss_mb()
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    with open(path, "rb") as stream, database.transaction() as session:
        outcome = service.import_registry_file(
            session, None, stream=stream, filename=Path(path).name, cli_user="bench"
        )
        counts = (
            outcome.record.rows,
            outcome.record.inserted,
            outcome.record.unchanged,
            outcome.record.rejected,
        )
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    engine.dispose()
    return {
        "seconds": elapsed,
        "counts": counts,
        "peak_mb": _peak_rss_mb(),
        "baseline_mb": baseline,
        "traced_peak_mb": peak / 2**20 if peak is not None else None,
    }


def bench_registry(*, rows: int) -> None:
    from invoicing.migrations import upgrade_to_head

    results = []
    with tempfile.TemporaryDirectory(prefix="hoadon-bench-registry-") as directory:
        for size in (rows // 10, rows):
            path = Path(directory) / f"registry-{size}.csv"
            write_registry(path, size)
            megabytes = path.stat().st_size / 2**20
            for traced, again in ((False, False), (False, True), (True, False)):
                with harness.fresh_database("hoadon_bench_registry") as fresh:
                    upgrade_to_head(fresh.url)
                    if again:
                        harness.run_in_subprocess(import_once, fresh.url, str(path), False, timeout=3600)
                    result = harness.run_in_subprocess(
                        import_once, fresh.url, str(path), traced, timeout=3600
                    )
                run = "re-import (all unchanged)" if again else ("tracemalloc" if traced else "first import")
                results.append(
                    (
                        f"{size:,} rows ({megabytes:.0f} MB)",
                        run,
                        result["seconds"],
                        result["counts"][0] / result["seconds"],
                        result["peak_mb"],
                        result["peak_mb"] - result["baseline_mb"],
                        result["traced_peak_mb"],
                    )
                )
    harness.print_table(
        ("file", "run", "seconds", "rows/s", "peak RSS MB", "growth MB", "traced peak MB"),
        results,
        title="(b) registry import (one transaction; PostgreSQL on 127.0.0.1)",
    )
    print("peak RSS: VmHWM of the importing process; growth: its peak after the import minus before it")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--businesses", type=int, default=5_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="timed runs per query and size")
    parser.add_argument("--registry-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--skip-registry", action="store_true")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)  # alembic's per-migration lines
    print(
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine busy before start: {harness.background_busy():.0%}"
    )
    if not arguments.skip_queries:
        bench_queries(
            businesses=arguments.businesses,
            small=arguments.small,
            large=arguments.large,
            runs=arguments.queries,
        )
    if not arguments.skip_registry:
        bench_registry(rows=arguments.registry_rows)


if __name__ == "__main__":
    main()
