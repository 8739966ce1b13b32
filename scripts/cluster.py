"""`make cluster`: hoadon as a small cluster on this machine, until Ctrl-C.

    .venv/bin/python scripts/cluster.py [--api 2] [--workers 2] [--port 8000] [--separate]

Starts, against the local PostgreSQL (a database of its own, ``hoadon_cluster``, created if missing)
and the local Redis:

- 2 API processes. By default one ``hoadon serve --workers 2``: a single address, the two processes
  accept from the same socket (the kernel spreads connections), uvicorn's supervisor replaces one
  that dies. That is what one machine of a production cluster runs. ``--separate`` starts instead
  one ``hoadon serve`` per process on consecutive ports, as separate machines would run behind a
  load balancer; no balancer is started, so clients pick a port.
- 2 ``hoadon worker`` processes rendering PDFs from the Redis queue.

They share the data dir ``var/cluster`` (the generated secret key and the development authority
key: on one machine that is the shared configuration a real cluster gets from its environment).
Each start creates a national tax official and prints its token (shown once). Output of every
process is printed with its name; Ctrl-C (or SIGTERM) stops them all, SIGKILL after 15 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
import redis
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
HOADON = str(Path(sys.executable).parent / "hoadon")
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = f"postgresql+psycopg://postgres@{HOST}:5432/hoadon_cluster"
DEFAULT_REDIS_URL = f"redis://{HOST}:6379/0"
STOP_SECONDS = 15
_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        print(line, flush=True)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM to the child's own process group (its workers too), SIGKILL if it overstays."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                say(f"{self.name}: did not stop in {STOP_SECONDS} s, killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start(name: str, arguments: list[str], env: dict[str, str]) -> Child:
    process = subprocess.Popen(  # noqa: S603 - our own executable, fixed arguments
        [HOADON, *arguments],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches this script only; it stops the children in order
    )

    def relay() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            say(f"{name:>9} | {raw.decode(errors='replace').rstrip()}")

    threading.Thread(target=relay, name=f"relay-{name}", daemon=True).start()
    return Child(name, process)


def hoadon(arguments: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own executable, fixed arguments
        [HOADON, *arguments], env=env, cwd=REPO, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(
            f"hoadon {' '.join(arguments)} failed ({done.returncode}):\n"
            f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}"
        )
    return done.stdout.decode()


def ensure_database(url: str) -> None:
    """Create the cluster's database, next to the server's ``postgres`` database, if it is missing."""
    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    base, _, name = libpq.rpartition("/")
    name = name.split("?", 1)[0]
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"created database {name}")
    except psycopg.OperationalError as error:
        raise SystemExit(f"PostgreSQL at {base} does not answer: {error}") from None


def ensure_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise SystemExit(f"Redis at {url} does not answer: {error}") from None


def wait_ready(child: Child, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.process.poll() is not None:
            raise SystemExit(f"{child.name} exited with {child.process.returncode}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(f"{url}/readyz", timeout=2) as response,  # noqa: S310 - http://127.0.0.1
        ):
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{child.name} not ready at {url} after {timeout:.0f} s")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=int, default=2, help="API processes (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="hoadon worker processes (default 2)")
    parser.add_argument("--port", type=int, default=8000, help="port (the first one with --separate)")
    parser.add_argument(
        "--separate", action="store_true", help="one `hoadon serve` per API process, on consecutive ports"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "cluster")
    args = parser.parse_args(argv)
    if not (1 <= args.api <= 16 and 0 <= args.workers <= 16):
        parser.error("--api must be 1..16 and --workers 0..16")

    ensure_database(args.database_url)
    ensure_redis(args.redis_url)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    ports = [args.port + i for i in range(args.api)] if args.separate else [args.port]
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOADON_")}
    env.update(
        HOADON_DATABASE_URL=args.database_url,
        HOADON_REDIS_URL=args.redis_url,
        HOADON_DATA_DIR=str(args.data_dir.resolve()),
        HOADON_HOST=HOST,
        HOADON_PUBLIC_URL=f"http://{HOST}:{ports[0]}",
        PYTHONUNBUFFERED="1",
    )

    hoadon(["migrate"], env)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    token = hoadon(["officials", "create", "--national", "--name", f"make cluster {stamp}"], env)
    token = token.strip().splitlines()[-1]

    children: list[Child] = []
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        # The first API process starts alone: on a fresh data dir it generates the secret key and
        # the development authority key, which every other process then reads.
        if args.separate:
            for index, port in enumerate(ports):
                child = start(f"api-{index + 1}", ["serve", "--port", str(port)], env)
                children.append(child)
                wait_ready(child, f"http://{HOST}:{port}")
        else:
            child = start("api", ["serve", "--port", str(ports[0]), "--workers", str(args.api)], env)
            children.append(child)
            wait_ready(child, f"http://{HOST}:{ports[0]}")
        for index in range(args.workers):
            children.append(start(f"worker-{index + 1}", ["worker"], env))

        layout = (
            f"{args.api} × `hoadon serve` on " + ", ".join(f"http://{HOST}:{p}" for p in ports)
            if args.separate
            else f"`hoadon serve --workers {args.api}` on http://{HOST}:{ports[0]}"
        )
        say("")
        say(f"hoadon cluster: {layout} (API reference at /docs)")
        say(f"  {args.workers} × `hoadon worker`, database {args.database_url}, Redis {args.redis_url}")
        say(f"  data dir {args.data_dir}")
        say("  a national tax official was created; its token, shown once:")
        say(f"HOADON_OFFICIAL_TOKEN={token}")
        say("Ctrl-C stops everything.\n")

        while not stopping.wait(0.5):
            for child in children:
                if child.process.poll() is not None:
                    say(f"{child.name} exited with {child.process.returncode}; stopping the cluster")
                    stopping.set()
                    return 1
        return 0
    finally:
        say("stopping ...")
        for child in reversed(children):
            child.stop()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
