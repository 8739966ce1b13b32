"""`make bench`: every benchmark in turn; each prints its ratios against a baseline from the same run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["issuance.py", "pdf.py", "adoption.py", "load.py"]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== bench/{name} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / name), *sys.argv[1:]], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
