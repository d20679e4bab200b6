"""Yimen's URLs plus the two baselines: POST /bench/insert and POST /bench/rows (bench/bare/views.py)."""

from django.urls import path

from bench.bare.views import insert, rows
from yimen.urls import urlpatterns as yimen_urlpatterns

urlpatterns = [
    path("bench/insert", insert, name="bench-insert"),
    path("bench/rows", rows, name="bench-rows"),
    *yimen_urlpatterns,
]
