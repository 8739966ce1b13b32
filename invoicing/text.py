"""Text as hoadon stores it: Unicode NFC, trimmed, lengths counted after normalisation (decision 15).

The aliases are named after the element lengths of the authority's format (DOMAIN.md §2).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints


def normalize_text(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


_NFC = BeforeValidator(normalize_text)

Str20 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=20)]
Str50 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=50)]
Str100 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=100)]
Str255 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=255)]
Str400 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=400)]
Str500 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=500)]
