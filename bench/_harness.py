"""Shared pieces for hoadon's benchmarks.

Everything here runs against 127.0.0.1 only and cleans up after itself:

- :func:`fresh_database`: a throw-away PostgreSQL database, dropped ``WITH (FORCE)`` on exit.
- :func:`fresh_redis_database`: an empty Redis database index, flushed on exit.
- :func:`serve`: ``hoadon migrate`` + ``hoadon officials create`` + ``hoadon serve`` on a free port,
  waited for on ``/readyz``, stopped (its own process group, SIGTERM then SIGKILL) on exit.
- :func:`run_in_subprocess`: run a top-level function in a fresh (spawned) interpreter and return its
  result, e.g. a measurement pinned to one core.
- :func:`closed_loop`: C client threads issuing requests back to back, bounded in count and time,
  run inside a :class:`LoadProcess`.
- :class:`CpuMeter`: CPU seconds spent by groups of processes (server, PostgreSQL, load generator) and
  by the whole machine over a measured window, read from ``/proc``.
- :func:`profile_pid`: a py-spy profile of one process, when py-spy is installed.
- :func:`percentile`, :func:`print_table`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOADON = (
    str(VENV_BIN / "hoadon") if (VENV_BIN / "hoadon").exists() else str(REPO / ".venv" / "bin" / "hoadon")
)
LOCALHOST = "127.0.0.1"
ADMIN_DATABASE_URL = f"postgresql+psycopg://postgres@{LOCALHOST}:5432/test"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


# --- numbers and tables -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str = "") -> None:
    """Print rows under headers, numbers right-aligned, columns as wide as their widest cell."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] in ("", "-", None) for row in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    if title:
        print(f"\n{title}")
    print(line(list(headers)))
    print(line(["-" * width for width in widths]))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def run_in_subprocess(function: Callable[..., T], *args: Any, timeout: float = 600) -> T:
    """Call a top-level, importable ``function(*args)`` in a freshly spawned interpreter.

    Spawned rather than forked: no threads, sockets or imported state are inherited, so the child
    measures only what it does itself. The result must be picklable.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1) as pool:
        return pool.apply_async(function, args).get(timeout=timeout)


def pin_to_core(core: int = 0) -> None:
    """Restrict the calling process to one CPU."""
    os.sched_setaffinity(0, {core})


def descendants(pid: int) -> list[int]:
    """Pids of every live descendant of ``pid`` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read_stat(int(entry.name))
        if stat is not None:
            children.setdefault(stat[1], []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _read_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, cpu seconds) from /proc/<pid>/stat, or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    stat = _read_stat(pid)
    return 0.0 if stat is None else stat[2]


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first[:8]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values)
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def background_busy(seconds: float = 1.0) -> float:
    """Share (0..1) of the machine's CPU capacity busy over ``seconds`` while we do nothing.

    Benchmarks print it first: another process using a core (a test run, a build) lowers every
    number measured afterwards, and ratios against an in-run baseline only partly cancel it.
    """
    busy, total = machine_cpu_seconds()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_seconds()
    return (busy_after - busy) / max(total_after - total, 1e-9)


@dataclass
class CpuMeter:
    """CPU seconds spent by named groups of processes between :meth:`start` and :meth:`stop`.

    ``groups`` maps a name to a callable returning the group's pids at the time of the call; it is
    called at both ends, and a process that appears only at the end counts from zero (it started
    inside the window).
    """

    groups: dict[str, Callable[[], Sequence[int]]]
    _before: dict[int, float] = field(default_factory=dict)
    _machine_before: tuple[float, float] = (0.0, 0.0)
    _started: float = 0.0

    def start(self) -> None:
        self._before = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids()}
        self._machine_before = machine_cpu_seconds()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """CPU seconds per group, plus ``machine busy``, ``machine capacity`` and ``wall``."""
        spent: dict[str, float] = {}
        for name, pids in self.groups.items():
            spent[name] = sum(max(cpu_seconds(pid) - self._before.get(pid, 0.0), 0.0) for pid in set(pids()))
        busy, total = machine_cpu_seconds()
        spent["machine busy"] = busy - self._machine_before[0]
        spent["machine capacity"] = total - self._machine_before[1]
        spent["wall"] = time.perf_counter() - self._started
        return spent


