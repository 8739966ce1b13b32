"""Runtime configuration, read from ``HOADON_*`` environment variables."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class ConfigurationError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOADON_", env_file=".env", extra="ignore")

    env: Environment = Field(default=Environment.DEVELOPMENT, description="development, production or test")
    data_dir: Path = Field(default=Path("./var"), description="Where the embedded database and keys live")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file hoadon.db in the data dir",
    )
    redis_url: str | None = Field(default=None, description="Redis URL; optional on the embedded default")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Encrypts secrets at rest; generated into the data dir unless ENV=production",
    )
    host: str = Field(default="127.0.0.1", description="Address `hoadon serve` binds")
    port: int = Field(default=8000, description="Port `hoadon serve` binds")
    public_url: str | None = Field(
        default=None, description="Base URL printed in links and QR codes; default http://HOST:PORT"
    )
    sandbox: bool | None = Field(
        default=None,
        description="Issue sandbox signing certificates to businesses accepted without one; "
        "default on, except when ENV=production",
    )
    authority_key_path: Path | None = Field(
        default=None,
        description="Tax authority's signing key and certificate (PEM or PKCS#12); generated into "
        "the data dir unless ENV=production",
    )
    authority_key_password: SecretStr | None = Field(
        default=None, description="Password of HOADON_AUTHORITY_KEY_PATH, if encrypted"
    )
    provider_tax_code: str | None = Field(
        default=None, description="MST of the platform operator, written as MSTTCGP on invoices"
    )
    api_key_grace_hours: int = Field(
        default=24, description="How long a rotated API key keeps working", ge=0, le=24 * 30
    )
    rate_limits_enabled: bool = Field(default=True, description="Answer callers over their limit with 429")
    rate_limit_business: str = Field(
        default="600/minute", description="Requests per business API key, e.g. 600/minute;20000/day"
    )
    rate_limit_official: str = Field(default="300/minute", description="Requests per official token")
    rate_limit_public: str = Field(
        default="120/minute",
        description="Requests per client address without a credential, and failed authentications",
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, description="Largest request body accepted (413 above)", ge=1024
    )

    @field_validator("rate_limit_business", "rate_limit_official", "rate_limit_public")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        try:
            limits.parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate limit such as 600/minute or 10/second;1000/hour"
            ) from None
        return value

    @model_validator(mode="after")
    def _production_needs_real_secret(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            value = self.secret_key.get_secret_value() if self.secret_key else ""
            if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < 32:
                raise ConfigurationError(
                    "HOADON_SECRET_KEY must be set to a random value of at least 32 characters "
                    "when HOADON_ENV=production"
                )
            if self.authority_key_path is None:
                raise ConfigurationError(
                    "HOADON_AUTHORITY_KEY_PATH must name the tax authority's key when HOADON_ENV=production"
                )
        return self

    @property
    def sandbox_enabled(self) -> bool:
        return self.sandbox if self.sandbox is not None else self.env is not Environment.PRODUCTION

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hoadon.db').resolve()}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once into the data dir (never in production)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / SECRET_KEY_FILE
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        generated = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            with key_file.open("x") as handle:
                handle.write(generated)
            key_file.chmod(0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        return generated


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
