"""The settings of more than one machine (docs/operations.md, "More than one machine"): what each
environment variable turns on."""

import runpy
from pathlib import Path

import pytest

from yimen.common.env import ImproperEnvironment

SETTINGS = Path(__file__).resolve().parents[2] / "settings.py"
_OURS = ("YIMEN_REPLICA_DATABASE_URL", "YIMEN_REDIS_CACHE", "YIMEN_TASK_BACKEND", "YIMEN_LIST_TIMEOUT_MS",
         "YIMEN_REPLICA_STATEMENT_TIMEOUT_MS")


def _settings(monkeypatch, **env) -> dict:
    for name in _OURS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_one_machine_has_no_replica_no_router_and_the_process_cache(monkeypatch):
    s = _settings(monkeypatch)
    assert list(s["DATABASES"]) == ["default"]
    assert "DATABASE_ROUTERS" not in s and "CACHES" not in s
    assert "yimen.common.dbrouter.ReplicaPinningMiddleware" not in s["MIDDLEWARE"]


def test_a_replica_url_adds_the_replica_the_router_and_the_pinning_middleware(monkeypatch):
    s = _settings(monkeypatch, YIMEN_DATABASE_URL="postgres://yimen@db1/yimen",
                  YIMEN_REPLICA_DATABASE_URL="postgres://yimen@db2/yimen", YIMEN_LIST_TIMEOUT_MS="2500")
    replica = s["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("db2", "yimen")
    # the list time limit holds on the replica's sessions too
    assert replica["OPTIONS"]["options"] == "-c statement_timeout=2500"
    assert s["DATABASE_ROUTERS"] == ["yimen.common.dbrouter.ReplicaRouter"]
    middleware = s["MIDDLEWARE"]
    # after authentication: it pins the signed-in user
    assert middleware.index("yimen.common.dbrouter.ReplicaPinningMiddleware") > \
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")


def test_a_replica_that_is_not_postgresql_stops_the_start(monkeypatch):
    with pytest.raises(ImproperEnvironment):
        _settings(monkeypatch, YIMEN_REPLICA_DATABASE_URL="sqlite:///replica.sqlite3")


@pytest.mark.parametrize("env", [{"YIMEN_REDIS_CACHE": "true"}, {"YIMEN_TASK_BACKEND": "rq"}])
def test_redis_holds_the_cache_and_the_sessions_when_asked_or_with_redis_workers(monkeypatch, env):
    s = _settings(monkeypatch, YIMEN_REDIS_URL="redis://cache1:6379/2", **env)
    assert s["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert s["CACHES"]["default"]["LOCATION"] == "redis://cache1:6379/2"
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_redis_workers_may_keep_the_process_cache(monkeypatch):
    s = _settings(monkeypatch, YIMEN_TASK_BACKEND="rq", YIMEN_REDIS_CACHE="false")
    assert "CACHES" not in s and "SESSION_ENGINE" not in s