def postgres_pids(database: str, admin_url: str = ADMIN_DATABASE_URL) -> list[int]:
    """Backends connected to ``database`` plus the cluster's WAL writer, checkpointer and bgwriter."""
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR backend_type IN "
            "('walwriter', 'checkpointer', 'background writer')",
            (database,),
        ).fetchall()
    return [int(row[0]) for row in rows]


# --- PostgreSQL ---------------------------------------------------------------------------------


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass(frozen=True)
class FreshDatabase:
    name: str
    url: str
    """SQLAlchemy URL of the new database (``postgresql+psycopg://...``)."""


@contextlib.contextmanager
def fresh_database(
    prefix: str = "hoadon_bench", admin_url: str = ADMIN_DATABASE_URL
) -> Iterator[FreshDatabase]:
    """Create an empty database next to ``admin_url``'s and drop it ``WITH (FORCE)`` on the way out."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield FreshDatabase(name=name, url=f"{base}/{name}")
    finally:
        with psycopg.connect(_libpq_url(admin_url), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- Redis -------------------------------------------------------------------------------------

REDIS_URL = f"redis://{LOCALHOST}:6379"
_CLAIM_KEY = "hoadon-bench:claimed"


@contextlib.contextmanager
def fresh_redis_database(base_url: str = REDIS_URL, indexes: Sequence[int] = range(1, 13)) -> Iterator[str]:
    """An empty Redis database index (not 0, nor 13-15 which the test workers use), flushed on the way out.

    The index is claimed with a marker key set only while it is empty, so two benchmarks never share
    one, and nothing outside the claimed index is touched. Yields its URL (``redis://.../7``).
    """
    import redis

    claim_script = (
        "if redis.call('DBSIZE') == 0 then return redis.call('SET', KEYS[1], ARGV[1]) end return nil"
    )
    for index in indexes:
        client = redis.Redis.from_url(f"{base_url}/{index}", socket_timeout=5)
        try:
            if client.eval(claim_script, 1, _CLAIM_KEY, str(os.getpid())) is None:
                continue
        except BaseException:
            client.close()
            raise
        try:
            yield f"{base_url}/{index}"
        finally:
            client.flushdb()
            client.close()
        return
    raise RuntimeError(f"no empty Redis database among {list(indexes)} at {base_url}")


def redis_available(base_url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(base_url, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    official_token: str
    data_dir: Path
    log_path: Path
    env: dict[str, str]

    def pids(self) -> list[int]:
        """The ``hoadon serve`` process and all its descendants (the uvicorn workers)."""
        if self.process.poll() is not None:
            return []
        return [self.process.pid, *descendants(self.process.pid)]

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: descendants of ``hoadon serve`` that run Python code.

        uvicorn's multiprocessing workers are the direct children; multiprocessing's resource tracker,
        if any, is excluded by its command line.
        """
        workers = []
        for pid in descendants(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in cmdline:
                workers.append(pid)
        return workers

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def hoadon_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOADON_")}
    env.update(
        HOADON_DATABASE_URL=database_url,
        HOADON_DATA_DIR=str(data_dir),
        HOADON_SECRET_KEY=secrets.token_urlsafe(36),  # 48 characters
        HOADON_HOST=LOCALHOST,
    )
    env.update(extra)
    return env


def hoadon(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run the ``hoadon`` CLI; return its stdout, raise with its output when it fails."""
    done = subprocess.run(
        [HOADON, *args], env=env, capture_output=True, timeout=timeout, cwd=REPO, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"hoadon {' '.join(args)} exited {done.returncode}:\n"
            f"{done.stdout.decode(errors='replace')}\n{done.stderr.decode(errors='replace')}"
        )
    return done.stdout.decode()


@contextlib.contextmanager
def serve(
    database_url: str, *, workers: int = 2, ready_timeout: float = 60, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Migrate ``database_url``, create a national official, serve on a free port until the block ends.

    The server runs in its own session (process group), so stopping it reaches its workers too; it is
    sent SIGTERM, then SIGKILL after 15 s. The data directory is a temporary one, removed afterwards.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="hoadon-bench-"))
    env = hoadon_env(database_url, data_dir, **(extra_env or {}))
    log_path = data_dir / "serve.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        hoadon("migrate", env=env)
        official_token = (
            hoadon("officials", "create", "--name", "bench", "--national", env=env).strip().splitlines()[-1]
        )
        port = free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [HOADON, "serve", "--host", LOCALHOST, "--port", str(port), "--workers", str(workers)],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(
            base_url=f"http://{LOCALHOST}:{port}",
            process=process,
            official_token=official_token,
            data_dir=data_dir,
            log_path=log_path,
            env=env,
        )
        _wait_ready(server, workers=workers, timeout=ready_timeout)
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_ready(server: Server, *, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, timeout=2) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"hoadon serve exited {server.process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/readyz").status_code == 200 and len(server.worker_pids()) >= workers:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"hoadon serve not ready after {timeout:.0f} s:\n{server.log_tail()}")
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's own process group (its session, started by us): SIGTERM, then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    # Workers that outlived their parent are still in its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --- load ---------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What a closed loop measured: latency of each successful request, outcomes, units of work."""

    latencies: list[float] = field(default_factory=list)
    """Seconds per successful request."""
    units: int = 0
    """Units of work done by successful requests (invoices issued: 1 per request, or per batch)."""
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    """The first few error descriptions, for the report."""
    elapsed: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time of the load generator process itself during the window."""

    def add(self, other: LoadResult) -> None:
        self.latencies.extend(other.latencies)
        self.units += other.units
        self.statuses.update(other.statuses)
        self.errors.extend(other.errors[: max(0, 5 - len(self.errors))])


RequestFn = Callable[[httpx.Client, int], tuple[str, int, str | None]]
"""``request(client, client_index) -> (status label, units done, error text or None)``."""


def closed_loop(
    *,
    base_url: str,
    clients: int,
    request: RequestFn,
    seconds: float,
    max_requests: int,
    warmup: float = 0.0,
    on_measure: Callable[[], object] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> LoadResult:
    """``clients`` threads, each with a keep-alive ``httpx.Client``, sending requests back to back.

    Each thread first sends requests for ``warmup`` seconds (not recorded); all threads then meet,
    ``on_measure()`` is called once, and the measured window begins on the same connections. It stops
    by itself once ``seconds`` have passed or ``max_requests`` measured requests have started. Latency
    is recorded for successful requests only; every outcome is counted in ``statuses``.
    """
    budget = iter(range(max_requests))
    budget_lock = threading.Lock()
    results = [LoadResult() for _ in range(clients)]
    window: dict[str, float] = {}

    def begin_window() -> None:
        if on_measure is not None:
            on_measure()
        window["cpu"] = time.process_time()
        window["began"] = time.perf_counter()
        window["deadline"] = window["began"] + seconds

    barrier = threading.Barrier(clients, action=begin_window)

    def one(client: httpx.Client, index: int) -> tuple[str, int, str | None, float]:
        began = time.perf_counter()
        try:
            label, units, error = request(client, index)
        except Exception as exc:  # a transport error or an unreadable answer fails this request only
            label, units, error = type(exc).__name__, 0, str(exc) or repr(exc)
        return label, units, error, time.perf_counter() - began

    def loop(index: int) -> None:
        result = results[index]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout, limits=limits) as client:
            warm_until = time.perf_counter() + warmup
            while time.perf_counter() < warm_until:
                one(client, index)
            barrier.wait(timeout=warmup + timeout + 30)
            while time.perf_counter() < window["deadline"]:
                with budget_lock:
                    if next(budget, None) is None:
                        return
                label, units, error, took = one(client, index)
                result.statuses[label] += 1
                if error is None:
                    result.latencies.append(took)
                    result.units += units
                elif len(result.errors) < 5:
                    result.errors.append(f"{label}: {error[:300]}")

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=warmup + seconds + 2 * timeout + 30)
    total = LoadResult(
        elapsed=time.perf_counter() - window.get("began", time.perf_counter()),
        cpu_seconds=time.process_time() - window.get("cpu", time.process_time()),
    )
    for result in results:
        total.add(result)
    return total


class LoadProcess:
    """A load generator in its own spawned process, so it never shares a GIL with what it measures.

    ``entry(connection, *args)`` must be a top-level function that sends ``MEASURING`` over the pipe
    when its measured window begins (after its warm-up) and then its result. The parent starts its
    meters on :meth:`wait_measuring` and collects the result with :meth:`result`; leaving the
    ``with`` block joins the process, terminating it if it overstays.
    """

    MEASURING = "measuring"

    def __init__(self, entry: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        self._process = context.Process(target=entry, args=(child, *args), daemon=True)

    def __enter__(self) -> LoadProcess:
        self._process.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._parent.close()

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    def wait_measuring(self, timeout: float) -> None:
        message = self._receive(timeout, "start measuring")
        if message != self.MEASURING:
            raise RuntimeError(f"load generator: expected {self.MEASURING!r}, got {message!r}")

    def result(self, timeout: float) -> Any:
        return self._receive(timeout, "finish")

    def _receive(self, timeout: float, what: str) -> Any:
        if not self._parent.poll(timeout):
            raise RuntimeError(f"the load generator did not {what} within {timeout:.0f} s")
        try:
            return self._parent.recv()
        except EOFError:
            raise RuntimeError(f"the load generator exited (code {self._process.exitcode})") from None


# --- profiling ----------------------------------------------------------------------------------


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter or on PATH, if installed."""
    local = VENV_BIN / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def profile_pid(pid: int, *, seconds: float, output: Path, rate: int = 200) -> subprocess.Popen[bytes] | None:
    """Start ``py-spy record`` on ``pid`` for ``seconds`` in the background (raw collapsed stacks).

    py-spy drops idle threads itself, but a thread blocked inside a C call is still sampled as
    active: psycopg waiting on its socket, and any thread taking the GIL back after a call that
    released it (libpq sends, with several request threads, mostly wait there). Pass such leaves as
    ``waiting`` to :func:`summarize_collapsed`. (``--gil`` would be the cure, but py-spy 0.4 takes
    very few samples with it in non-blocking mode and crashes without that mode.)

    Returns the py-spy process to wait for, or None when py-spy is not installed.
    """
    executable = py_spy()
    if executable is None:
        return None
    return subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@dataclass(frozen=True)
class ProfileSummary:
    areas: list[tuple[str, float]]
    """(bucket label, share of working samples), largest first."""
    hottest: list[tuple[str, float]]
    """(innermost frame, share of working samples), largest first."""
    waiting: float
    """Share of all samples whose innermost frame is a known wait (excluded from the shares above)."""
    samples: int


def summarize_collapsed(
    path: Path,
    *,
    buckets: Sequence[tuple[str, Sequence[str]]],
    waiting: Sequence[str] = (),
    top: int = 15,
) -> ProfileSummary:
    """Read py-spy's raw (collapsed) output: shares by bucket, and the top self-time functions.

    A stack whose innermost frame contains one of ``waiting`` counts as waiting, not working. A
    working stack counts toward the first bucket (label, substrings) whose substrings occur in one
    of its frames, searched from the innermost frame outwards, so a bucket of a callee wins over
    its callers; "other" otherwise.
    """
    samples: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = waited = 0
    for raw in path.read_text().splitlines():
        stack, _, count_text = raw.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if any(needle in frames[-1] for needle in waiting):
            waited += count
            continue
        total += count
        self_time[_short_frame(frames[-1])] += count
        label = "other"
        for frame in reversed(frames):
            found = next((name for name, needles in buckets if any(n in frame for n in needles)), None)
            if found is not None:
                label = found
                break
        samples[label] += count
    working = max(total, 1)
    return ProfileSummary(
        areas=[(label, count / working) for label, count in samples.most_common()],
        hottest=[(frame, count / working) for frame, count in self_time.most_common(top)],
        waiting=waited / max(total + waited, 1),
        samples=total + waited,
    )


def _short_frame(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py:123)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name
