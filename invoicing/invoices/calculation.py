"""Line amounts, per-rate VAT and invoice totals (decision 8)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum

from invoicing.invoices.vat import VatRate


class LineNature(IntEnum):
    """`TChat` (DOMAIN.md §3.3); 5 (special goods) belongs to format 2.1.0 and is not built yet."""

    GOODS = 1
    PROMOTION = 2
    TRADE_DISCOUNT = 3
    NOTE = 4


# Decision 8: VND is whole đồng, other currencies carry at most 2 decimals.
_CURRENCY_DECIMALS: dict[str, int] = {"VND": 0}
_DEFAULT_DECIMALS = 2
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class LineInput:
    name: str
    unit: str | None
    quantity: Decimal
    unit_price: Decimal
    discount_rate: Decimal | None
    vat_rate: VatRate | None
    nature: int = LineNature.GOODS
    item_code: str | None = None


@dataclass(frozen=True)
class CalculatedLine:
    """One `HHDVu`.

    `amount` (ThTien) is the amount before VAT, never signed by the nature: a trade-discount line
    (TChat 3) carries its discount as a positive amount that totals subtract, so that a negative figure
    on a document only ever means a decrease adjustment (decision 10). `signed_amount` is what the line
    adds to the totals. Note lines (TChat 4) carry no quantity, price or amount.
    """

    number: int
    nature: int
    name: str
    unit: str | None
    item_code: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    discount_rate: Decimal | None
    discount_amount: Decimal | None
    amount: Decimal | None
    vat_rate: VatRate | None

    @property
    def signed_amount(self) -> Decimal:
        if self.amount is None:
            return _ZERO
        if self.nature == LineNature.TRADE_DISCOUNT:
            return -self.amount
        return self.amount


@dataclass(frozen=True)
class RateTotal:
    """One `LTSuat`: the rate, its taxable base (ThTien) and its tax (TThue)."""

    vat_rate: VatRate
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Calculation:
    """Totals of an invoice.

    `rates` follow the first appearance of each rate among the lines. `subtotal` (TgTCThue) is net of
    line discounts and trade-discount lines; `discount_total` (TTCKTMai) reports both and is already
    deducted. A sales invoice (no VAT lines) has no rates and `vat_total` None.
    """

    lines: tuple[CalculatedLine, ...]
    rates: tuple[RateTotal, ...]
    subtotal: Decimal
    discount_total: Decimal
    vat_total: Decimal | None
    total: Decimal


def currency_decimals(currency: str) -> int:
    return _CURRENCY_DECIMALS.get(currency, _DEFAULT_DECIMALS)


def calculate(
    *, lines: Sequence[LineInput], currency: str, with_vat: bool, allow_negative: bool = False
) -> Calculation:
    """Compute an invoice's amounts.

    `allow_negative` admits negative quantities, prices and totals, for adjustment invoices carrying a
    decrease (decision 10); otherwise they raise ValueError naming the line.
    """
    if not _CURRENCY_CODE.fullmatch(currency):
        raise ValueError(f"currency must be an ISO 4217 code, got {currency!r}")
    if not lines:
        raise ValueError("an invoice needs at least one line")
    exponent = Decimal(1).scaleb(-currency_decimals(currency))
    calculated = tuple(
        _calculate_line(index, line, exponent=exponent, with_vat=with_vat, allow_negative=allow_negative)
        for index, line in enumerate(lines)
    )

    # Decision 8: tax is computed once per rate on the sum of rounded line amounts, not per line, and
    # rounded half-up to the currency unit.
    taxable: dict[VatRate, Decimal] = {}
    for line in calculated:
        if line.vat_rate is not None and line.nature in (LineNature.GOODS, LineNature.TRADE_DISCOUNT):
            taxable[line.vat_rate] = taxable.get(line.vat_rate, _ZERO) + line.signed_amount
    rates = tuple(
        RateTotal(
            vat_rate=rate, taxable=base, tax=_round(base * (rate.percent or _ZERO) / _HUNDRED, exponent)
        )
        for rate, base in taxable.items()
    )

    subtotal = sum((line.signed_amount for line in calculated), _ZERO)
    discount_total = sum(
        (
            (line.amount if line.nature == LineNature.TRADE_DISCOUNT else line.discount_amount) or _ZERO
            for line in calculated
        ),
        _ZERO,
    )
    vat_total = sum((rate.tax for rate in rates), _ZERO) if with_vat else None
    total = subtotal + (vat_total or _ZERO)
    if not allow_negative:
        negative = [f"{rate.vat_rate.code} base {rate.taxable}" for rate in rates if rate.taxable < 0]
        if total < 0:
            negative.append(f"total {total}")
        if negative:
            raise ValueError(
                f"negative amounts need allow_negative (adjustment invoices): {', '.join(negative)}"
            )
    return Calculation(
        lines=calculated,
        rates=rates,
        subtotal=subtotal,
        discount_total=discount_total,
        vat_total=vat_total,
        total=total,
    )


def _calculate_line(
    index: int, line: LineInput, *, exponent: Decimal, with_vat: bool, allow_negative: bool
) -> CalculatedLine:
    where = f"lines[{index}]"
    if line.nature not in tuple(LineNature):
        raise ValueError(f"{where}: nature (TChat) must be one of 1, 2, 3, 4, got {line.nature}")
    nature = LineNature(line.nature)
    if not with_vat and line.vat_rate is not None:
        raise ValueError(f"{where}: a sales invoice has no VAT rate on its lines (DOMAIN.md §2.5)")
    if with_vat and line.vat_rate is None and nature in (LineNature.GOODS, LineNature.TRADE_DISCOUNT):
        raise ValueError(f"{where}: a VAT invoice line of nature {int(nature)} needs a VAT rate (TSuat)")
    if line.discount_rate is not None:
        if nature != LineNature.GOODS:
            raise ValueError(f"{where}: only goods/service lines (TChat 1) take a discount rate")
        if not _ZERO <= line.discount_rate <= _HUNDRED:
            raise ValueError(f"{where}: discount rate must be between 0 and 100, got {line.discount_rate}")
    for field, value in (("quantity", line.quantity), ("unit_price", line.unit_price)):
        if not value.is_finite():
            raise ValueError(f"{where}: {field} must be a finite number, got {value}")
        if value < 0 and not allow_negative:
            raise ValueError(
                f"{where}: negative {field} {value} is only allowed on adjustment invoices (decision 10)"
            )

    quantity: Decimal | None = line.quantity
    unit_price: Decimal | None = line.unit_price
    discount_amount: Decimal | None = None
    amount: Decimal | None = None
    if nature == LineNature.NOTE:
        if line.quantity or line.unit_price or line.vat_rate is not None:
            raise ValueError(f"{where}: a note line (TChat 4) has no quantity, price or VAT rate")
        quantity = unit_price = None
    elif nature == LineNature.PROMOTION:
        amount = _ZERO
    else:
        gross = line.quantity * line.unit_price
        if line.discount_rate is not None:
            discount_amount = _round(gross * line.discount_rate / _HUNDRED, exponent)
        amount = _round(gross, exponent) - (discount_amount or _ZERO)
    return CalculatedLine(
        number=index + 1,
        nature=int(nature),
        name=line.name,
        unit=line.unit,
        item_code=line.item_code,
        quantity=quantity,
        unit_price=unit_price,
        discount_rate=line.discount_rate,
        discount_amount=discount_amount,
        amount=amount,
        vat_rate=line.vat_rate,
    )


def _round(value: Decimal, exponent: Decimal) -> Decimal:
    # Half-up on Decimal rounds halves away from zero, so a decrease mirrors the increase it undoes.
    return value.quantize(exponent, rounding=ROUND_HALF_UP)
