from __future__ import annotations

from pydantic import BaseModel, Field


class LocalityRead(BaseModel):
    code: str = Field(description="Statistics-office code, zero-padded", examples=["79"])
    name: str = Field(examples=["Thành phố Hồ Chí Minh"])


class LocalityList(BaseModel):
    data: list[LocalityRead]
