"""The current provinces and wards (two levels since 2025-07-01), from vietnam-provinces.

Codes are the statistics office's, written zero-padded as on official lists: provinces two
digits (``"01"``), wards five (``"00070"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

from invoicing.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class Locality:
    code: str
    name: str


@dataclass(frozen=True)
class _Tables:
    provinces: dict[str, Locality]
    wards_by_province: dict[str, tuple[Locality, ...]]
    province_of_ward: dict[str, str]


def province_code_text(code: int) -> str:
    return f"{code:02d}"


def ward_code_text(code: int) -> str:
    return f"{code:05d}"


@cache
def _tables() -> _Tables:
    provinces = {
        province_code_text(p.code.value): Locality(province_code_text(p.code.value), p.name)
        for p in sorted(Province.iter_all(), key=lambda p: p.code.value)
    }
    wards: dict[str, list[Locality]] = {code: [] for code in provinces}
    province_of_ward: dict[str, str] = {}
    for ward in sorted(Ward.iter_all(), key=lambda w: w.code.value):
        province = province_code_text(ward.province_code.value)
        code = ward_code_text(ward.code.value)
        wards[province].append(Locality(code, ward.name))
        province_of_ward[code] = province
    return _Tables(
        provinces=provinces,
        wards_by_province={code: tuple(items) for code, items in wards.items()},
        province_of_ward=province_of_ward,
    )


def list_provinces() -> tuple[Locality, ...]:
    return tuple(_tables().provinces.values())


def get_province(code: str) -> Locality:
    province = _tables().provinces.get(code)
    if province is None:
        raise NotFound(f"No current province has code {code!r}")
    return province


def list_wards(province_code: str) -> tuple[Locality, ...]:
    get_province(province_code)
    return _tables().wards_by_province[province_code]


def check_locality(*, province_code: str, ward_code: str) -> None:
    """Validate a (province, ward) pair as submitted by a client: 422 with the offending field."""
    tables = _tables()
    if province_code not in tables.provinces:
        raise ValidationFailed(
            f"{province_code!r} is not a current province code (34 provinces since 2025-07-01)",
            field="province_code",
        )
    owner = tables.province_of_ward.get(ward_code)
    if owner is None:
        raise ValidationFailed(f"{ward_code!r} is not a current ward code", field="ward_code")
    if owner != province_code:
        raise ValidationFailed(
            f"ward {ward_code} belongs to province {owner}, not {province_code}", field="ward_code"
        )
