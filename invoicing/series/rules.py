"""Template and series symbols (Circular 78 Art. 4; DOMAIN.md decision 3 and §3.1–3.2). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoicing.models import DocumentKind

SYMBOL = re.compile(r"^(?P<code>[CK])(?P<yy>\d{2})(?P<letter>[TDLMNBGH])(?P<own>[A-Z]{2})$")
FORMAT_VERSION = "2.0.1"


@dataclass(frozen=True)
class Template:
    code: str
    kind: DocumentKind
    title: str
    letters: frozenset[str]


# Templates 3–6 (public assets, national reserve, stamps/tickets, delivery notes) are not built
# yet; decision 2 says to refuse them clearly. Letters: T normal, M cash register, G/H
# stamps-tickets-cards that are VAT / sales invoices (§3.2); D, L, N, B belong to other kinds.
TEMPLATES = {
    "1": Template("1", DocumentKind.VAT_INVOICE, "Hóa đơn giá trị gia tăng", frozenset("TMG")),
    "2": Template("2", DocumentKind.SALES_INVOICE, "Hóa đơn bán hàng", frozenset("TMH")),
}


@dataclass(frozen=True)
class SymbolParts:
    with_authority_code: bool
    year: int
    letter: str


def parse_symbol(symbol: str) -> SymbolParts | None:
    match = SYMBOL.match(symbol)
    if match is None:
        return None
    return SymbolParts(
        with_authority_code=match["code"] == "C", year=2000 + int(match["yy"]), letter=match["letter"]
    )


def split_series(series: str) -> tuple[str, str]:
    """``"1C26TAA"`` → ``("1", "C26TAA")``: the template digit and the symbol as printed together."""
    return series[:1], series[1:]
