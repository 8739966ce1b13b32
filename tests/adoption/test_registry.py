"""Importing the business registry: upserts, refused rows, whole-file refusals, scope, the CLI."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from invoicing.adoption import registry
from invoicing.cli import app as cli
from invoicing.config import Settings
from invoicing.db import Database
from invoicing.main import create_app
from invoicing.models import RegistryEntry, RegistryImport
from tests.adoption import operating, province_stats, registry_csv, tax_codes, upload
from tests.helpers import accepted_business, bearer, official_token

# Đà Nẵng: no other test module puts anything there, so its counts are exact.
DA_NANG = "48"
WARD_A, WARD_B = "20195", "20197"


@pytest.fixture
def token(database: Database) -> str:
    return official_token(database)


def _count(database: Database, model: Any) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_import_is_an_upsert_and_importing_again_changes_nothing(
    client: TestClient, database: Database, token: str
) -> None:
    codes = tax_codes(5)
    rows = [
        (codes[0], "Công ty TNHH Một", DA_NANG, WARD_A, "operating"),
        (codes[1], "Công ty TNHH Hai", DA_NANG, WARD_A, "operating"),
        (codes[2], "Công ty TNHH Ba", DA_NANG, WARD_B, "operating"),
        (codes[3], "Công ty TNHH Bốn", DA_NANG, WARD_B, "suspended"),
        (codes[4], "Công ty TNHH Năm", DA_NANG, WARD_B, "closed"),
    ]
    first = upload(client, token, registry_csv(rows))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["rows"], body["inserted"], body["updated"], body["unchanged"], body["rejected"]) == (
        5,
        5,
        0,
        0,
        0,
    )
    assert body["by"]["type"] == "official"
    assert len(body["sha256"]) == 64
    assert province_stats(client, token, DA_NANG)["active_businesses"] == 3

    again = upload(client, token, registry_csv(rows)).json()
    assert (again["inserted"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 5, 0)
    assert again["sha256"] == body["sha256"]
    assert province_stats(client, token, DA_NANG)["active_businesses"] == 3

    rows[0] = (codes[0], "Công ty TNHH Một", DA_NANG, WARD_A, "closed")
    rows[3] = (codes[3], "Công ty TNHH Bốn", DA_NANG, WARD_B, "operating")
    rows[4] = (codes[4], "Công ty Cổ phần Năm", DA_NANG, WARD_B, "closed")
    changed = upload(client, token, registry_csv(rows)).json()
    assert (changed["inserted"], changed["updated"], changed["unchanged"]) == (0, 3, 2)
    stats = client.get(f"/v1/adoption/provinces/{DA_NANG}/wards", headers=bearer(token)).json()
    wards = {row["code"]: row["active_businesses"] for row in stats["data"]}
    assert (wards[WARD_A], wards[WARD_B]) == (1, 2)

    imports = client.get("/v1/adoption/registry/imports", headers=bearer(token)).json()["data"]
    assert [entry["id"] for entry in imports][:3] == [changed["id"], again["id"], body["id"]]


def test_bad_rows_are_reported_with_their_line_and_the_rest_imported(
    client: TestClient, database: Database, token: str
) -> None:
    good = tax_codes(3)
    body = registry_csv(
        [
            (good[0], "Công ty Tốt", DA_NANG, WARD_A, "operating"),  # line 2
            ("0100000001", "Sai mã số thuế", DA_NANG, WARD_A, "operating"),  # 3
            (good[1], "Tỉnh không có", "99", WARD_A, "operating"),  # 4
            (good[1], "Phường không có", DA_NANG, "99999", "operating"),  # 5
            (good[1], "Phường của tỉnh khác", DA_NANG, "25747", "operating"),  # 6
            (good[1], "Trạng thái lạ", DA_NANG, WARD_A, "active"),  # 7
            (good[1], "   ", DA_NANG, WARD_A, "operating"),  # 8
            (good[1], "Thiếu ô", DA_NANG),  # 9
            (good[2], "Mã không số 0 đầu", "1", "4", "Operating"),  # 10: "1" is 01, "4" is 00004
        ]
    )
    response = upload(client, token, body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["rows"], result["inserted"], result["rejected"]) == (9, 2, 7)
    reasons = {problem["line"]: problem["reason"] for problem in result["rejects"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3].startswith("tax_code '0100000001': not a valid Vietnamese tax code")
    assert reasons[4] == "province_code 99 is not a province, current or pre-2025"
    assert "99999" in reasons[5]
    assert "belongs to province 79" in reasons[6]
    assert "operating, suspended, closed" in reasons[7]
    assert reasons[8] == "name is empty"
    assert reasons[9] == "expected 5 cells, found 3"
    assert result["rejects_truncated"] is False
    assert province_stats(client, token, DA_NANG)["active_businesses"] == 1
    with database.transaction() as session:
        hanoi = session.get(RegistryEntry, good[2])
        assert hanoi is not None
        assert (hanoi.province_code, hanoi.ward_code) == ("01", "00004")


def _nothing_written(database: Database, before: tuple[int, int]) -> None:
    assert (_count(database, RegistryEntry), _count(database, RegistryImport)) == before


@pytest.mark.parametrize(
    ("header", "mentions"),
    [
        (("tax_code", "name", "province", "ward_code", "status"), "missing province_code"),
        (("tax_code", "name", "province_code", "ward_code"), "missing status"),
        (("mst", "ten", "tinh", "phuong", "trang_thai"), "missing tax_code"),
    ],
)
def test_a_wrong_header_refuses_the_file_and_writes_nothing(
    client: TestClient, database: Database, token: str, header: tuple[str, ...], mentions: str
) -> None:
    before = (_count(database, RegistryEntry), _count(database, RegistryImport))
    rows = [tuple(list(row)[: len(header)]) for row in operating(tax_codes(2), DA_NANG, WARD_A)]
    response = upload(client, token, registry_csv(rows, header=header))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("registry-file-rejected")
    assert problem["errors"][0]["field"] == "file"
    assert mentions in problem["detail"]
    _nothing_written(database, before)


def test_a_file_that_is_not_utf8_is_refused_whole(client: TestClient, database: Database, token: str) -> None:
    before = (_count(database, RegistryEntry), _count(database, RegistryImport))
    codes = tax_codes(2)
    good = registry_csv(operating(codes[:1], DA_NANG, WARD_A))
    windows = f"{codes[1]},Công ty Hà,{DA_NANG},{WARD_A},operating\n".encode("cp1258")
    response = upload(client, token, good + windows)
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"]
    assert "line 3" in response.json()["detail"]
    _nothing_written(database, before)


def test_a_malformed_csv_record_refuses_the_file_even_after_valid_rows(
    client: TestClient, database: Database, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks: the valid rows are written before the broken record is reached, and must go.
    monkeypatch.setattr(registry, "CHUNK_ROWS", 2)
    before = (_count(database, RegistryEntry), _count(database, RegistryImport))
    body = (
        registry_csv(operating(tax_codes(5), DA_NANG, WARD_A))
        + b'0100233488,"no closing quote,48,20195,operating\n'
    )
    response = upload(client, token, body)
    assert response.status_code == 422, response.text
    assert "line 7" in response.json()["detail"]
    _nothing_written(database, before)
    assert province_stats(client, token, DA_NANG)["active_businesses"] == 0


@pytest.mark.parametrize(
    "name", ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "  =HYPERLINK(1)", "\t=1"]
)
def test_formula_cells_are_refused(client: TestClient, database: Database, token: str, name: str) -> None:
    codes = tax_codes(2)
    body = registry_csv(
        [
            (codes[0], name, DA_NANG, WARD_A, "operating"),
            (codes[1], "Công ty - Chi nhánh", DA_NANG, WARD_A, "operating"),
        ]
    )
    result = upload(client, token, body).json()
    assert (result["inserted"], result["rejected"]) == (1, 1)
    assert result["rejects"][0]["line"] == 2
    assert "formula" in result["rejects"][0]["reason"]


def test_a_duplicated_tax_code_keeps_its_first_row(
    client: TestClient, database: Database, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows per chunk: the duplicates on lines 5 and 7 are found in later chunks, from the
    # stored row rather than from memory.
    monkeypatch.setattr(registry, "CHUNK_ROWS", 2)
    a, b, c, d = tax_codes(4)
    body = registry_csv(
        [
            (a, "Tên đầu tiên", DA_NANG, WARD_A, "operating"),  # 2
            (b, "Hai", DA_NANG, WARD_A, "operating"),  # 3
            (b, "Hai lặp trong cùng khối", DA_NANG, WARD_A, "closed"),  # 4
            (a, "Tên thứ hai", DA_NANG, WARD_B, "closed"),  # 5
            (c, "Ba", DA_NANG, WARD_B, "operating"),  # 6
            (a, "Tên thứ ba", DA_NANG, WARD_B, "operating"),  # 7
            (d, "Bốn", DA_NANG, WARD_B, "suspended"),  # 8
        ]
    )
    result = upload(client, token, body).json()
    assert (result["inserted"], result["rejected"]) == (4, 3)
    assert [(p["line"], p["tax_code"], p["reason"]) for p in result["rejects"]] == [
        (4, b, "duplicate tax code: first given on line 3"),
        (5, a, "duplicate tax code: first given on line 2"),
        (7, a, "duplicate tax code: first given on line 2"),
    ]
    with database.transaction() as session:
        first = session.get(RegistryEntry, a)
        assert first is not None
        assert (first.name, first.ward_code) == ("Tên đầu tiên", WARD_A)
    # Importing the same file again: the first rows are unchanged, the duplicates refused again.
    again = upload(client, token, body).json()
    assert (again["inserted"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 4, 3)


def test_a_legacy_province_is_mapped_to_the_current_one(
    client: TestClient, database: Database, token: str
) -> None:
    binh_duong, vung_tau, ho_chi_minh = tax_codes(3)
    body = registry_csv(
        [
            (binh_duong, "Công ty Bình Dương", "74", "25747", "operating"),
            (vung_tau, "Công ty Vũng Tàu", "77", "", "operating"),
            (ho_chi_minh, "Công ty Sài Gòn", "79", "25747", "operating"),
        ]
    )
    result = upload(client, token, body).json()
    assert (result["inserted"], result["rejected"], result["legacy_mapped"]) == (3, 0, 2)
    notes = {note["line"]: note["reason"] for note in result["notes"]}
    assert "pre-2025 province 74 (Bình Dương) is part of province 79" in notes[2]
    assert "ward code 25747 cannot be mapped" in notes[2]
    assert "cannot be mapped" not in notes[3]
    with database.transaction() as session:
        mapped = session.get(RegistryEntry, binh_duong)
        assert mapped is not None
        assert (mapped.province_code, mapped.ward_code, mapped.legacy_province_code) == ("79", "", "74")
        assert mapped.legacy_ward_code == "25747"
    wards = client.get("/v1/adoption/provinces/79/wards", headers=bearer(token)).json()
    assert wards["unassigned"]["active_businesses"] == 2
    assert wards["total"]["active_businesses"] >= 3
    assert sum(row["active_businesses"] for row in wards["data"]) + 2 == wards["total"]["active_businesses"]


def test_a_provincial_official_imports_only_its_province(client: TestClient, database: Database) -> None:
    national = official_token(database)
    da_nang = official_token(database, province_code=DA_NANG)
    listed_in_hcmc, mine, elsewhere = tax_codes(3)
    upload(client, national, registry_csv([(listed_in_hcmc, "Công ty HCM", "79", "25747", "operating")]))
    result = upload(
        client,
        da_nang,
        registry_csv(
            [
                (mine, "Công ty Đà Nẵng", DA_NANG, WARD_A, "operating"),
                (elsewhere, "Công ty Hà Nội", "01", "00004", "operating"),
                (listed_in_hcmc, "Công ty HCM chuyển về", DA_NANG, WARD_A, "operating"),
            ]
        ),
    ).json()
    assert (result["inserted"], result["rejected"], result["province_scope"]) == (1, 2, DA_NANG)
    reasons = {p["line"]: p["reason"] for p in result["rejects"]}
    assert reasons[3] == f"province 01 is outside your jurisdiction (province {DA_NANG})"
    assert "lists this business in province 79" in reasons[4]
    mine_only = client.get("/v1/adoption/registry/imports", headers=bearer(da_nang)).json()["data"]
    assert [entry["id"] for entry in mine_only] == [result["id"]]


def test_an_oversized_upload_is_refused_early(
    client: TestClient, database: Database, settings: Settings, token: str
) -> None:
    before = (_count(database, RegistryEntry), _count(database, RegistryImport))
    chunk = b"x" * (1024 * 1024)

    def two_hundred_megabytes() -> Iterator[bytes]:
        yield registry_csv(operating(tax_codes(1), DA_NANG, WARD_A))
        for _ in range(200):
            yield chunk

    streamed = client.post(
        "/v1/adoption/registry",
        content=two_hundred_megabytes(),
        headers={**bearer(token), "Content-Type": "text/csv"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["type"].endswith("payload-too-large")

    # With the application-wide body cap above the registry's own, the registry's 100 MB still
    # holds, refused from the declared length before any of the body is read.
    roomy = create_app(settings.model_copy(update={"max_body_bytes": 1 << 30}), database=database)
    with TestClient(roomy, raise_server_exceptions=False) as roomy_client:
        claimed = roomy_client.post(
            "/v1/adoption/registry",
            content=registry_csv(operating(tax_codes(1), DA_NANG, WARD_A)),
            headers={**bearer(token), "Content-Type": "text/csv", "Content-Length": str(200 * 1024 * 1024)},
        )
    assert claimed.status_code == 413
    assert "at most 104,857,600" in claimed.json()["detail"]
    assert "hoadon registry import" in claimed.json()["detail"]
    _nothing_written(database, before)


def test_only_officials_import_and_only_a_csv_body(
    client: TestClient, database: Database, token: str
) -> None:
    body = registry_csv(operating(tax_codes(1), DA_NANG, WARD_A))
    assert client.post("/v1/adoption/registry", content=body).status_code == 401
    business = accepted_business(client, database)
    assert upload(client, business.api_key, body).status_code == 403
    multipart = client.post(
        "/v1/adoption/registry", files={"file": ("registry.csv", body, "text/csv")}, headers=bearer(token)
    )
    assert multipart.status_code == 422
    assert "multipart" in multipart.json()["detail"]
    assert upload(client, token, b"").status_code == 422


def test_a_repeated_idempotency_key_replays_the_first_import(client: TestClient, token: str) -> None:
    body = registry_csv(operating(tax_codes(2), DA_NANG, WARD_A))
    first = upload(client, token, body, **{"Idempotency-Key": "registry-2026-11"})
    replay = upload(client, token, body, **{"Idempotency-Key": "registry-2026-11"})
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    other = upload(
        client,
        token,
        registry_csv(operating(tax_codes(1), DA_NANG, WARD_A)),
        **{"Idempotency-Key": "registry-2026-11"},
    )
    assert other.status_code == 409


def test_the_cli_imports_with_a_progress_bar_and_writes_every_refused_row(
    client: TestClient, database: Database, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoicing.cli._database", lambda: database)
    codes = tax_codes(3)
    source = tmp_path / "registry.csv"
    source.write_bytes(
        registry_csv(
            [
                (codes[0], "Công ty Một", DA_NANG, WARD_A, "operating"),
                (codes[1], '=HYPERLINK("http://evil")', DA_NANG, WARD_A, "operating"),
                (codes[2], "Công ty Ba", "74", "", "operating"),
            ]
        )
    )
    refused = tmp_path / "refused.csv"
    result = CliRunner().invoke(cli, ["registry", "import", str(source), "--rejects", str(refused)])
    assert result.exit_code == 0, result.output
    assert "registry import" in result.output
    with refused.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "tax_code", "reason"]
    assert rows[1][0] == "3"
    assert rows[1][2].startswith("name starts with")
    with database.transaction() as session:
        record = (
            session.execute(select(RegistryImport).order_by(RegistryImport.imported_at.desc()))
            .scalars()
            .first()
        )  # type: ignore[attr-defined]
        assert record is not None
        assert (record.source, record.actor_type, record.filename) == ("cli", "cli", "registry.csv")
        assert (record.inserted, record.rejected, record.legacy_mapped) == (2, 1, 1)
    assert province_stats(client, token, DA_NANG)["active_businesses"] == 1

    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"mst;ten\n1;2\n")
    refused_whole = CliRunner().invoke(cli, ["registry", "import", str(broken)])
    assert refused_whole.exit_code == 2
    assert "nothing imported" in refused_whole.output
