import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Tests roll the database back but not the per-process calendar and policy caches."""
    from yimen.cases.calendar import clear_calendar_cache
    from yimen.cases.deadlines import clear_policy_cache

    clear_calendar_cache()
    clear_policy_cache()
    yield
    clear_calendar_cache()
    clear_policy_cache()


@pytest.fixture
def world(db):
    from yimen.common.testing import make_world

    return make_world()
