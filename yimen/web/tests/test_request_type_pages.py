"""诉求类型 in the workbench: the window offers it, the matter page shows it and the engine's proposal
with its reason, and the triage form sets it."""

import pytest
from django.urls import reverse

from yimen.cases.models import Case

from .test_window import window_post

pytestmark = pytest.mark.usefixtures("lexicon_only")

CONSULT = "请问灵活就业人员的养老保险每年最低交多少钱，在哪里可以缴纳？"


def test_the_window_registers_the_request_type_chosen(client, world):
    client.force_login(world.clerk)
    page = client.get(reverse("web:window")).content.decode()
    assert 'name="request_type"' in page and ">咨询<" in page and ">纠纷<" in page
    response = client.post(reverse("web:window"), window_post(world, request_type="complaint"))
    assert response.status_code == 302
    assert Case.objects.get().request_type == "complaint"


def test_the_window_keeps_a_bad_request_type_on_the_form(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world, request_type="gossip"))
    assert response.status_code == 400 and not Case.objects.exists()
    assert "诉求类型" in response.content.decode()


def test_the_matter_page_shows_the_request_type_and_the_proposal_with_its_reason(client, world):
    case = world.register(title="咨询", description=CONSULT, request="", category=None)
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:case_detail", args=[case.number])).content.decode()
    start = html.index('class="card case-head"')
    head = html[start:html.index("</header>", start)]
    assert "诉求类型" in head and "未定" in head
    panel = html[html.index('id="triage-h"'):]
    assert "建议诉求类型" in panel and "咨询" in panel and "命中提示语" in panel and "请问" in panel


def test_the_triage_form_sets_the_request_type_and_the_page_shows_it(client, world):
    case = world.register()
    client.force_login(world.dispatcher)
    response = client.post(reverse("web:case_act", args=[case.number, "triage"]), {
        "status_seen": case.status, "category": "labour", "request_type": "report", "risk_reason": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.request_type == "report"
    html = client.get(reverse("web:case_detail", args=[case.number])).content.decode()
    start = html.index('class="card case-head"')
    head = html[start:html.index("</header>", start)]
    assert "举报" in head
