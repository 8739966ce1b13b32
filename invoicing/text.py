"""Text as hoadon stores it: Unicode NFC, trimmed, lengths counted after normalisation (decision 15).

The aliases are named after the element lengths of the authority's format (DOMAIN.md §2).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

# Characters XML 1.0 forbids (§2.2: C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF).
# Text ends up in signed XML, and PostgreSQL cannot store NUL: refused here, naming the field.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _refusal(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "must not contain NUL characters (U+0000)"
    if 0xD800 <= code <= 0xDFFF:
        return f"must not contain a lone surrogate (U+{code:04X})"
    return f"must not contain the character U+{code:04X}, which XML text cannot carry"


def normalize_text(value: object) -> object:
    if isinstance(value, str):
        if (bad := _NOT_XML_TEXT.search(value)) is not None:
            raise ValueError(_refusal(bad.group()))
        return unicodedata.normalize("NFC", value).strip()
    return value


_NFC = BeforeValidator(normalize_text)

Str20 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=20)]
Str50 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=50)]
Str100 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=100)]
Str255 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=255)]
Str400 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=400)]
Str500 = Annotated[str, _NFC, StringConstraints(min_length=1, max_length=500)]
