from decimal import Decimal

import pytest

from invoicing.invoices.calculation import Calculation, LineInput, calculate
from invoicing.invoices.vat import VatRate, parse_vat_rate
from invoicing.words import amount_in_words

TEN = parse_vat_rate("10%")
FIVE = parse_vat_rate("5%")
KCT = parse_vat_rate("KCT")


def line(
    quantity: str,
    unit_price: str,
    vat_rate: VatRate | None = TEN,
    *,
    discount_rate: str | None = None,
    nature: int = 1,
    name: str = "Hàng hóa",
) -> LineInput:
    return LineInput(
        name=name,
        unit="Cái",
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        discount_rate=None if discount_rate is None else Decimal(discount_rate),
        vat_rate=vat_rate,
        nature=nature,
    )


def vnd(*lines: LineInput, allow_negative: bool = False) -> Calculation:
    return calculate(lines=lines, currency="VND", with_vat=True, allow_negative=allow_negative)


def test_skeleton_invoice_of_domain_section_5() -> None:
    result = vnd(line("2", "1500000", TEN), line("1", "1000000", FIVE))

    assert [(item.number, item.amount) for item in result.lines] == [
        (1, Decimal(3000000)),
        (2, Decimal(1000000)),
    ]
    assert [(rate.vat_rate.code, rate.taxable, rate.tax) for rate in result.rates] == [
        ("10%", Decimal(3000000), Decimal(300000)),
        ("5%", Decimal(1000000), Decimal(50000)),
    ]
    assert (result.subtotal, result.vat_total, result.total) == (
        Decimal(4000000),
        Decimal(350000),
        Decimal(4350000),
    )
    assert result.discount_total == 0
    assert amount_in_words(result.total) == "Bốn triệu ba trăm năm mươi nghìn đồng"


def test_line_amounts_round_half_up_not_to_even() -> None:
    result = vnd(line("3", "333333.5"))

    assert result.lines[0].amount == Decimal(1000001)
    assert result.rates[0].tax == Decimal(100000)


def test_tax_is_rounded_per_rate_not_per_line() -> None:
    # Per line: 10.5 → 11 twice = 22; per rate (decision 8): 210 × 10% = 21.
    result = vnd(line("1", "105"), line("1", "105"))

    assert result.rates[0].tax == Decimal(21)
    assert result.total == Decimal(231)


def test_tax_rounds_half_up() -> None:
    assert vnd(line("1", "105")).vat_total == Decimal(11)


def test_mixed_rates_keep_first_appearance_order_and_kct_has_no_tax() -> None:
    result = vnd(
        line("1", "100000", TEN), line("1", "50000", KCT), line("1", "20000", FIVE), line("1", "1000", TEN)
    )

    assert [(rate.vat_rate.code, rate.taxable, rate.tax) for rate in result.rates] == [
        ("10%", Decimal(101000), Decimal(10100)),
        ("KCT", Decimal(50000), Decimal(0)),
        ("5%", Decimal(20000), Decimal(1000)),
    ]
    assert result.subtotal == Decimal(171000)
    assert result.total == Decimal(182100)


def test_discount_rate_reduces_the_line_amount() -> None:
    result = vnd(line("3", "150000", discount_rate="10"))

    assert result.lines[0].discount_amount == Decimal(45000)
    assert result.lines[0].amount == Decimal(405000)
    assert result.discount_total == Decimal(45000)
    assert (result.subtotal, result.vat_total, result.total) == (
        Decimal(405000),
        Decimal(40500),
        Decimal(445500),
    )


def test_trade_discount_line_is_positive_and_subtracted() -> None:
    result = vnd(line("1", "1000000"), line("1", "100000", nature=3, name="Chiết khấu thương mại"))

    discount = result.lines[1]
    assert (discount.amount, discount.signed_amount) == (Decimal(100000), Decimal(-100000))
    assert (result.rates[0].taxable, result.rates[0].tax) == (Decimal(900000), Decimal(90000))
    assert (result.subtotal, result.discount_total, result.total) == (
        Decimal(900000),
        Decimal(100000),
        Decimal(990000),
    )


def test_promotion_line_is_worth_nothing_and_note_line_has_no_amount() -> None:
    result = vnd(line("1", "500000"), line("2", "30000", None, nature=2), line("0", "0", None, nature=4))

    promotion, note = result.lines[1], result.lines[2]
    assert promotion.amount == 0
    assert (note.quantity, note.unit_price, note.amount) == (None, None, None)
    assert [rate.taxable for rate in result.rates] == [Decimal(500000)]
    assert result.total == Decimal(550000)


def test_note_line_with_a_price_is_refused() -> None:
    with pytest.raises(ValueError, match=r"lines\[0\]: a note line"):
        vnd(line("1", "100", None, nature=4))


def test_usd_keeps_two_decimals() -> None:
    result = calculate(lines=[line("3", "19.995")], currency="USD", with_vat=True)

    assert result.lines[0].amount == Decimal("59.99")
    assert result.vat_total == Decimal("6.00")
    assert result.total == Decimal("65.99")


def test_sales_invoice_has_no_vat() -> None:
    result = calculate(lines=[line("2", "1500000", None)], currency="VND", with_vat=False)

    assert (result.rates, result.vat_total) == ((), None)
    assert result.total == result.subtotal == Decimal(3000000)


def test_sales_invoice_lines_carry_no_rate() -> None:
    with pytest.raises(ValueError, match=r"lines\[0\]: a sales invoice"):
        calculate(lines=[line("1", "1")], currency="VND", with_vat=False)


def test_vat_invoice_lines_need_a_rate() -> None:
    with pytest.raises(ValueError, match=r"lines\[1\]: .* needs a VAT rate"):
        vnd(line("1", "1"), line("1", "1", None))


def test_negative_quantity_needs_allow_negative() -> None:
    with pytest.raises(ValueError, match=r"lines\[1\]: negative quantity"):
        vnd(line("1", "1000"), line("-1", "1000"))


def test_negative_price_needs_allow_negative() -> None:
    with pytest.raises(ValueError, match=r"lines\[0\]: negative unit_price"):
        vnd(line("1", "-1000"))


def test_discounts_beyond_the_goods_need_allow_negative() -> None:
    with pytest.raises(ValueError, match="allow_negative"):
        vnd(line("1", "1000"), line("1", "2000", nature=3))


def test_decrease_adjustment_carries_negative_amounts() -> None:
    result = vnd(line("-1", "1500000"), line("-3", "333333.5", FIVE), allow_negative=True)

    assert [item.amount for item in result.lines] == [Decimal(-1500000), Decimal(-1000001)]
    assert [rate.tax for rate in result.rates] == [Decimal(-150000), Decimal(-50000)]
    assert result.total == Decimal(-2700001)
    assert amount_in_words(result.total) == "Âm hai triệu bảy trăm nghìn lẻ một đồng"


@pytest.mark.parametrize("nature", [0, 5])
def test_unknown_line_nature_is_refused(nature: int) -> None:
    with pytest.raises(ValueError, match="nature"):
        vnd(line("1", "1", nature=nature))


def test_discount_rate_above_100_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        vnd(line("1", "1000", discount_rate="120"))


def test_an_invoice_needs_lines() -> None:
    with pytest.raises(ValueError, match="at least one line"):
        calculate(lines=[], currency="VND", with_vat=True)
