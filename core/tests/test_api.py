"""The API: schema published, token and session auth, one error shape in Chinese, scoped lists."""

import pytest

from core.services import api_token_create

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_published(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "归途 Guitu API"
    assert any(path.startswith("/api/v1/") for path in schema["paths"])
    assert client.get("/api/docs").status_code == 200


def test_anonymous_api_calls_get_401_with_a_chinese_message(client):
    response = client.get("/api/v1/core/me")
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "请先登录或提供有效的 API 令牌。", "fields": {}}


def test_a_bearer_token_authenticates(cast, client):
    _, raw = api_token_create(by=cast.head, name="测试")
    response = client.get("/api/v1/core/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["organisation"]["code"] == "YDZ"


def test_a_revoked_or_wrong_token_is_refused(cast, client):
    assert client.get("/api/v1/core/me", HTTP_AUTHORIZATION="Bearer gt_wrong").status_code == 401


def test_organisations_are_scoped(cast, client_for):
    codes = {o["code"] for o in client_for(cast.outsider).get("/api/v1/core/organisations").json()}
    assert codes == {"RYZ"}
    codes = {o["code"] for o in client_for(cast.county_supervisor).get("/api/v1/core/organisations").json()}
    assert codes == {"YDMZ", "YDZ"}


def test_the_audit_endpoint_is_role_checked(cast, client_for):
    response = client_for(cast.reception).get("/api/v1/core/audit")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert client_for(cast.head).get("/api/v1/core/audit").status_code == 403  # 三员分立: only the auditor
