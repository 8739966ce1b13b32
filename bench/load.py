"""Load benchmark: the cluster on this machine under a bounded loopback load.

    .venv/bin/python bench/load.py [--seconds S] [--requests N] [--clients C] [--workers M]

The cluster: ``hoadon serve --workers 2`` (two API processes) and M ``hoadon worker`` processes
(default 2) that render PDFs from the Redis queue while the load runs, on a fresh PostgreSQL
database and an empty Redis database index, all removed at the end. Rate limits are on, counted in
Redis as in production, with limits far above this load. A load generator in a separate process (C
threads, keep-alive httpx clients, closed loop) runs each scenario for at most S seconds and N
requests, after a warm-up, against 127.0.0.1 only:

- issue, single: ``POST /v1/invoices``, one series per client;
- issue, batch: ``POST /v1/invoices/batch`` of 50, one series per client;
- read: ``GET /v1/invoices/{id}`` over invoices issued beforehand;
- list: ``GET /v1/invoices?limit=50``;
- verify: ``POST /v1/verify`` with a signed invoice XML (public: seller and authority signatures,
  certificate, authority code, stored copy, status).

Printed: requests/s (and invoices/s), p50/p95/p99 latency of successful requests, failures, CPU per
request by process group, the resident memory (RSS now, and its peak) of every process of the
cluster from /proc, the PDFs the workers rendered meanwhile, and the issuance goals' ratios: each
issuance scenario against the in-process signing ceiling of ``bench/issuance.py``, measured in the
same run. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

if not __package__:
    # As in bench/issuance.py: bench/pdf.py must not shadow the pdf package.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench import _harness as harness
from bench import issuance

BATCH_SIZE = 50
HIGH_LIMIT = "1000000/minute"
READ_KINDS = ("read", "list", "verify")


@dataclass(frozen=True)
class ReadSpec:
    """A read or verification scenario for :func:`read_generator`; plain data, it pickles across spawn."""

    base_url: str
    api_key: str
    kind: str
    ids: list[str]
    documents: list[bytes]
    clients: int
    warmup: float
    seconds: float
    max_requests: int


def _read(spec: ReadSpec, client: httpx.Client, index: int) -> tuple[str, int, str | None]:
    if spec.kind == "read":
        response = client.get(f"/v1/invoices/{random.choice(spec.ids)}")
    elif spec.kind == "list":
        response = client.get("/v1/invoices", params={"limit": 50})
    else:
        document = spec.documents[index % len(spec.documents)]
        response = client.post("/v1/verify", content=document, headers={"Content-Type": "application/xml"})
        if response.status_code == 200 and not response.json()["valid"]:
            return "200 invalid", 0, response.text
    label = str(response.status_code)
    return label, 1, None if response.status_code == 200 else response.text


def read_generator(connection: Any, spec: ReadSpec) -> None:
    """Entry point of the load generator process for reads (see harness.LoadProcess)."""
    result = harness.closed_loop(
        base_url=spec.base_url,
        clients=spec.clients,
        request=lambda client, index: _read(spec, client, index),
        seconds=spec.seconds,
        max_requests=spec.max_requests,
        warmup=spec.warmup,
        headers={"Authorization": f"Bearer {spec.api_key}"},
        on_measure=lambda: connection.send(harness.LoadProcess.MEASURING),
    )
    connection.send(result)
    connection.close()


# --- the cluster ---------------------------------------------------------------------------------


@dataclass
class Cluster:
    server: harness.Server
    database: harness.FreshDatabase
    redis_url: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.poll() is None]

    def redis_pid(self) -> int | None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.info("server")["process_id"])
        finally:
            client.close()

    def processes(self) -> dict[str, list[int]]:
        """Every process of the cluster by role (PostgreSQL: this database's backends and its
        shared writers)."""
        redis_pid = self.redis_pid()
        return {
            "API supervisor": [self.server.process.pid],
            "API process": self.server.worker_pids(),
            "hoadon worker": self.worker_pids(),
            "PostgreSQL": harness.postgres_pids(self.database.name),
            "Redis": [redis_pid] if redis_pid else [],
        }


@contextlib.contextmanager
def running_workers(
    env: dict[str, str], count: int, log_dir: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``hoadon worker`` processes, each in its own session, stopped like the server."""
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            with (log_dir / f"worker-{index}.log").open("wb") as log:
                workers.append(
                    subprocess.Popen(
                        [harness.HOADON, "worker"],
                        env=env,
                        cwd=harness.REPO,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        yield workers
    finally:
        for worker in workers:
            harness._stop(worker)


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc/<pid>/status; (0, 0) when it is gone."""
    values = {"VmRSS": 0, "VmHWM": 0}
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def rendition_counts(database: harness.FreshDatabase) -> dict[str, int]:
    url = database.url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute("SELECT status, count(*) FROM renditions GROUP BY status").fetchall()
    return {str(status): int(count) for status, count in rows}


# --- scenarios -----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    kind: str
    per_request: int
    load: harness.LoadResult
    cpu: dict[str, float]


def _measure(
    cluster: Cluster,
    name: str,
    kind: str,
    per_request: int,
    entry: Callable[..., None],
    spec: Any,
) -> Result:
    with harness.LoadProcess(entry, spec) as loadgen:
        groups: dict[str, Callable[[], Sequence[int]]] = {
            "API": cluster.server.pids,
            "workers": cluster.worker_pids,
            "PostgreSQL": lambda: harness.postgres_pids(cluster.database.name),
            "load generator": lambda: [loadgen.pid],
        }
        meter = harness.CpuMeter(groups)
        loadgen.wait_measuring(timeout=spec.warmup + 120)
        meter.start()
        load: harness.LoadResult = loadgen.result(timeout=spec.seconds + 180)
        cpu = meter.stop()
    rate = load.units / load.elapsed if load.elapsed else 0.0
    failed = sum(count for label, count in load.statuses.items() if label not in ("200", "201"))
    print(f"  {name}: {rate:.0f}/s, {sum(load.statuses.values())} requests, {failed} failed", flush=True)
    for error in load.errors[:2]:
        print(f"    e.g. {error}", flush=True)
    return Result(name=name, kind=kind, per_request=per_request, load=load, cpu=cpu)


def prepare_reads(
    server: harness.Server, api_key: str, series: str, count: int
) -> tuple[list[str], list[bytes]]:
    """Issue ``count`` invoices (in batches) to read, and fetch a few signed XMLs to verify."""
    issued = issuance.today_vn()
    ids: list[str] = []
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=server.base_url, timeout=120, headers=headers) as client:
        while len(ids) < count:
            size = min(BATCH_SIZE, count - len(ids))
            body = {"invoices": [issuance.invoice_body(series, issued)] * size, "atomic": True}
            response = client.post("/v1/invoices/batch", json=body)
            if response.status_code != 200:
                raise RuntimeError(f"batch -> {response.status_code}: {response.text[:1000]}")
            ids += [item["invoice"]["id"] for item in response.json()["data"]]
        documents = [client.get(f"/v1/invoices/{invoice_id}/xml").content for invoice_id in ids[:20]]
    return ids, documents


def run(args: argparse.Namespace, ceiling: dict[str, Any]) -> tuple[list[Result], dict[str, Any]]:
    issued = issuance.today_vn()
    own = issuance.series_symbols(args.clients, issued.year)
    reads_series = f"C{issued:%y}TAA"
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(harness.fresh_database(prefix="hoadon_load"))
        redis_url = stack.enter_context(harness.fresh_redis_database())
        extra_env = {
            "HOADON_REDIS_URL": redis_url,
            "HOADON_RATE_LIMIT_BUSINESS": HIGH_LIMIT,
            "HOADON_RATE_LIMIT_OFFICIAL": HIGH_LIMIT,
            "HOADON_RATE_LIMIT_PUBLIC": HIGH_LIMIT,
        }
        server = stack.enter_context(harness.serve(database.url, workers=2, extra_env=extra_env))
        workers = stack.enter_context(running_workers(server.env, args.workers, server.data_dir))
        cluster = Cluster(server=server, database=database, redis_url=redis_url, workers=workers)
        print(
            f"cluster: {server.base_url} (API processes {server.worker_pids()}), "
            f"{args.workers} hoadon worker(s) {cluster.worker_pids()}, database {database.name}, redis {redis_url}",
            flush=True,
        )
        api_key = issuance.set_up_business(server, [reads_series, *own])
        ids, documents = prepare_reads(server, api_key, f"1{reads_series}", args.read_pool)
        print(f"set up: {len(own) + 1} series, {len(ids)} invoices to read", flush=True)
        rendered_before = rendition_counts(database).get("rendered", 0)
        began = time.perf_counter()

        common = {"warmup": args.warmup, "seconds": args.seconds, "clients": args.clients}
        for kind, name, path, per_request in (
            ("single", "issue, single", "/v1/invoices", 1),
            ("batch", f"issue, batch {BATCH_SIZE}", "/v1/invoices/batch", BATCH_SIZE),
        ):
            if kind not in args.kinds:
                continue
            if per_request == 1:
                bodies = [json.dumps(issuance.invoice_body(f"1{s}", issued)).encode() for s in own]
            else:
                bodies = [
                    json.dumps(
                        {"invoices": [issuance.invoice_body(f"1{s}", issued)] * per_request, "atomic": False}
                    ).encode()
                    for s in own
                ]
            spec = issuance.LoadSpec(
                base_url=server.base_url,
                api_key=api_key,
                path=path,
                bodies=bodies,
                per_request=per_request,
                max_requests=max(1, args.requests // per_request),
                **common,
            )
            results.append(_measure(cluster, name, kind, per_request, issuance.load_generator, spec))
        for kind, name in (
            ("read", "read: GET /v1/invoices/{id}"),
            ("list", "list: GET /v1/invoices?limit=50"),
            ("verify", "verify: POST /v1/verify"),
        ):
            if kind not in args.kinds:
                continue
            read_spec = ReadSpec(
                base_url=server.base_url,
                api_key=api_key,
                kind=kind,
                ids=ids,
                documents=documents,
                max_requests=args.requests,
                **common,
            )
            results.append(_measure(cluster, name, kind, 1, read_generator, read_spec))

        elapsed = time.perf_counter() - began
        renditions = rendition_counts(database)
        memory = {
            role: [(pid, *memory_kib(pid)) for pid in pids] for role, pids in cluster.processes().items()
        }
    extra = {
        "memory": memory,
        "renditions": renditions,
        "rendered_during": renditions.get("rendered", 0) - rendered_before,
        "elapsed": elapsed,
        "ceiling": ceiling,
    }
    return results, extra


# --- report --------------------------------------------------------------------------------------


def report(results: list[Result], extra: dict[str, Any], args: argparse.Namespace) -> None:
    ceiling = extra["ceiling"]
    rows: list[list[object]] = []
    for result in results:
        load = result.load
        requests = sum(load.statuses.values())
        failed = sum(count for label, count in load.statuses.items() if label not in ("200", "201"))
        ok = load.latencies
        rate = len(ok) / load.elapsed if load.elapsed else 0.0
        units = load.units / load.elapsed if load.elapsed and result.kind in issuance.GOALS else None
        rows.append(
            [
                result.name,
                rate,
                units,
                *(harness.percentile(ok, p) * 1e3 for p in (50, 95, 99)),
                requests,
                failed,
            ]
        )
    harness.print_table(
        ["scenario", "requests/s", "invoices/s", "p50 ms", "p95 ms", "p99 ms", "requests", "failed"],
        rows,
        title=f"load: {args.clients} clients, closed loop, ≤ {args.seconds:.0f} s or ≤ {args.requests} "
        f"requests per scenario; cluster = 2 API processes + {args.workers} worker(s) + PostgreSQL + Redis "
        f"on {os.cpu_count()} cores",
    )

    goal_rows: list[list[object]] = [["(a) ceiling, 1 core, in process", ceiling["per_second"], None, "", ""]]
    for result in results:
        if result.kind not in issuance.GOALS:
            continue
        rate = result.load.units / result.load.elapsed if result.load.elapsed else 0.0
        ratio = rate / ceiling["per_second"]
        goal = issuance.GOALS[result.kind]
        goal_rows.append(
            [f"(b) {result.name}, cluster", rate, ratio, f"≥ {goal}", "yes" if ratio >= goal else "NO"]
        )
    if len(goal_rows) > 1:
        harness.print_table(
            ["issuance goals", "invoices/s", "b/a", "goal", "met?"],
            goal_rows,
            title="issuance vs the in-process signing ceiling (bench/issuance.py, same run)",
        )

    cpu_rows: list[list[object]] = []
    for result in results:
        done = len(result.load.latencies)
        if not done:
            continue
        cpu = result.cpu
        known = cpu["API"] + cpu["workers"] + cpu["PostgreSQL"] + cpu["load generator"]
        cpu_rows.append(
            [
                result.name,
                cpu["API"] / done * 1e3,
                cpu["workers"] / done * 1e3,
                cpu["PostgreSQL"] / done * 1e3,
                cpu["load generator"] / done * 1e3,
                max(cpu["machine busy"] - known, 0.0) / done * 1e3,
                cpu["machine busy"] / cpu["machine capacity"] * 100 if cpu["machine capacity"] else None,
            ]
        )
    if cpu_rows:
        harness.print_table(
            ["CPU ms per request", "API", "workers (PDF)", "PostgreSQL", "load gen", "other", "busy %"],
            cpu_rows,
            title="where the CPU went",
        )

    memory_rows: list[list[object]] = []
    for role, entries in extra["memory"].items():
        if len(entries) > 4:  # PostgreSQL: one row for all its processes
            memory_rows.append(
                [
                    f"{role} ({len(entries)} processes, sum)",
                    "",
                    sum(rss for _, rss, _ in entries) / 1024,
                    sum(peak for _, _, peak in entries) / 1024,
                ]
            )
            continue
        for pid, rss, peak in entries:
            memory_rows.append([role, pid, rss / 1024, peak / 1024])
    harness.print_table(
        ["process", "pid", "RSS MiB", "peak RSS MiB"],
        memory_rows,
        title="memory of the cluster's processes after the load (/proc/<pid>/status VmRSS, VmHWM; a sum "
        "counts shared memory once per process; Redis is the machine's shared server)",
    )
    renditions = extra["renditions"]
    print(
        f"\nPDFs rendered by the workers during the {extra['elapsed']:.0f} s of load: {extra['rendered_during']}; "
        f"left pending at the end: {renditions.get('pending', 0)}, failed: {renditions.get('failed', 0)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10, help="seconds at most per scenario (default 10)")
    parser.add_argument(
        "--requests", type=int, default=5000, help="requests (invoices for issuance) at most per scenario"
    )
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each scenario")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="hoadon worker processes (default 2)")
    parser.add_argument("--read-pool", type=int, default=200, help="invoices issued beforehand for the reads")
    parser.add_argument(
        "--only", choices=(*issuance.GOALS, *READ_KINDS), action="append", dest="kinds", help="run only these"
    )
    parser.add_argument("--ceiling-invoices", type=int, default=2000, help="invoices at most for the ceiling")
    args = parser.parse_args(argv)
    args.kinds = set(args.kinds or (*issuance.GOALS, *READ_KINDS))
    if not 1 <= args.clients <= 200:
        parser.error("--clients must be between 1 and 200")
    if not 0 <= args.workers <= 8:
        parser.error("--workers must be between 0 and 8")
    if not harness.redis_available():
        print(f"bench/load.py needs Redis at {harness.REDIS_URL} (the cluster's queue)", file=sys.stderr)
        return 2

    began = time.perf_counter()
    idle_busy = harness.background_busy()
    print(
        f"machine: {os.cpu_count()} CPUs, {idle_busy:.0%} busy before the bench (other processes)", flush=True
    )
    print(
        f"(a) ceiling: up to {args.ceiling_invoices} invoices or {args.seconds:.0f} s on one core ...",
        flush=True,
    )
    ceiling = harness.run_in_subprocess(issuance.measure_ceiling, args.ceiling_invoices, args.seconds)
    print(f"  {ceiling['per_second']:.0f} invoices per CPU second", flush=True)
    results, extra = run(args, ceiling)
    report(results, extra, args)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
