"""Demo mode says so on every page: the workbench, the residents' pages, the admin, the error pages
and the API docs; a centre's own start shows no banner."""

import pytest
from django.test import Client

BANNER = "演示环境 — 数据为虚构"
PAGES = ("/", "/r/track/", "/admin/", "/api/v1/docs", "/no-such-page/")


@pytest.fixture
def signed_in(world):
    world.admin.is_staff = True
    world.admin.save()
    browser = Client()
    browser.force_login(world.admin)
    return browser


@pytest.mark.parametrize("path", PAGES)
def test_every_kind_of_page_carries_the_banner_in_demo_mode(signed_in, settings, path):
    settings.YIMEN_DEMO = True
    response = signed_in.get(path, follow=True)
    assert BANNER in response.content.decode(), path


@pytest.mark.parametrize("path", PAGES)
def test_no_page_carries_it_outside_demo_mode(signed_in, settings, path):
    settings.YIMEN_DEMO = False
    response = signed_in.get(path, follow=True)
    assert BANNER not in response.content.decode(), path


def test_the_sign_in_page_and_the_server_error_page_carry_it_too(client, db, settings):
    from django.template.loader import render_to_string

    settings.YIMEN_DEMO = True
    assert BANNER in client.get("/login/").content.decode()
    assert BANNER in render_to_string("500.html")  # rendered without a request


def test_pages_run_no_inline_script(signed_in, settings):
    policy = signed_in.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
