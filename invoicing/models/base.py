"""Shared column types and the constraint naming convention every table follows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, MetaData
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, whatever the database keeps (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_field(
    enum_type: type[StrEnum], *, default: StrEnum | None = None, index: bool = False, nullable: bool = False
) -> Any:
    """Stores the enum's values (not its Python names) as text, portable across databases."""
    column: Column[Any] = Column(
        SAEnum(
            enum_type,
            values_callable=lambda members: [member.value for member in members],
            native_enum=False,
            length=max(len(member.value) for member in enum_type),
            validate_strings=True,
        ),
        nullable=nullable,
        index=index,
    )
    return Field(default=default, sa_column=column)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True)


def timestamp_field(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column, **kwargs)
    return Field(default_factory=utcnow, sa_column=column, **kwargs)
