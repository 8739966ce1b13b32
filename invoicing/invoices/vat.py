"""VAT rate codes written in `TSuat` (DOMAIN.md §3.5)."""

import re
from dataclasses import dataclass
from decimal import Decimal

# Decision 7 keeps the accepted codes as data in this one place. `None` marks codes without a tax
# percentage: KCT (not subject to VAT) and KKKNT (not declared or paid).
FIXED_RATES: dict[str, Decimal | None] = {
    "0%": Decimal(0),
    "5%": Decimal(5),
    "8%": Decimal(8),
    "10%": Decimal(10),
    "KCT": None,
    "KKKNT": None,
}
OTHER_RATE_PREFIX = "KHAC:"

# The spec writes the other rate as `KHAC:AB.CD` (example `KHAC:5.26`); implementations add a trailing
# `%` (`KHAC:3.5%`). Both are accepted, the spec form is emitted (decision 7, DOMAIN.md §15 item 3).
_OTHER_RATE = re.compile(r"(?P<rate>\d{1,2}(?:\.\d{1,2})?)%?")

ACCEPTED_CODES = (*FIXED_RATES, f"{OTHER_RATE_PREFIX}<rate>")


@dataclass(frozen=True)
class VatRate:
    code: str
    percent: Decimal | None


def parse_vat_rate(text: str) -> VatRate:
    code = text.strip()
    if code in FIXED_RATES:
        return VatRate(code=code, percent=FIXED_RATES[code])
    if code.startswith(OTHER_RATE_PREFIX):
        match = _OTHER_RATE.fullmatch(code.removeprefix(OTHER_RATE_PREFIX))
        if match is not None and Decimal(match["rate"]) > 0:
            percent = Decimal(match["rate"])
            return VatRate(code=f"{OTHER_RATE_PREFIX}{_plain(percent)}", percent=percent)
    raise ValueError(f"unknown VAT rate {text!r}; accepted: {', '.join(ACCEPTED_CODES)}")


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
