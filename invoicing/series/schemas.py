from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from invoicing.models import DocumentKind


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(
        description="Template symbol (`KHMSHDon`): `1` VAT invoice, `2` sales invoice", examples=["1"]
    )
    symbol: str = Field(
        description="Series symbol (`KHHDon`): C|K, two year digits, letter, two letters of your own",
        examples=["C26TAA"],
    )
    kind: DocumentKind | None = Field(
        default=None, description="Optional; must agree with the template when given"
    )


class SeriesRead(BaseModel):
    id: uuid.UUID
    series: str = Field(description="Template and symbol as printed together", examples=["1C26TAA"])
    template: str
    symbol: str
    kind: DocumentKind
    year: int
    with_authority_code: bool
    format_version: str
    next_number: int
    issued: int = Field(description="Documents issued in this series")
    chain_head: str
    active: bool
    created_at: datetime
    links: dict[str, str]


class SeriesList(BaseModel):
    data: list[SeriesRead]


class ChainEntryRead(BaseModel):
    position: int
    event: str
    number: int
    document_id: uuid.UUID
    document_sha256: str
    link: str
    created_at: datetime


class ChainPage(BaseModel):
    series: str
    genesis: str = Field(description="The link before the first entry")
    head: str
    length: int
    data: list[ChainEntryRead]
    next_cursor: str | None
