"""After a full walk-through, no secret is readable in the database, the data dir or the logs.

The walk-through runs against a real uvicorn server (in a thread of this process, so every log
record, uvicorn's access log included, is captured at DEBUG for every logger): registration,
acceptance, credentials, key rotation, certificate upload, issuance, cancellation, plus the
accidents that put secrets into logs: a bad token, an API key sent in the query string, and an
unhandled error whose message echoes the request's credentials.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Request
from sqlalchemy import inspect, text
from sqlmodel import select
from uvicorn.logging import AccessFormatter

import signing
from bench import _harness as harness
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.keyring import Keyring
from invoicing.main import create_app
from invoicing.models import CertificateSource, SigningCertificate
from invoicing.models.base import utcnow
from invoicing.secretbox import unseal
from tests.conftest import Backend
from tests.helpers import bearer, invoice_payload, official_token, registration_payload, this_year_symbol

CLEAR_PEM_KEY = re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----")
ACCESS_LOG = AccessFormatter(
    '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture, backend: Backend) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG. After `backend` (whose migration loads alembic.ini's logging levels)
    and before `database`, so SQLAlchemy logs the statements and parameters of the test's connection."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level not in (logging.NOTSET, logging.DEBUG):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    port = harness.free_port()
    config = uvicorn.Config(
        app, host=harness.LOCALHOST, port=port, log_config=None, access_log=True, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://{harness.LOCALHOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _private_scalars(key: Any) -> list[int]:
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        return [numbers.d, numbers.p, numbers.q]
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return [key.private_numbers().private_value]


def key_material(key: Any) -> list[bytes]:
    """Byte strings any of which, found in clear, means the private key leaked.

    The encodings (DER, hex, the PEM's base64 lines) also carry the public key, which is rightly
    stored in certificates; a base64 line made only of public-key bytes could match a certificate's
    line by alignment, so such lines are left out.
    """
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    needles = []
    for form in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        der = key.private_bytes(serialization.Encoding.DER, form, serialization.NoEncryption())
        pem = key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())
        needles += [der, der.hex().encode(), base64.b64encode(der)]
        for line in pem.splitlines()[1:-1]:
            if len(line) >= 40 and base64.b64decode(line) not in public:
                needles.append(line)
    for value in _private_scalars(key):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        needles += [raw, raw.hex().encode()]
    return needles


def dump_database(database: Database) -> bytes:
    """Every column of every row of every table, as the driver returns it and as text."""
    chunks: list[bytes] = []
    with database.transaction() as session:
        connection = session.connection()
        postgres = connection.dialect.name == "postgresql"
        tables = inspect(connection).get_table_names()
        assert {"api_keys", "officials", "registrations", "signing_certificates", "invoices"} <= set(tables)
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif isinstance(value, dict | list):
                        chunks.append(json.dumps(value, ensure_ascii=False).encode())
                    chunks.append(str(value).encode())
            if postgres:  # the server's own text rendering: bytea as hex, jsonb as written
                for (rendered,) in connection.execute(text(f'SELECT t::text FROM "{table}" t')):
                    chunks.append(rendered.encode())
    return b"\n".join(chunks)


def dump_directory(directory: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}


def rendered_logs(caplog: pytest.LogCaptureFixture) -> tuple[str, list[str]]:
    """Everything the captured records could print: pytest's format, uvicorn's access-log format, and
    each record's whole state (arguments, extras, exception)."""
    access = [ACCESS_LOG.format(r) for r in caplog.records if r.name == "uvicorn.access"]
    states = [repr(sorted(record.__dict__.items(), key=lambda item: item[0])) for record in caplog.records]
    return caplog.text + "\n" + "\n".join(access) + "\n" + "\n".join(states), access


def test_no_secret_in_clear_in_the_database_the_data_dir_or_the_logs(
    debug_logs: pytest.LogCaptureFixture, settings: Settings, database: Database
) -> None:
    app = create_app(settings, database=database)

    @app.get("/v1/reliability/unhandled", include_in_schema=False)
    def unhandled(request: Request) -> None:
        # A bug of the kind that leaks: an error message that echoes what the request carried.
        raise RuntimeError(
            f"upstream refused {request.headers.get('authorization')} "
            f"(claim {request.headers.get('x-claim-token')})"
        )

    now = utcnow()
    test_ca = signing.issue_certificate(
        common_name="Test CA",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=365),
        is_ca=True,
    )
    bad_tokens = ["hd_sk_0123456789ab_" + "x" * 43, "not-a-hoadon-token-but-still-a-secret"]

    with served(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        payload = registration_payload()
        registered = client.post("/v1/registrations", json=payload)
        assert registered.status_code == 201, registered.text
        registration_id, claim_token = registered.json()["id"], registered.json()["claim_token"]
        claim = {"X-Claim-Token": claim_token}
        assert client.get(f"/v1/registrations/{registration_id}", headers=claim).status_code == 200

        official = official_token(database)
        accepted = client.post(f"/v1/registrations/{registration_id}/accept", headers=bearer(official))
        assert accepted.status_code == 200, accepted.text
        credentials = client.post(
            f"/v1/registrations/{registration_id}/credentials",
            headers={**claim, "Idempotency-Key": "claim-once"},
        )
        assert credentials.status_code == 201, credentials.text
        first_key = credentials.json()["api_key"]
        rotated = client.post(
            "/v1/business/api-keys", headers={**bearer(first_key), "Idempotency-Key": "rotate-once"}
        )
        assert rotated.status_code == 201, rotated.text
        api_key = rotated.json()["api_key"]

        uploaded = signing.issue_certificate(
            common_name=payload["name"],
            tax_code=payload["tax_code"],
            issuer=test_ca,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365),
        )
        pem = signing.private_key_pem(uploaded, password=None) + signing.certificate_pem(uploaded.certificate)
        upload = client.post(
            "/v1/business/certificates", json={"format": "pem", "data": pem.decode()}, headers=bearer(api_key)
        )
        assert upload.status_code == 201, upload.text

        symbol = this_year_symbol()
        series = client.post("/v1/series", json={"template": "1", "symbol": symbol}, headers=bearer(api_key))
        assert series.status_code == 201, series.text
        issued = client.post(
            "/v1/invoices",
            json=invoice_payload(f"1{symbol}"),
            headers={**bearer(api_key), "Idempotency-Key": "order-1"},
        )
        assert issued.status_code == 201, issued.text
        cancelled = client.post(
            f"/v1/invoices/{issued.json()['id']}/cancel", json={"reason": "Lập sai"}, headers=bearer(api_key)
        )
        assert cancelled.status_code == 200, cancelled.text

        for bad in bad_tokens:
            assert client.get("/v1/business", headers=bearer(bad)).status_code == 401
        assert client.get("/v1/business", headers=bearer(official)).status_code == 403
        # A client that puts its key in the URL: the access log prints the whole path.
        in_query = client.get("/v1/invoices", params={"api_key": api_key}, headers=bearer(api_key))
        assert in_query.status_code == 200
        boom = client.get("/v1/reliability/unhandled", headers={**bearer(api_key), **claim})
        assert boom.status_code == 500
        assert api_key not in boom.text

    keyring: Keyring = app.state.keyring
    with database.transaction() as session:
        sandbox = session.exec(
            select(SigningCertificate).where(SigningCertificate.source == CertificateSource.SANDBOX)
        ).all()
        sandbox_keys = [
            signing.load_signer(
                data=unseal(r.sealed_private_key, secret_key=keyring.secret_key) + r.certificate_pem.encode()
            ).private_key
            for r in sandbox
        ]
    assert sandbox_keys, "acceptance in sandbox mode issues the business a certificate and key"
    private_keys = [uploaded.private_key, keyring.authority.private_key, *sandbox_keys]
    assert keyring.sandbox_ca is not None
    private_keys.append(keyring.sandbox_ca.private_key)

    tokens = [claim_token, official, first_key, api_key]
    needles: dict[str, list[bytes]] = {
        "token": [t.encode() for t in tokens] + [t.split("_", 3)[3].encode() for t in tokens],
        "bad token": [t.encode() for t in bad_tokens],
        "secret key": [keyring.secret_key.encode()],
        "private key": [needle for key in private_keys for needle in key_material(key)],
    }

    stored = {"database": dump_database(database), **dump_directory(settings.data_dir)}
    assert any(name.endswith("authority.pem") for name in stored), stored.keys()
    for where, content in stored.items():
        assert not CLEAR_PEM_KEY.search(content), f"a private key in clear in {where}"
        for kind, values in needles.items():
            if kind == "bad token":
                continue
            for value in values:
                assert value not in content, f"{kind} in clear in {where}"

    logs, access = rendered_logs(debug_logs)
    assert any("/v1/invoices?api_key=" in line for line in access), access
    assert any("SELECT" in record.getMessage() for record in debug_logs.records)  # SQL logging was on
    assert any(record.name == "hoadon.errors" for record in debug_logs.records)  # the error was logged
    assert not CLEAR_PEM_KEY.search(logs.encode())
    for kind, values in needles.items():
        for value in values:
            if value.isascii():  # raw DER and scalars cannot be in text; their encodings are checked
                assert value.decode() not in logs, f"{kind} in the logs"
    prefix = api_key.split("_")[2]
    assert f"hd_sk_{prefix}_[REDACTED]" in logs  # masked, with the key's public prefix kept
