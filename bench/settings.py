"""Settings for `python -m bench`: Yimen's own settings on the bench database, plus a bare app.

The bare app (bench.bare) holds the "insert one row" view that registration over HTTP is compared
with, and the marker that says which data set the bench database holds. None of it ships in yimen/.
"""

import os
import warnings

import dj_database_url

from yimen.settings import *
from yimen.settings import INSTALLED_APPS, LOGGING

BENCH_DATABASE_URL = os.environ.get(
    "YIMEN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yimen_bench"
)

# Never measure with DEBUG on: it keeps every query in memory and renders technical error pages.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {"default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=60)}
INSTALLED_APPS = [*INSTALLED_APPS, "bench.bare"]
ROOT_URLCONF = "bench.urls"

# Production logging minus the noise: a warning per request would skew the timings.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}

# The bench serves no static files; whitenoise's warning that var/static/ is missing is noise here.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
