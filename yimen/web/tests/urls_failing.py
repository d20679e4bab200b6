"""Test-only URLs: the project's own, plus a staff page and a residents' page that fail as a bug would,
with a party's ID number and phone in the exception (what Django's debug page used to echo)."""

from django.urls import path

from yimen.urls import handler404, handler500, urlpatterns as project_urls  # noqa: F401

PRIVATE = "110101199003074477 13800138000"


def failing(request):
    raise RuntimeError(f"bug while saving party {PRIVATE}")


def forgot_the_check(request):
    # What psycopg raises when a NUL reaches PostgreSQL through a field no validator saw.
    from django.db import DataError

    raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")


urlpatterns = [path("failing/", failing), path("r/failing/", failing), path("forgot/", forgot_the_check), *project_urls]
