"""Test-only URLs: the project's own, plus a staff page and a residents' page that fail as a bug would,
with a party's ID number and phone in the exception (what Django's debug page used to echo)."""

from django.urls import path

from yimen.urls import handler404, handler500, urlpatterns as project_urls  # noqa: F401

PRIVATE = "110101199003074477 13800138000"


def failing(request):
    raise RuntimeError(f"bug while saving party {PRIVATE}")


urlpatterns = [path("failing/", failing), path("r/failing/", failing), *project_urls]
