import pytest


@pytest.fixture
def world(db):
    from yimen.common.testing import make_world

    return make_world()
