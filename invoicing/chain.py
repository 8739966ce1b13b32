"""Per-series hash chains: an auditor recomputes them to see there is no gap and no rewrite.

``link = SHA-256(previous link ‖ SHA-256 of the signed document)``, both as raw 32-byte
digests; the first entry's previous link is 32 zero bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_LINK = "0" * 64


def chain_link(previous: str, document_sha256: str) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(document_sha256)).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    position: int
    number: int
    event: str
    document_sha256: str
    link: str


@dataclass(frozen=True)
class ChainProblem:
    position: int
    reason: str


def find_chain_problems(entries: Iterable[ChainLink], *, head: str, length: int) -> list[ChainProblem]:
    """Recompute a chain from the genesis; every broken link, gap in positions or numbers, and a
    head that disagrees with the recomputation is reported."""
    problems: list[ChainProblem] = []
    previous = GENESIS_LINK
    expected_position = 1
    expected_number = 1
    for entry in entries:
        if entry.position != expected_position:
            problems.append(ChainProblem(entry.position, f"expected position {expected_position}"))
        if entry.event == "issued":
            if entry.number != expected_number:
                problems.append(
                    ChainProblem(entry.position, f"number {entry.number} follows {expected_number - 1}")
                )
            expected_number = entry.number + 1
        recomputed = chain_link(previous, entry.document_sha256)
        if recomputed != entry.link:
            problems.append(ChainProblem(entry.position, "link does not recompute"))
        previous = entry.link
        expected_position = entry.position + 1
    if expected_position - 1 != length:
        problems.append(
            ChainProblem(expected_position, f"chain has {expected_position - 1} entries, head says {length}")
        )
    if previous != head:
        problems.append(ChainProblem(expected_position - 1, "head is not the last link"))
    return problems
