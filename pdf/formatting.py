"""Vietnamese number and date formats for printed documents (the templates' filters).

Vietnamese style groups thousands with ``.`` and separates decimals with ``,``
(``1.234.567,5``); Decree 123 Art. 10.13b allows it and accountants expect it.
"""

from datetime import date
from decimal import Decimal

__all__ = ["format_date", "format_date_long", "format_number"]


def format_number(value: Decimal | int, *, min_places: int = 0) -> str:
    """Format a number the Vietnamese way: ``1.234.567`` and ``1.234.567,5``.

    The value is printed exactly: no rounding, trailing zeros after the decimal comma dropped
    (so quantities and unit prices show only their significant decimals), then padded back to
    ``min_places`` decimals.

    :param value: The number. ``Decimal`` or ``int``; ``bool`` and ``float`` are refused because money
        must never pass through binary floating point.
    :param min_places: Decimals always shown, e.g. 2 for amounts in a foreign currency.
    :returns: The formatted number, with a leading ``-`` when negative (``-0`` prints as ``0``).
    :raises TypeError: if ``value`` is not a ``Decimal`` or an ``int``.
    :raises ValueError: if ``value`` is NaN or infinite, or ``min_places`` is negative.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    if min_places < 0:
        raise ValueError("min_places must not be negative")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"cannot format {number}")
    whole, _, fraction = format(abs(number), "f").partition(".")
    fraction = fraction.rstrip("0").ljust(min_places, "0")
    groups = []
    while len(whole) > 3:
        groups.append(whole[-3:])
        whole = whole[:-3]
    groups.append(whole)
    text = ".".join(reversed(groups))
    if fraction:
        text = f"{text},{fraction}"
    if number < 0:
        text = f"-{text}"
    return text


def format_date(value: date) -> str:
    """Format a date as ``dd/mm/yyyy``, as in "Ký ngày: 15/03/2026".

    :param value: The date (a ``datetime`` prints its date part).
    :returns: The formatted date.
    """
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_date_long(value: date) -> str:
    """Format a date as printed under an invoice title: ``Ngày 15 tháng 03 năm 2026``.

    :param value: The date.
    :returns: The formatted date, capitalised as the first words of a line.
    """
    return f"Ngày {value.day:02d} tháng {value.month:02d} năm {value.year:04d}"
