import re

from yimen.api.actions import STAFF_ACTIONS
from yimen.cases.rules import Action


def test_the_openapi_document_lists_every_endpoint_and_every_actions_body(client, db):
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
    assert set(schemas["DispatchIn"]["properties"]) == {"lead_unit", "assist_units", "tasks", "reason"}
    create = doc["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json", "multipart/form-data"}
    assert "parties" in schemas["CaseIn"]["properties"] and "PartyIn" in schemas
    assert any(p["name"] == "Idempotency-Key" for p in doc["paths"]["/api/v1/cases"]["post"]["parameters"])


def test_the_docs_page_loads_nothing_from_outside(client, db):
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
