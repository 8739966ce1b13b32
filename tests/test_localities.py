from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_34_current_provinces(client: TestClient) -> None:
    response = client.get("/v1/localities/provinces")
    assert response.status_code == 200
    provinces = response.json()["data"]
    assert len(provinces) == 34
    by_code = {p["code"]: p["name"] for p in provinces}
    assert by_code["01"] == "Thành phố Hà Nội"
    assert by_code["79"] == "Thành phố Hồ Chí Minh"
    assert "74" not in by_code  # Bình Dương merged into Hồ Chí Minh on 2025-07-01


def test_wards_of_a_province(client: TestClient) -> None:
    response = client.get("/v1/localities/provinces/01/wards")
    assert response.status_code == 200
    wards = response.json()["data"]
    assert {"code": "00004", "name": "Phường Ba Đình"} in wards
    assert all(len(w["code"]) == 5 for w in wards)


def test_unknown_province_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/localities/provinces/74/wards")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No current province has code '74'"
