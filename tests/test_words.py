from decimal import Decimal

import pytest

from invoicing.words import amount_in_words


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal(4350000), "Bốn triệu ba trăm năm mươi nghìn đồng"),
        (Decimal(1284000), "Một triệu hai trăm tám mươi bốn nghìn đồng"),
        (Decimal("4350000.00"), "Bốn triệu ba trăm năm mươi nghìn đồng"),
        (Decimal(21), "Hai mươi mốt đồng"),
    ],
)
def test_vnd_amounts_follow_decision_9(amount: Decimal, expected: str) -> None:
    assert amount_in_words(amount) == expected


def test_zeros_inside_a_number_keep_the_num2words_le_style() -> None:
    # Pinned choice of DOMAIN.md §7: "lẻ", not "không trăm".
    assert amount_in_words(Decimal(1000015)) == "Một triệu lẻ mười lăm đồng"
    assert amount_in_words(Decimal(105)) == "Một trăm lẻ năm đồng"


def test_zero_is_khong_dong() -> None:
    assert amount_in_words(Decimal(0)) == "Không đồng"
    assert amount_in_words(Decimal("-0")) == "Không đồng"


def test_negative_amounts_read_am() -> None:
    assert amount_in_words(Decimal(-50000)) == "Âm năm mươi nghìn đồng"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "Một nghìn hai trăm ba mươi bốn phẩy năm đô la Mỹ"),
        (Decimal("12.05"), "USD", "Mười hai phẩy không năm đô la Mỹ"),
        (Decimal("12.25"), "USD", "Mười hai phẩy hai mươi lăm đô la Mỹ"),
        (Decimal("10.00"), "EUR", "Mười euro"),
        (Decimal(1000), "JPY", "Một nghìn JPY"),
        (Decimal("-0.5"), "USD", "Âm không phẩy năm đô la Mỹ"),
    ],
)
def test_foreign_currency(amount: Decimal, currency: str, expected: str) -> None:
    assert amount_in_words(amount, currency=currency) == expected


def test_vnd_is_whole_dong() -> None:
    with pytest.raises(ValueError, match="whole đồng"):
        amount_in_words(Decimal("10.5"))


def test_largest_amount_of_the_format_fits() -> None:
    words = amount_in_words(Decimal(999_999_999_999_999))
    assert words.startswith("Chín trăm chín mươi chín nghìn tỷ")
    assert len(words) <= 255


def test_more_than_15_digits_is_refused() -> None:
    # num2words drifts into English words ("Quintillion") beyond this.
    with pytest.raises(ValueError, match="15 digits"):
        amount_in_words(Decimal(10) ** 15)


def test_words_longer_than_255_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="255"):
        amount_in_words(Decimal("999999999999999." + "0" * 40 + "1"), currency="USD")
