"""Decimals as hoadon writes them, in XML and JSON alike (DOMAIN.md §7)."""

from __future__ import annotations

from decimal import Decimal


def plain_number(value: Decimal) -> str:
    """``.`` decimal point, no grouping, no exponent, no trailing zeros: ``4350000``, ``2.5``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number that can be written")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
