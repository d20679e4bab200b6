from unittest import mock

import pytest

from yimen.common.refcache import RefCache, clear_all
from yimen.regions.models import Level, Region


class Loads:
    """A loader that counts its calls."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_a_value_is_loaded_once_and_served_from_memory_after():
    cache, load = RefCache("t_once", models=()), Loads("桃源镇")
    assert [cache.get("k", load) for _ in range(3)] == ["桃源镇"] * 3
    assert load.calls == 1


def test_nothing_found_is_remembered_too():
    cache, load = RefCache("t_none", models=()), Loads(None)
    assert cache.get("unknown", load) is None and cache.get("unknown", load) is None
    assert load.calls == 1


def test_an_entry_older_than_its_lifetime_is_read_again():
    cache, load = RefCache("t_ttl", models=(), seconds=60), Loads("v")
    with mock.patch("yimen.common.refcache.time.monotonic", return_value=1000.0):
        cache.get("k", load)
    with mock.patch("yimen.common.refcache.time.monotonic", return_value=1060.0):
        cache.get("k", load)
    assert load.calls == 1
    with mock.patch("yimen.common.refcache.time.monotonic", return_value=1060.5):
        cache.get("k", load)
    assert load.calls == 2


def test_a_full_cache_starts_again_empty_instead_of_growing():
    cache = RefCache("t_full", models=(), max_entries=3)
    for key in "abc":
        cache.get(key, Loads(key))
    assert len(cache) == 3
    cache.get("d", Loads("d"))
    assert len(cache) == 1


def test_clear_all_empties_every_cache():
    first, second = RefCache("t_all1", models=()), RefCache("t_all2", models=())
    first.get("k", Loads(1))
    second.get("k", Loads(2))
    clear_all()
    assert len(first) == len(second) == 0


@pytest.mark.django_db
def test_saving_or_deleting_a_row_of_its_models_empties_it():
    cache = RefCache("t_signals", models=(Region,))
    cache.get("k", Loads(1))
    region = Region.objects.create(code="4491", name="新市", level=Level.CITY)
    assert len(cache) == 0
    cache.get("k", Loads(1))
    region.delete()
    assert len(cache) == 0
