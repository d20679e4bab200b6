"""The replica router's decisions (common/dbrouter.py). The real replica is in ops/tests/test_replica.py."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from yimen.common import dbrouter
from yimen.common.dbrouter import PIN_COOKIE, ReplicaPinningMiddleware, ReplicaRouter, reads_on_replica

router = ReplicaRouter()


@pytest.fixture
def replica(monkeypatch, settings):
    """A configured replica whose lag the test sets (seconds; None: not a replica; an exception: down)."""
    state = SimpleNamespace(lag=0.0, asked=0)

    def lag():
        state.asked += 1
        if isinstance(state.lag, Exception):
            raise state.lag
        return state.lag

    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    monkeypatch.setattr(dbrouter, "replica_lag_seconds", lag)
    settings.YIMEN_REPLICA_MAX_LAG_SECONDS = 5
    settings.YIMEN_REPLICA_LAG_CHECK_SECONDS = 0
    settings.YIMEN_REPLICA_STICKY_SECONDS = 15
    dbrouter.forget_lag()
    cache.clear()
    yield state
    dbrouter.forget_lag()
    cache.clear()


def _where_reads_go(request) -> str:
    @reads_on_replica
    def view(request):
        return router.db_for_read(None)

    return view(request)


def _user(pk=7):
    return SimpleNamespace(pk=pk, is_authenticated=True)


def test_without_a_replica_every_read_goes_to_the_primary():
    request = RequestFactory().get("/")
    assert _where_reads_go(request) == "default"
    assert router.db_for_read(None) == "default"


def test_a_read_only_view_reads_the_replica_and_nothing_else_does(replica):
    assert _where_reads_go(RequestFactory().get("/")) == "replica"
    assert router.db_for_read(None) == "default"  # outside the view
    with dbrouter.replica_reads():
        assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "cases") is False and router.allow_migrate("default", "cases") is True


def test_a_replica_too_far_behind_or_down_or_promoted_is_not_used(replica):
    for lag in (5.5, None, OSError("connection refused")):
        replica.lag = lag
        dbrouter.forget_lag()
        assert _where_reads_go(RequestFactory().get("/")) == "default", lag
    replica.lag = 4.9
    dbrouter.forget_lag()
    assert _where_reads_go(RequestFactory().get("/")) == "replica"


def test_the_lag_is_asked_at_most_once_per_check_interval(replica, settings):
    settings.YIMEN_REPLICA_LAG_CHECK_SECONDS = 60
    for _ in range(5):
        _where_reads_go(RequestFactory().get("/"))
    assert replica.asked == 1


def test_after_a_write_the_user_reads_the_primary_on_every_web_node(replica):
    factory = RequestFactory()
    post = factory.post("/api/v1/cases")
    post.auth = _user()  # Django Ninja's authenticated user; API clients keep no cookie
    response = ReplicaPinningMiddleware(lambda request: HttpResponse(status=201))(post)
    assert response.cookies[PIN_COOKIE]["max-age"] == 15

    same_user = factory.get("/api/v1/cases")
    same_user.auth = _user()
    assert _where_reads_go(same_user) == "default"  # pinned through the shared cache, no cookie
    browser = factory.get("/cases/export.xlsx", HTTP_COOKIE=f"{PIN_COOKIE}=1")
    assert _where_reads_go(browser) == "default"  # pinned by the cookie
    other = factory.get("/api/v1/cases")
    other.auth = _user(pk=8)
    assert _where_reads_go(other) == "replica"


def test_a_read_pins_nobody(replica):
    get = RequestFactory().get("/api/v1/cases")
    get.auth = _user()
    response = ReplicaPinningMiddleware(lambda request: HttpResponse())(get)
    assert PIN_COOKIE not in response.cookies
    assert _where_reads_go(get) == "replica"


def test_when_the_cache_cannot_say_the_user_reads_the_primary(replica, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get", broken)
    request = RequestFactory().get("/api/v1/cases")
    request.auth = _user()
    assert _where_reads_go(request) == "default"


def test_the_start_is_refused_when_a_user_could_miss_their_own_write(settings, monkeypatch):
    from yimen.common.checks import check_replica_reads_own_writes

    assert check_replica_reads_own_writes() == []  # no replica
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    settings.YIMEN_REPLICA_STICKY_SECONDS, settings.YIMEN_REPLICA_MAX_LAG_SECONDS = 5, 5
    assert check_replica_reads_own_writes() == []
    settings.YIMEN_REPLICA_STICKY_SECONDS = 4
    assert [m.id for m in check_replica_reads_own_writes()] == ["yimen.E050"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in check_replica_reads_own_writes()] == ["yimen.E050", "yimen.W050"]
