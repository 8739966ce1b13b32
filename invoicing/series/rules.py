"""Template and series symbols (Circular 78 Art. 4; Decree 123 Art. 32; DOMAIN.md decisions 3, 4
and 13, §3.1–3.2, §10). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoicing.models import DocumentKind

INVOICE_SYMBOL = re.compile(r"^(?P<code>[CK])(?P<yy>\d{2})(?P<letter>[TDLMNBGH])(?P<own>[A-Z]{2})$")
# E-receipts: template "01BLP0-001" (kind, copies, sequence; "/" seen in place of "-"), series
# "AA-26E" (two letters, the year, E for electronic). Their reading is UNVERIFIED (DOMAIN §10).
RECEIPT_TEMPLATE = re.compile(r"^\d{2}BLP\d[-/]\d{3}$")
RECEIPT_SYMBOL = re.compile(r"^(?P<own>[A-Z]{2})-(?P<yy>\d{2})E$")
FORMAT_VERSION = "2.0.1"
INVOICE_MAX_NUMBER = 99_999_999  # SHDon: at most 8 digits (Decree 123 Art. 10.3)
RECEIPT_MAX_NUMBER = 9_999_999  # receipts: at most 7 digits (Art. 32.2c)


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
RECEIPT_TITLE = "Biên lai thu phí, lệ phí"


class SeriesRuleError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class SeriesSpec:
    kind: DocumentKind
    template: str
    symbol: str
    year: int
    with_authority_code: bool


def max_number(kind: DocumentKind) -> int:
    return RECEIPT_MAX_NUMBER if kind is DocumentKind.RECEIPT else INVOICE_MAX_NUMBER


def series_name(kind: DocumentKind, template: str, symbol: str) -> str:
    """How a series is written: ``1C26TAA`` (template and symbol together, as printed on
    invoices); a receipt series by its symbol, ``AA-26E``."""
    return symbol if kind is DocumentKind.RECEIPT else f"{template}{symbol}"


def parse_series(*, template: str, symbol: str, this_year: int) -> SeriesSpec:
    """What a (template, symbol) pair registers; SeriesRuleError names the field that is wrong."""
    if RECEIPT_TEMPLATE.match(template):
        match = RECEIPT_SYMBOL.match(symbol)
        if match is None:
            raise SeriesRuleError(
                "symbol", "a receipt series is two letters, a dash, two year digits and E (e.g. AA-26E)"
            )
        spec = SeriesSpec(DocumentKind.RECEIPT, template, symbol, 2000 + int(match["yy"]), False)
    else:
        invoice_template = TEMPLATES.get(template)
        if invoice_template is None:
            raise SeriesRuleError(
                "template",
                f"template {template!r} is not supported: use 1 (VAT invoice), 2 (sales invoice) or a receipt "
                "template such as 01BLP0-001; templates 3 to 6 are not built yet",
            )
        match = INVOICE_SYMBOL.match(symbol)
        if match is None:
            raise SeriesRuleError(
                "symbol",
                "an invoice series is C or K, two year digits, a letter of T D L M N B G H, "
                "then two uppercase letters (e.g. C26TAA)",
            )
        if match["letter"] not in invoice_template.letters:
            raise SeriesRuleError(
                "symbol",
                f"letter {match['letter']!r} is not used with template {template}; "
                f"use one of {', '.join(sorted(invoice_template.letters))}",
            )
        spec = SeriesSpec(
            invoice_template.kind, template, symbol, 2000 + int(match["yy"]), match["code"] == "C"
        )
    if spec.year not in (this_year - 1, this_year, this_year + 1):
        raise SeriesRuleError("symbol", f"the symbol's year {spec.year} is not last, this or next year")
    return spec


def split_series(series: str) -> tuple[str | None, str]:
    """``"1C26TAA"`` → ``("1", "C26TAA")``; anything else is a bare symbol."""
    if len(series) == 7 and series[0].isdigit() and INVOICE_SYMBOL.match(series[1:]):
        return series[0], series[1:]
    return None, series
