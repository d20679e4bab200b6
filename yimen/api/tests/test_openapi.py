import re

from yimen.api.actions import STAFF_ACTIONS
from yimen.cases.rules import Action


def test_the_openapi_document_lists_every_endpoint_and_every_actions_body(client, world):
    client.force_login(world.clerk)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert set(doc["paths"]) == {
        "/api/v1/cases", "/api/v1/cases/{number}", "/api/v1/cases/{number}/actions/{action}",
        "/api/v1/cases/{number}/parties/{party_id}/reveal",
        "/api/v1/cases/{number}/units",
        "/api/v1/cases/{number}/suggestions", "/api/v1/triage/accuracy",
    }
    act = doc["paths"]["/api/v1/cases/{number}/actions/{action}"]["post"]
    action_param = next(p for p in act["parameters"] if p["name"] == "action")
    assert set(action_param["schema"]["enum"]) == set(STAFF_ACTIONS)
    assert Action.SUPPLEMENT not in STAFF_ACTIONS  # the resident's own move, on the residents' pages
    refs = [x["$ref"].rsplit("/", 1)[1] for x in act["requestBody"]["content"]["application/json"]["schema"]["oneOf"]]
    schemas = doc["components"]["schemas"]
    titles = " ".join(schemas[name]["title"] for name in refs)
    for action in STAFF_ACTIONS:
        assert f"{action.value}（{action.label}）" in titles
        assert f"`{action.value}`" in act["description"]
    assert set(schemas["DispatchIn"]["properties"]) == {"lead_unit", "assist_units", "tasks", "reason", "limit_reason", "expected_status"}
    create = doc["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json", "multipart/form-data"}
    assert "parties" in schemas["CaseIn"]["properties"] and "PartyIn" in schemas
    assert any(p["name"] == "Idempotency-Key" for p in doc["paths"]["/api/v1/cases"]["post"]["parameters"])


def test_the_docs_page_loads_nothing_from_outside(client, world):
    client.force_login(world.clerk)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) >= 4
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    # (Only the URLs are checked for "cdn": the random CSRF token in the page may contain those letters.)
    assert not any("cdn" in url.lower() for url in urls) and "http://" not in html and "https://" not in html
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert int(asset.get("Content-Length") or len(b"".join(asset.streaming_content))) > 0


def test_only_the_swagger_files_are_served(client, db):
    assert client.get("/api/v1/docs/assets/../../settings.py").status_code == 404
    assert client.get("/api/v1/docs/assets/redoc.standalone.js.map").status_code == 404


def test_the_docs_and_the_document_need_a_signed_in_user_or_a_token(client, world):
    from yimen.accounts.models import ApiToken

    page = client.get("/api/v1/docs")
    assert page.status_code == 302 and page["Location"].startswith("/login/?next=/api/v1/docs")
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 401 and document.json()["code"] == "unauthenticated"
    assert "登录" in document.json()["message"]
    _token, raw = ApiToken.issue(world.dispatcher)
    assert client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer ym_wrong"}).status_code == 401


def test_a_centre_may_publish_its_api_docs(client, db, settings):
    settings.YIMEN_API_DOCS_PUBLIC = True
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_docs_page_allows_inline_styles_but_no_inline_script(client, world):
    client.force_login(world.clerk)
    policy = client.get("/api/v1/docs")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" in directives["style-src"]
