from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pdf.formatting import format_date, format_date_long, format_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1.000"),
        (4350000, "4.350.000"),
        (Decimal("1234567"), "1.234.567"),
        (Decimal("1234567.5"), "1.234.567,5"),
        (Decimal("1234567.50"), "1.234.567,5"),
        (Decimal("12445454.5455"), "12.445.454,5455"),
        (Decimal("0.1"), "0,1"),
        (Decimal("1.000000"), "1"),
        (Decimal("0.000"), "0"),
        (Decimal("1E+3"), "1.000"),
        (Decimal("-4350000"), "-4.350.000"),
        (Decimal("-0.5"), "-0,5"),
        (Decimal("-0"), "0"),
        (Decimal("100000000000000000000.000001"), "100.000.000.000.000.000.000,000001"),
    ],
)
def test_format_number_vietnamese_style(value: Decimal | int, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.5"), "12,50"),
        (Decimal("100"), "100,00"),
        (Decimal("1234.567"), "1.234,567"),
        (1000, "1.000,00"),
    ],
)
def test_format_number_min_places_pads_but_never_rounds(value: Decimal | int, expected: str) -> None:
    assert format_number(value, min_places=2) == expected


@pytest.mark.parametrize("value", [1.5, True, "1000", None])
def test_format_number_refuses_floats_and_non_numbers(value: object) -> None:
    with pytest.raises(TypeError):
        format_number(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_format_number_refuses_non_finite(value: Decimal) -> None:
    with pytest.raises(ValueError, match="cannot format"):
        format_number(value)


def test_format_number_refuses_negative_places() -> None:
    with pytest.raises(ValueError, match="min_places"):
        format_number(1, min_places=-1)


def test_format_date_short_and_long() -> None:
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert format_date(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "31/12/2026"
    assert format_date_long(date(2026, 3, 15)) == "Ngày 15 tháng 03 năm 2026"
