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
    from yimen.testing import make_world

    return make_world()


@pytest.fixture
def lexicon_only(tmp_path, monkeypatch):
    """The triage lexicon answers alone: no trained model from a developer's var/ leaks into a test."""
    from yimen.triage import classify

    monkeypatch.setenv("YIMEN_TRIAGE_MODELS_DIR", str(tmp_path / "models"))
    classify.forget_models()
    yield
    classify.forget_models()


@pytest.fixture(autouse=True)
def _site_language():
    """A test that switched the interface to English (a request with the language cookie activates it
    in this thread) must not leave the next test reading English messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _assignment_copies_agree(request):
    """After every test that used the database: each assignment's copies of its matter's fields
    (cases/copies.py, what the unit lists filter on) equal the matter's. A writer that forgets to
    refresh them fails the test that exercised it."""
    yield
    if not ({"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)) and not request.node.get_closest_marker("django_db"):
        return
    from django.db import connection

    if connection.connection is None and not connection.in_atomic_block:
        return
    from yimen.cases.copies import mismatched_assignments
    from yimen.cases.overdue import mismatched_overdue_rows

    try:
        found = mismatched_assignments()
        overdue = mismatched_overdue_rows()
    except Exception:  # noqa: BLE001 - a test that broke its connection on purpose is not ours to judge
        return
    assert not found, f"assignment copies differ from their matters (cases/copies.py): {found[:10]}"
    # The same for the overdue matters' table, which the database's triggers keep (cases/overdue.py).
    assert not overdue, f"the overdue matters' table differs from the flags (cases/overdue.py): {overdue[:10]}"
