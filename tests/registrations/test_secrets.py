from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from invoicing.db import Database
from tests.helpers import accepted_business, official_token, submit


def test_tokens_and_keys_are_not_stored_in_clear(client: TestClient, database: Database) -> None:
    business = accepted_business(client, database)
    token = official_token(database)
    claim_token = submit(client).claim_token

    secrets = [business.api_key, token, claim_token]
    with database.transaction() as session:
        connection = session.connection()
        dumped = []
        for table in ("registrations", "businesses", "api_keys", "officials", "audit_events"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dumped.append(" ".join(str(value) for value in row))
    everything = "\n".join(dumped)
    for secret in secrets:
        assert secret not in everything
        # hd_<kind>_<prefix>_<secret>: the secret part may itself contain "_".
        assert secret.split("_", 3)[3] not in everything
    assert business.api_key.split("_")[2] in everything  # the public prefix is what is kept
