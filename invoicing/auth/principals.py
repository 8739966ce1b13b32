"""Who is calling: a business through its API key, or a tax official through a token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class BusinessPrincipal:
    business_id: uuid.UUID
    tax_code: str
    api_key_id: uuid.UUID

    @property
    def actor(self) -> tuple[str, str]:
        return ("business", str(self.business_id))


@dataclass(frozen=True)
class OfficialPrincipal:
    official_id: uuid.UUID
    name: str
    province_code: str | None

    @property
    def is_national(self) -> bool:
        return self.province_code is None

    @property
    def actor(self) -> tuple[str, str]:
        return ("official", str(self.official_id))

    def can_see_province(self, province_code: str) -> bool:
        return self.province_code is None or self.province_code == province_code
