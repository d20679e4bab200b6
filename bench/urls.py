"""Yimen's URLs plus the bare insert view (POST /bench/insert)."""

from django.urls import path

from bench.bare.views import insert
from yimen.urls import urlpatterns as yimen_urlpatterns

urlpatterns = [path("bench/insert", insert, name="bench-insert"), *yimen_urlpatterns]
