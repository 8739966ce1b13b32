"""Vietnamese tax codes (MST), decision 11: 10 digits, or 13 written ``NNNNNNNNNN-NNN``."""

from __future__ import annotations

import re

from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.vn import mst

_PERSONAL_NUMBER = re.compile(r"^\d{12}$")


def normalize_tax_code(value: str) -> str:
    """The canonical written form (``0314409058`` or ``0314409058-002``); ValueError says why not."""
    compact = re.sub(r"[\s.\-]", "", value)
    if _PERSONAL_NUMBER.match(compact):
        raise ValueError(
            "12-digit personal identification numbers are not accepted as tax codes yet; "
            "use the 10- or 13-digit MST"
        )
    try:
        validated = mst.validate(compact)
    except StdnumValidationError as error:
        raise ValueError(f"not a valid Vietnamese tax code (MST): {error}") from None
    formatted: str = mst.format(validated)
    return formatted
