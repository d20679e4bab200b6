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
