import json

import pytest
from django.test import Client

from yimen.accounts.models import ApiToken


class Api:
    """Calls /api/v1 as one of the world's people, each with their own bearer token."""

    base = "/api/v1"

    def __init__(self, client: Client):
        self.client = client
        self._tokens = {}

    def headers(self, user, **extra) -> dict:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = ApiToken.issue(user, name="tests")[1]
        headers = {"Authorization": f"Bearer {self._tokens[user.pk]}"}
        headers.update({k.replace("_", "-"): v for k, v in extra.items()})
        return headers

    def get(self, user, path, **params):
        return self.client.get(self.base + path, params, headers=self.headers(user))

    def post(self, user, path, body=None, *, key=None, raw=None):
        extra = {"Idempotency_Key": key} if key else {}
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(self.base + path, data, content_type="application/json", headers=self.headers(user, **extra))

    def act(self, user, case_or_number, action, *, key=None, **body):
        number = getattr(case_or_number, "number", case_or_number)
        return self.post(user, f"/cases/{number}/actions/{action}", body, key=key)


@pytest.fixture
def api(client):
    return Api(client)


def case_body(world, **overrides):
    body = {
        "channel": "walk_in",
        "region_code": world.grid.code,
        "title": "欠薪纠纷",
        "description": "张三等12名工人工资共计8万余元至今未结清，包工头电话不接。",
        "request": "请求协调支付拖欠工资",
        "category": "labour",
        "urgency": "worrying",
        "amount": "80000.00",
        "tags": ["欠薪"],
        "parties": [
            {"name": "张三", "id_number": "110101199003074477", "phone": "13800138000", "headcount": 12},
            {"name": "某建筑劳务公司", "role": "respondent", "kind": "organisation"},
        ],
    }
    body.update(overrides)
    return body
