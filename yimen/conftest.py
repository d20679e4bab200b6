import pytest


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Tests roll the database back but not the per-process caches (calendar, reference data)."""
    from yimen.cases.calendar import clear_calendar_cache
    from yimen.common.refcache import clear_all

    clear_calendar_cache()
    clear_all()
    yield
    clear_calendar_cache()
    clear_all()


@pytest.fixture
def world(db):
    from yimen.common.testing import make_world

    return make_world()
