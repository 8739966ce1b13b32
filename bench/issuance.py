"""Issuance benchmark: the signing ceiling on one core against the whole machine end to end.

    .venv/bin/python bench/issuance.py [--invoices N] [--seconds S] [--clients C] [--skip-e2e]

(a) The ceiling: the 5-line invoice below, calculated, built as authority XML, signed by the seller
    into DSCKS/NBan, given an authority code and counter-signed into DSCKS/CQT over [DLHDon, MCCQT],
    then serialised, in one process pinned to one core (a spawned subprocess). The table beside it
    shows what each step costs, including a plain RSA signature and signxml's own signer.
(b) The machine: ``hoadon serve --workers 2`` on a fresh PostgreSQL database, a business registered,
    accepted and given an API key, one series per client plus a shared one; then a load generator in a
    separate process (C threads, keep-alive httpx clients) issues through ``POST /v1/invoices`` and
    ``POST /v1/invoices/batch`` for a bounded time and count. Everything runs on this machine, loads go
    to 127.0.0.1 only, and the server and the database are removed at the end whatever happens.

    The PDF render job goes to a Redis queue of its own (an empty Redis database index, flushed at
    the end; no worker consumes it), as in production; ``--jobs inline`` measures the embedded
    default instead, where each request renders its PDF after the commit. ``GET /healthz`` under the
    same load is printed first: what the web stack alone costs on this machine.

Printed: invoices/s, p50/p99 latency, the ratio b/a against the ceiling measured in the same run (per
CPU second the ceiling's process got, so another program on the machine does not flatter b/a), the
goals of the issue (single ≥ 0.8, batch ≥ 1.2 on two cores), and where the CPU went per invoice (API
workers, PostgreSQL, load generator, anything else on the machine), read from /proc. ``--profile
DIR`` also records one API worker per scenario with py-spy (``pip install py-spy``) and prints a
summary by area. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

if not __package__:
    # Run as a script, Python puts bench/ first on sys.path, where bench/pdf.py would shadow the pdf
    # package that invoicing imports. Put the repository there instead (also for spawned children).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench import _harness as harness

GOALS = {"single": 0.8, "batch": 1.2}
KINDS = ("web", "single", "batch")
SELLER_NAME = "Công ty TNHH Bench"
SELLER_ADDRESS = "Số 1 Phố Ví Dụ, Hà Nội"
BUYER = {"tax_code": "0100233488", "name": "Công ty CP Mua", "address": "Số 2 Đường Ví Dụ, TP HCM"}
LINES: list[dict[str, str]] = [
    {"name": "Máy in laser", "unit": "Cái", "quantity": "2", "unit_price": "1500000", "vat_rate": "10%"},
    {"name": "Sách", "unit": "Quyển", "quantity": "1", "unit_price": "1000000", "vat_rate": "5%"},
    {"name": "Giấy in A4 Double A", "unit": "Ram", "quantity": "10", "unit_price": "65000", "vat_rate": "8%"},
    {"name": "Hộp mực in HP 26A", "unit": "Hộp", "quantity": "3", "unit_price": "1250000", "vat_rate": "10%"},
    {
        "name": "Dịch vụ bảo trì máy in",
        "unit": "Lần",
        "quantity": "1.5",
        "unit_price": "400000",
        "vat_rate": "8%",
    },
]
VN_TZ = timezone(timedelta(hours=7))


def today_vn() -> date:
    return datetime.now(VN_TZ).date()


# --- (a) the ceiling, in one process on one core ------------------------------------------------

STEPS = (
    ("calculate", "calculate + amount in words"),
    ("build", "build_invoice_xml (incl. rules check)"),
    ("seller", "seller signature (signing.sign)"),
    ("authority", "MCCQT + authority signature"),
    ("serialize", "serialize + SHA-256"),
)


def measure_ceiling(invoices: int, seconds: float) -> dict[str, Any]:
    """Issue up to ``invoices`` documents in-process (at most ``seconds``), pinned to core 0."""
    harness.pin_to_core(0)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from lxml import etree

    import signing
    from invoicing.invoices.calculation import LineInput, calculate
    from invoicing.invoices.vat import parse_vat_rate
    from invoicing.invoices.xml import (
        InvoiceDocument,
        Party,
        add_authority_code,
        authority_signature_slot,
        build_invoice_xml,
    )
    from invoicing.words import amount_in_words

    now = datetime.now(UTC)
    window = {"not_before": now - timedelta(days=1), "not_after": now + timedelta(days=365)}
    ca = signing.issue_certificate(common_name="Bench sandbox CA", is_ca=True, **window)
    seller_tax_code = make_tax_code()
    seller_signer = signing.issue_certificate(
        common_name=SELLER_NAME, tax_code=seller_tax_code, issuer=ca, **window
    )
    authority_signer = signing.issue_certificate(
        common_name="Tổng cục Thuế (bench)", tax_code="0100231226", **window
    )
    issued = today_vn()
    series = f"C{issued:%y}TAA"
    seller = Party(name=SELLER_NAME, tax_code=seller_tax_code, address=SELLER_ADDRESS, phone="0912345678")
    buyer = Party(name=BUYER["name"], tax_code=BUYER["tax_code"], address=BUYER["address"])

    def issue_one(number: int, marks: list[float] | None) -> bytes:
        began = time.perf_counter()
        lines = [
            LineInput(
                name=line["name"],
                unit=line["unit"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                discount_rate=None,
                vat_rate=parse_vat_rate(line["vat_rate"]),
            )
            for line in LINES
        ]
        calculation = calculate(lines=lines, currency="VND", with_vat=True)
        words = amount_in_words(calculation.total, currency="VND")
        invoice_id = uuid.uuid4()
        data_id = f"DLHDon-{invoice_id}"
        document = InvoiceDocument(
            data_id=data_id,
            format_version="2.0.1",
            title="Hóa đơn giá trị gia tăng",
            template="1",
            series=series,
            number=number,
            issue_date=issued,
            currency="VND",
            exchange_rate=None,
            payment_method="TM/CK",
            provider_tax_code=None,
            seller=seller,
            buyer=buyer,
            calculation=calculation,
            total_in_words=words,
        )
        calculated = time.perf_counter()
        root = build_invoice_xml(document)
        built = time.perf_counter()
        signed_at = datetime.now(UTC)
        seller_slot = root.find("DSCKS/NBan")
        assert seller_slot is not None
        signing.sign(
            root=root,
            signer=seller_signer,
            reference_ids=[data_id],
            into=seller_slot,
            signing_time=signed_at,
            signature_id=f"NBan-{invoice_id}",
        )
        seller_signed = time.perf_counter()
        code_id = f"MCCQT-{invoice_id}"
        add_authority_code(root, code=f"00{secrets.token_hex(16).upper()}", element_id=code_id)
        signing.sign(
            root=root,
            signer=authority_signer,
            reference_ids=[data_id, code_id],
            into=authority_signature_slot(root),
            signing_time=signed_at,
            signature_id=f"CQT-{invoice_id}",
        )
        authority_signed = time.perf_counter()
        stored = signing.serialize(root)
        hashlib.sha256(stored).hexdigest()
        done = time.perf_counter()
        if marks is not None:
            marks += [calculated, built, seller_signed, authority_signed, done]
            marks[:] = [after - before for before, after in zip([began, *marks[:-1]], marks, strict=True)]
        return stored

    for number in range(1, 51):  # warm-up: imports, regex and lxml caches, the allocator
        sample = issue_one(number, None)

    step_totals = [0.0] * len(STEPS)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    began_cpu = time.process_time()
    count = 0
    for number in range(51, 51 + invoices):
        marks: list[float] = []
        issue_one(number, marks)
        latencies.append(sum(marks))
        for index, value in enumerate(marks):
            step_totals[index] += value
        count += 1
        if time.perf_counter() > deadline:
            break
    elapsed = time.perf_counter() - began
    cpu_elapsed = time.process_time() - began_cpu

    # What signing alone costs (CPU time, like the ceiling): a bare RSA-2048 signature over
    # SignedInfo-sized bytes, and signxml's XMLSigner (enveloped, its textbook use) on the same document.
    signed_info_bytes = b"x" * 1200
    key = seller_signer.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    rsa_count = max(200, count)
    rsa_began = time.process_time()
    for _ in range(rsa_count):
        key.sign(signed_info_bytes, padding.PKCS1v15(), hashes.SHA256())
    rsa_seconds = (time.process_time() - rsa_began) / rsa_count

    import signxml

    unsigned = etree.fromstring(sample)
    for signatures in unsigned.iterfind("DSCKS/*"):
        for child in list(signatures):
            signatures.remove(child)
    mccqt = unsigned.find("MCCQT")
    assert mccqt is not None
    unsigned.remove(mccqt)
    xml_signer = signxml.XMLSigner(c14n_algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    signxml_count = max(100, count // 4)
    copies = [etree.fromstring(etree.tostring(unsigned)) for _ in range(signxml_count)]
    signxml_began = time.process_time()
    for copy in copies:
        xml_signer.sign(copy, key=key, cert=[seller_signer.certificate])
    signxml_seconds = (time.process_time() - signxml_began) / signxml_count

    # What the real authority adds on its side before it counter-signs: verifying the seller.
    verify_count = max(100, count // 4)
    parsed = signing.parse_xml(sample)
    seller_signature = parsed.find("DSCKS/NBan/{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert seller_signature is not None
    verify_began = time.process_time()
    for _ in range(verify_count):
        signing.verify(
            root=parsed, signature=seller_signature, expected_certificate=seller_signer.certificate
        )
    verify_seconds = (time.process_time() - verify_began) / verify_count

    return {
        "count": count,
        "elapsed": elapsed,
        "per_wall_second": count / elapsed,
        # The baseline: invoices per second of CPU actually given to this process, so that a core
        # shared with another program (a test run) does not lower the ceiling and flatter b/a.
        "per_second": count / cpu_elapsed,
        "cpu_elapsed": cpu_elapsed,
        "p50": harness.percentile(latencies, 50),
        "p99": harness.percentile(latencies, 99),
        "steps": {name: total / count for (name, _), total in zip(STEPS, step_totals, strict=True)},
        "rsa_sign": rsa_seconds,
        "signxml_sign": signxml_seconds,
        "verify": verify_seconds,
        "xml_bytes": len(sample),
        "cpu": os.sched_getaffinity(0),
    }


def make_tax_code() -> str:
    """A random valid 10-digit MST (stdnum's check digit; drawn again when that digit would be 10)."""
    from stdnum.vn import mst

    while True:
        body = f"0{secrets.randbelow(10**8):08d}"
        digit = mst.calc_check_digit(body)
        if len(digit) == 1 and mst.is_valid(body + digit):
            return body + digit


# --- (b) the machine, end to end ----------------------------------------------------------------


@dataclass(frozen=True)
class LoadSpec:
    """Everything the load generator process needs; plain data, so it pickles across spawn."""

    base_url: str
    api_key: str
    path: str
    bodies: list[bytes]
    """One prepared JSON body per client."""
    per_request: int
    """Invoices a fully successful request issues (1, or the batch size)."""
    clients: int
    warmup: float
    seconds: float
    max_requests: int


def _issue(spec: LoadSpec, client: httpx.Client, index: int) -> tuple[str, int, str | None]:
    if not spec.bodies:  # the web-stack baseline: a GET that touches neither the database nor signing
        response = client.get(spec.path)
        return str(response.status_code), 1, None if response.status_code == 200 else response.text
    response = client.post(spec.path, content=spec.bodies[index])
    label = str(response.status_code)
    if response.status_code not in (200, 201):
        return label, 0, response.text
    if spec.per_request == 1:
        return label, 1, None
    outcome = response.json()
    issued = outcome.get("issued") if isinstance(outcome, dict) else None
    if not isinstance(issued, int):
        return "unreadable batch", 0, response.text
    if issued < spec.per_request:
        failed = [item for item in outcome.get("data", []) if item.get("problem")]
        detail = json.dumps(failed[0]["problem"], ensure_ascii=False) if failed else response.text
        return f"{label} partial", issued, f"{spec.per_request - issued} items refused: {detail}"
    return label, issued, None


def load_generator(connection: Any, spec: LoadSpec) -> None:
    """Entry point of the load generator process: warm up, say "measuring", measure, send the result."""

    def request(client: httpx.Client, index: int) -> tuple[str, int, str | None]:
        return _issue(spec, client, index)

    result = harness.closed_loop(
        base_url=spec.base_url,
        clients=spec.clients,
        request=request,
        seconds=spec.seconds,
        max_requests=spec.max_requests,
        warmup=spec.warmup,
        headers={"Authorization": f"Bearer {spec.api_key}", "Content-Type": "application/json"},
        on_measure=lambda: connection.send(harness.LoadProcess.MEASURING),
    )
    connection.send(result)
    connection.close()


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # "web" (baseline, no invoices), "single" or "batch"
    series: list[str]
    """The series each client issues into (one per client, or the same for all)."""


@dataclass
class ScenarioResult:
    scenario: Scenario
    load: harness.LoadResult
    cpu: dict[str, float]
    profile: harness.ProfileSummary | None = None


def invoice_body(series: str, issued: date) -> dict[str, Any]:
    return {
        "series": series,
        "issue_date": issued.isoformat(),
        "currency": "VND",
        "payment_method": "TM/CK",
        "buyer": BUYER,
        "lines": LINES,
    }


def set_up_business(server: harness.Server, series_symbols: list[str]) -> str:
    """Register, accept, claim an API key, create the series; return the API key."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        registration = _ok(
            client.post(
                "/v1/registrations",
                json={
                    "tax_code": make_tax_code(),
                    "name": SELLER_NAME,
                    "address": SELLER_ADDRESS,
                    "province_code": "01",
                    "ward_code": "00004",
                    "representative": "Nguyễn Văn A",
                    "email": "a@vidu.vn",
                    "phone": "0912345678",
                    "invoice_kinds": ["vat_invoice", "sales_invoice"],
                    "with_authority_code": True,
                },
            )
        )
        official = {"Authorization": f"Bearer {server.official_token}"}
        _ok(client.post(f"/v1/registrations/{registration['id']}/accept", headers=official))
        credentials = _ok(
            client.post(
                f"/v1/registrations/{registration['id']}/credentials",
                headers={"X-Claim-Token": registration["claim_token"]},
            )
        )
        api_key = str(credentials["api_key"])
        for symbol in series_symbols:
            _ok(
                client.post(
                    "/v1/series",
                    json={"template": "1", "symbol": symbol},
                    headers={"Authorization": f"Bearer {api_key}"},
                )
            )
    return api_key


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201, 204):
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}: {response.text[:2000]}"
        )
    return response.json() if response.content else {}


def series_symbols(count: int, year: int) -> list[str]:
    """``count`` distinct symbols C<yy>T<XY>; AA is kept for the shared series."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pairs = [a + b for a in letters[1:] for b in letters]
    return [f"C{year % 100:02d}T{pair}" for pair in pairs[:count]]


PROFILE_BUCKETS: list[tuple[str, list[str]]] = [
    ("RSA / hashing (cryptography)", ["cryptography/", "_sign_bytes", "key.sign"]),
    ("XML c14n / serialise", ["signing/c14n.py", "_sha256_c14n", "tostring", "signing/parsing.py"]),
    ("signing.sign (rest)", ["signing/xmldsig.py"]),
    ("XML rules check", ["check_invoice_xml", "_check_element", "_check_leaf"]),
    ("XML build", ["invoicing/invoices/xml.py"]),
    ("calculation / words", ["invoicing/invoices/calculation.py", "invoicing/words.py", "num2words"]),
    ("certificate / keyring", ["invoicing/certificates/", "invoicing/keyring.py", "invoicing/secretbox.py"]),
    ("psycopg / PostgreSQL I/O", ["psycopg/", "psycopg_binary", "psycopg_pool"]),
    ("SQLAlchemy ORM / core", ["sqlalchemy/", "sqlmodel/"]),
    ("pydantic validation / serialisation", ["pydantic/", "pydantic_core"]),
    ("FastAPI / Starlette / anyio", ["fastapi/", "starlette/", "anyio/"]),
    ("uvicorn / asyncio / HTTP", ["uvicorn/", "asyncio/", "httptools", "uvloop"]),
    ("Redis / RQ (PDF job queue)", ["redis/", "rq/"]),
    ("logging", ["logging/"]),
    ("other hoadon code", ["invoicing/", "signing/", "pdf/"]),
]


# Innermost frames of a thread blocked in C rather than working: psycopg waiting for PostgreSQL, libpq
# sends (which release the GIL: with several request threads the time there is spent taking it back),
# thread-pool hand-offs waiting on a condition, uvloop's run loop (epoll, or its own C work), and
# redis-py reading from or writing to its socket.
PROFILE_WAITING = (
    "Connection.wait (",
    "_send_query_prepared (",
    "_send_prepare (",
    "_execute_send (",
    "_exec_command (",
    "Condition.wait (",
    "Event.wait (",
    "Runner.run (",
    "Thread.join (",
    "_read_from_socket (",
    "send_packed_command (",
)


def run_scenario(
    server: harness.Server,
    database: harness.FreshDatabase,
    api_key: str,
    scenario: Scenario,
    *,
    args: argparse.Namespace,
) -> ScenarioResult:
    issued = today_vn()
    seconds = args.seconds
    if scenario.kind == "web":
        path, per_request, bodies = "/healthz", 1, []
        seconds = min(seconds, 5)
    elif scenario.kind == "single":
        path, per_request = "/v1/invoices", 1
        bodies = [json.dumps(invoice_body(s, issued)).encode() for s in scenario.series]
    else:
        path, per_request = "/v1/invoices/batch", args.batch_size
        bodies = [
            json.dumps({"invoices": [invoice_body(s, issued)] * args.batch_size, "atomic": False}).encode()
            for s in scenario.series
        ]
    spec = LoadSpec(
        base_url=server.base_url,
        api_key=api_key,
        path=path,
        bodies=bodies,
        per_request=per_request,
        clients=len(scenario.series),
        warmup=min(args.warmup, seconds),
        seconds=seconds,
        max_requests=max(1, args.invoices // per_request),
    )

    profile_path = None
    spy = None
    with harness.LoadProcess(load_generator, spec) as loadgen:
        meter = harness.CpuMeter(
            {"api workers": server.pids, "postgres": lambda: harness.postgres_pids(database.name)}
        )
        loadgen.wait_measuring(timeout=spec.warmup + 120)
        meter.start()
        workers = server.worker_pids()
        if args.profile is not None and scenario.kind != "web" and workers:
            slug = "".join(c if c.isalnum() else "-" for c in scenario.name)
            profile_path = args.profile / f"{slug}.collapsed.txt"
            spy = harness.profile_pid(workers[0], seconds=max(1, seconds - 1), output=profile_path)
        load: harness.LoadResult = loadgen.result(timeout=seconds + 180)
        cpu = meter.stop()
        cpu["load generator"] = load.cpu_seconds  # measured by the load generator over its own window
    result = ScenarioResult(scenario=scenario, load=load, cpu=cpu)
    if spy is not None and profile_path is not None:
        _, errors = spy.communicate(timeout=60)
        if profile_path.exists():
            result.profile = harness.summarize_collapsed(
                profile_path, buckets=PROFILE_BUCKETS, waiting=PROFILE_WAITING
            )
        else:
            print(f"py-spy wrote nothing: {errors.decode(errors='replace')[:500]}", file=sys.stderr)
    return result


def measure_e2e(args: argparse.Namespace) -> list[ScenarioResult]:
    issued = today_vn()
    own = series_symbols(args.clients, issued.year)
    shared = f"C{issued:%y}TAA"
    scenarios = [
        Scenario("GET /healthz", "web", [""] * args.clients),
        Scenario(f"single, {args.clients} series", "single", [f"1{s}" for s in own]),
        Scenario("single, 1 series", "single", [f"1{shared}"] * args.clients),
        Scenario(f"batch {args.batch_size}, {args.clients} series", "batch", [f"1{s}" for s in own]),
        Scenario(f"batch {args.batch_size}, 1 series", "batch", [f"1{shared}"] * args.clients),
    ]
    scenarios = [s for s in scenarios if s.kind in args.kinds]
    results: list[ScenarioResult] = []
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(harness.fresh_database())
        # The limiter would stop the load at 600 requests a minute; what is measured here is issuance
        # (bench/load.py measures with the limits on).
        extra_env = {"HOADON_RATE_LIMITS_ENABLED": "false"}
        if args.jobs == "redis":
            # As in production: the PDF render job goes to a queue (no worker runs during the bench)
            # instead of running inline, inside the API request, after the commit.
            extra_env["HOADON_REDIS_URL"] = stack.enter_context(harness.fresh_redis_database())
        server = stack.enter_context(harness.serve(database.url, workers=2, extra_env=extra_env))
        print(
            f"server {server.base_url} (workers {server.worker_pids()}), database {database.name}, "
            f"jobs {args.jobs} {extra_env.get('HOADON_REDIS_URL', '')}",
            flush=True,
        )
        api_key = set_up_business(server, [shared, *own])
        print(f"business set up in {time.perf_counter() - started:.1f} s; {len(own) + 1} series", flush=True)
        for scenario in scenarios:
            result = run_scenario(server, database, api_key, scenario, args=args)
            results.append(result)
            load = result.load
            print(
                f"  {scenario.name}: {load.units / load.elapsed:.0f}/s, "
                f"{sum(load.statuses.values())} requests {dict(load.statuses)}",
                flush=True,
            )
            for error in load.errors[:2]:
                print(f"    e.g. {error}", flush=True)
    return results


# --- report -------------------------------------------------------------------------------------


def report(ceiling: dict[str, Any], results: list[ScenarioResult], args: argparse.Namespace) -> None:
    per_invoice = 1 / ceiling["per_second"]
    steps = ceiling["steps"]
    measured = sum(steps.values())  # wall time per invoice, step by step
    rows: list[list[object]] = [
        [label, steps[name] * 1e6, steps[name] / measured * 100] for name, label in STEPS
    ]
    rows.append(["= issue one invoice, wall", measured * 1e6, 100.0])
    rows.append(["= issue one invoice, CPU (a)", per_invoice * 1e6, None])
    rows.append(["for comparison: one RSA-2048 PKCS#1 signature", ceiling["rsa_sign"] * 1e6, None])
    rows.append(["for comparison: signxml XMLSigner, enveloped", ceiling["signxml_sign"] * 1e6, None])
    rows.append(["for comparison: verify seller (signing.verify)", ceiling["verify"] * 1e6, None])
    harness.print_table(
        ["(a) one core, in process", "µs/invoice", "% of wall"],
        rows,
        title=f"(a) ceiling: {ceiling['count']} invoices of 5 lines ({ceiling['xml_bytes']} bytes signed XML) "
        f"in {ceiling['elapsed']:.1f} s ({ceiling['cpu_elapsed']:.1f} s CPU) on CPU {sorted(ceiling['cpu'])}: "
        f"{ceiling['per_second']:.0f} per CPU second, {ceiling['per_wall_second']:.0f} per wall second",
    )

    table: list[list[object]] = [
        [
            "(a) ceiling, 1 core, in process (per CPU second)",
            ceiling["per_second"],
            ceiling["p50"] * 1e3,
            ceiling["p99"] * 1e3,
            0,
            1.0,
            "",
            "",
        ]
    ]
    for result in results:
        load = result.load
        rate = load.units / load.elapsed if load.elapsed else 0.0
        latency = [harness.percentile(load.latencies, 50) * 1e3, harness.percentile(load.latencies, 99) * 1e3]
        clients = len(result.scenario.series)
        failed = sum(count for label, count in load.statuses.items() if label not in ("200", "201"))
        if result.scenario.kind == "web":
            name = f"(b0) {result.scenario.name}, {clients} clients: requests/s, web stack only"
            table.append([name, rate, *latency, failed, None, "", ""])
            continue
        ratio = rate / ceiling["per_second"]
        goal = GOALS[result.scenario.kind]
        met = "yes" if ratio >= goal else "NO"
        name = f"(b) {result.scenario.name}, {clients} clients"
        table.append([name, rate, *latency, failed, ratio, f"≥ {goal}", met])
    harness.print_table(
        ["scenario", "invoices/s", "p50 ms", "p99 ms", "failed", "b/a", "goal", "met?"],
        table,
        title="issuance: (b) end to end (2 API workers + PostgreSQL + load generator, 2 cores) vs (a)"
        + ("" if results else "  [end to end skipped]"),
    )
    if results:
        print(
            f"latency of (b) batch rows is per request of {args.batch_size} invoices; failed counts requests"
        )
    for result in results:
        for error in result.load.errors[:1]:
            print(f"  {result.scenario.name}, first failure: {error}")

    cpu_rows: list[list[object]] = []
    cores = len(os.sched_getaffinity(0))
    for result in results:
        cpu, units = result.cpu, result.load.units
        if not units:
            continue
        known = cpu["api workers"] + cpu["postgres"] + cpu["load generator"]
        # What this machine could do if the bench had it to itself and CPU were the only limit.
        bound = cores / known * units if known else None
        is_web = result.scenario.kind == "web"
        cpu_rows.append(
            [
                result.scenario.name,
                cpu["api workers"] / units * 1e6,
                cpu["postgres"] / units * 1e6,
                cpu["load generator"] / units * 1e6,
                max(cpu["machine busy"] - known, 0.0) / units * 1e6,
                cpu["machine busy"] / cpu["machine capacity"] * 100 if cpu["machine capacity"] else None,
                bound,
                None if is_web or bound is None else bound / ceiling["per_second"],
            ]
        )
    if cpu_rows:
        harness.print_table(
            [
                "CPU µs per invoice (or request)",
                "API workers",
                "PostgreSQL",
                "load gen",
                "other",
                "busy %",
                "CPU bound/s",
                "bound b/a",
            ],
            cpu_rows,
            title=f"where the CPU went (a = {per_invoice * 1e6:.0f} µs per invoice on one core); other = "
            f"the rest of the machine (other programs); CPU bound = {cores} cores / (API + PostgreSQL + "
            "load gen), what an otherwise idle machine would reach if CPU were the only limit",
        )
    for result in results:
        summary = result.profile
        if summary is not None and summary.samples:
            harness.print_table(
                ["API worker, py-spy working samples by area", "%"],
                [[label, share * 100] for label, share in summary.areas],
                title=f"profile of one API worker: {result.scenario.name} ({summary.samples} samples, "
                f"{summary.waiting:.0%} blocked in PostgreSQL I/O, the GIL, locks or the event loop, left out)",
            )
            harness.print_table(
                ["hottest functions (self time)", "%"], [[f, s * 100] for f, s in summary.hottest[:12]]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--invoices", type=int, default=5000, help="invoices at most per measurement (default 5000)"
    )
    parser.add_argument(
        "--seconds", type=float, default=12, help="seconds at most per measurement (default 12)"
    )
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each e2e scenario")
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients of the load generator (default 8)"
    )
    parser.add_argument("--batch-size", type=int, default=50, help="invoices per batch request (default 50)")
    parser.add_argument(
        "--only", choices=KINDS, action="append", dest="kinds", help="run only these e2e scenarios"
    )
    parser.add_argument("--skip-e2e", action="store_true", help="measure the in-process ceiling only")
    parser.add_argument(
        "--jobs",
        choices=("redis", "inline"),
        help="redis (default when Redis answers on 127.0.0.1:6379): the PDF job is queued, as in production; "
        "inline: no Redis, the embedded default, where each request also renders the PDF",
    )
    parser.add_argument(
        "--profile", type=Path, help="record one API worker per scenario with py-spy into DIR"
    )
    args = parser.parse_args(argv)
    args.kinds = set(args.kinds or KINDS)
    if args.jobs is None:
        args.jobs = "redis" if harness.redis_available() else "inline"
    if not 1 <= args.clients <= 600:
        parser.error("--clients must be between 1 and 600")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        if harness.py_spy() is None:
            parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")

    began = time.perf_counter()
    idle_busy = harness.background_busy()
    print(
        f"machine: {os.cpu_count()} CPUs, {idle_busy:.0%} busy before the bench (other processes)", flush=True
    )
    if idle_busy > 0.1:
        print("  warning: something else is using the CPU; every number below is lower for it", flush=True)
    print(f"(a) ceiling: up to {args.invoices} invoices or {args.seconds:.0f} s on one core ...", flush=True)
    ceiling = harness.run_in_subprocess(measure_ceiling, args.invoices, args.seconds)
    print(f"  {ceiling['per_second']:.0f} invoices/s", flush=True)
    results: list[ScenarioResult] = []
    if not args.skip_e2e:
        print(
            f"(b) end to end: {args.clients} clients, up to {args.seconds:.0f} s per scenario ...", flush=True
        )
        results = measure_e2e(args)
    report(ceiling, results, args)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
