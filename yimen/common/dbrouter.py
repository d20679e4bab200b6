"""Reads on a PostgreSQL streaming replica, only where a view asked for them (docs/operations.md,
"More than one machine").

With YIMEN_REPLICA_DATABASE_URL set, settings add a `replica` database and this router. It sends a
read to the replica only inside `replica_reads()` — the dashboards, the Excel ledger and the API's
list endpoints opt in with one decorator line each — and everything else, every write and every
migration to `default`. The router decides by that context flag, never by model: common/ knows no
domain app.

Inside the context the replica is skipped (reads stay on the primary) when
  - the user acted a moment ago: a write request (POST, PUT, PATCH, DELETE) pins the user to the
    primary for YIMEN_REPLICA_STICKY_SECONDS, by a cookie (the browser) and by a key in the shared
    cache under the user's id (API clients that keep no cookies, on any web node) —
    `ReplicaPinningMiddleware`; so a user always reads their own write;
  - the replica lags more than YIMEN_REPLICA_MAX_LAG_SECONDS behind (pg_last_xact_replay_timestamp(),
    checked at most every YIMEN_REPLICA_LAG_CHECK_SECONDS per process), is not in recovery any more,
    or does not answer.

Why our own ~100 lines rather than a library: django-multidb-router (maintained) sends every read to
the replicas unless pinned, the opposite of an opt-in, and checks no lag; django-replicated (last
release 2020) is unmaintained. Both pin by cookie only.
"""

import contextlib
import contextvars
import functools
import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger("yimen.replica")

REPLICA = "replica"
PIN_COOKIE = "yimen_primary"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# True inside replica_reads(); a context variable, so threads (gthread workers) and async tasks each
# have their own.
_reads_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("yimen_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads(*, pinned: bool = False):
    """Send this block's reads to the replica, unless `pinned` (the user just wrote) or the replica
    lags. Writes inside it still go to the primary."""
    use = replica_configured() and not pinned and replica_fresh()
    token = _reads_on_replica.set(use)
    try:
        yield use
    finally:
        _reads_on_replica.reset(token)


def reads_on_replica(view):
    """Decorator for a read-only view (a Django view or a Django Ninja operation): its reads go to the
    replica unless the requesting user is pinned to the primary. Put it under the authentication
    decorators, so that loading the user and the session stays on the primary."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with replica_reads(pinned=is_pinned(request)):
            return view(request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        # Outside the context, "default" explicitly: an object read on the replica must not pull its
        # related rows from there later, after the view left the context.
        return REPLICA if _reads_on_replica.get() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both: the replica is a copy of the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica receives the schema by replication


# ---- read-your-writes --------------------------------------------------------------------------


def _pin_key(user_id) -> str:
    return f"yimen:replica-pin:{user_id}"


def _user_id(request):
    user = getattr(request, "auth", None)  # Django Ninja's authenticated user (token or session)
    if not getattr(user, "is_authenticated", False):
        user = getattr(request, "user", None)
    return user.pk if getattr(user, "is_authenticated", False) else None


def is_pinned(request) -> bool:
    """Did this browser or this user send a write in the last YIMEN_REPLICA_STICKY_SECONDS?"""
    if not replica_configured():
        return False
    if PIN_COOKIE in request.COOKIES:
        return True
    user_id = _user_id(request)
    if user_id is None:
        return False
    from django.core.cache import cache

    try:
        return cache.get(_pin_key(user_id)) is not None
    except Exception:  # the cache is down: the primary is always right
        logger.warning("replica: cannot read the pin of user %s from the cache; reading the primary", user_id)
        return True


class ReplicaPinningMiddleware:
    """After a write request, pin the browser (cookie) and the user (shared cache) to the primary for
    YIMEN_REPLICA_STICKY_SECONDS. Placed after the authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in _UNSAFE and replica_configured():
            seconds = settings.YIMEN_REPLICA_STICKY_SECONDS
            response.set_cookie(PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
            user_id = _user_id(request)
            if user_id is not None:
                from django.core.cache import cache

                try:
                    cache.set(_pin_key(user_id), 1, timeout=seconds)
                except Exception:  # the cookie still pins a browser; is_pinned() reads the primary then
                    logger.warning("replica: cannot store the pin of user %s in the cache", user_id)
        return response


# ---- replication lag ---------------------------------------------------------------------------

_LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
"""
_lag_lock = threading.Lock()
_lag_cache: dict[str, float | bool] = {"checked": float("-inf"), "fresh": False}


def replica_lag_seconds() -> float | None:
    """Seconds the replica is behind the primary; None when it is no replica (promoted) or has
    replayed nothing yet. A streaming replica that has replayed all it received is 0 behind, however
    long ago the primary last wrote (the replay timestamp alone would make an idle primary look late)."""
    from django.db import connections

    with connections[REPLICA].cursor() as cursor:
        cursor.execute(_LAG_SQL)
        in_recovery, streaming, caught_up, since_replay = cursor.fetchone()
    if not in_recovery:
        return None
    if streaming and caught_up:
        return 0.0
    return None if since_replay is None else float(since_replay)


def replica_fresh() -> bool:
    """Is the replica within YIMEN_REPLICA_MAX_LAG_SECONDS? Asked at most every
    YIMEN_REPLICA_LAG_CHECK_SECONDS per process; an error counts as "no" until the next check."""
    now = time.monotonic()
    with _lag_lock:
        if now - _lag_cache["checked"] < settings.YIMEN_REPLICA_LAG_CHECK_SECONDS:
            return bool(_lag_cache["fresh"])
        _lag_cache["checked"] = now  # one thread checks; the others take the last answer meanwhile
    try:
        lag = replica_lag_seconds()
    except Exception:
        logger.warning("replica: the lag check failed; reading the primary", exc_info=True)
        from django.db import connections

        with contextlib.suppress(Exception):  # a broken connection is opened afresh next time
            connections[REPLICA].close()
        lag = None
    fresh = lag is not None and lag <= settings.YIMEN_REPLICA_MAX_LAG_SECONDS
    if not fresh:
        logger.info("replica: not used for %ss (lag %s)", settings.YIMEN_REPLICA_LAG_CHECK_SECONDS,
                    "unknown" if lag is None else f"{lag:.1f}s")
    _lag_cache["fresh"] = fresh
    return fresh


def forget_lag() -> None:
    """Tests: the next replica_reads() checks the lag again."""
    with _lag_lock:
        _lag_cache.update(checked=float("-inf"), fresh=False)
