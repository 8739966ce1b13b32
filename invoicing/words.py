"""Amounts in Vietnamese words, for `TgTTTBChu` (total payable in words)."""

from decimal import Decimal

from num2words import num2words

MAX_LENGTH = 255
"""TgTTTBChu is str(255) (DOMAIN.md §2.6)."""

# num2words' "vi" language falls back to English words and float arithmetic from 10**18 up; num(21,6) of
# DOMAIN.md §2 allows at most 15 digits before the point anyway.
_LIMIT = Decimal(10) ** 15

CURRENCY_WORDS: dict[str, str] = {
    "VND": "đồng",
    "USD": "đô la Mỹ",
    "EUR": "euro",
}
"""Unit words after the number; a currency missing here is written with its ISO 4217 code."""


def amount_in_words(amount: Decimal, *, currency: str = "VND") -> str:
    # Decision 9: num2words output, first letter capitalised, unit word appended; decreases (decision 10)
    # read "Âm …". num2words' own zero style is kept and pinned by tests: 1000015 reads "một triệu lẻ
    # mười lăm", not the "không trăm mười lăm" some accounting software writes (DOMAIN.md §7).
    if not amount.is_finite():
        raise ValueError(f"cannot write {amount} in words")
    if amount.copy_abs() >= _LIMIT:
        raise ValueError(f"{amount} has more than 15 digits before the decimal point")
    if currency == "VND" and amount != amount.to_integral_value():
        # Decision 8: VND totals are whole đồng.
        raise ValueError(f"a VND amount is whole đồng, got {amount}")
    # From the exact digits: arithmetic would round to the context's 28 digits.
    whole, _, fraction = format(amount.copy_abs(), "f").partition(".")
    fraction = fraction.rstrip("0")
    words = _integer_words(int(whole))
    if fraction:
        words += " phẩy " + _fraction_words(fraction)
    sign = "âm " if amount < 0 else ""
    text = f"{sign}{words} {CURRENCY_WORDS.get(currency, currency)}"
    text = text[0].upper() + text[1:]
    if len(text) > MAX_LENGTH:
        raise ValueError(f"amount in words is {len(text)} characters, more than {MAX_LENGTH}")
    return text


def _integer_words(number: int) -> str:
    return str(num2words(number, lang="vi"))


def _fraction_words(digits: str) -> str:
    # Decimals are read the way they are said: leading zeros one by one, the rest as a number
    # ("12.05" → "mười hai phẩy không năm", "12.25" → "mười hai phẩy hai mươi lăm"). num2words' own
    # Decimal handling drops the leading zero of ".05" and is not used.
    significant = digits.lstrip("0")
    zeros = ["không"] * (len(digits) - len(significant))
    return " ".join([*zeros, _integer_words(int(significant))])
