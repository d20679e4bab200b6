import json
import urllib.error
from datetime import datetime
from unittest import mock

from yimen.triage import guidance
from yimen.triage.engine import suggest
from yimen.triage.repeats import InMemoryHistory, PriorMatter

NOW = datetime(2025, 6, 10, 9, 0)


def _suggestion(config, text="楼上漏水把我家天花板泡坏了，邻居不肯赔"):
    return suggest(text, config=config, model=None, now=NOW)


class _Resp:
    def __init__(self, content):
        self.body = json.dumps({"choices": [{"message": {"content": content}}]}).encode()

    def read(self):
        return self.body

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_the_rule_guide_names_approach_units_basis_and_similar_cases(config):
    s = _suggestion(config)
    history = InMemoryHistory([PriorMatter("R-9", "楼上漏水泡坏天花板", NOW, (), "neighbour", True, "楼上赔偿1500元")])
    g = guidance.build_guide(s, config=config, history=history, use_llm=False)
    assert "面对面" in g.approach
    assert g.convene == [u.name for u in s.units]
    assert g.legal_basis and g.legal_basis[0]["law"] == "示例市邻里纠纷调解办法"
    assert g.similar_cases[0]["ref"] == "R-9"
    assert g.llm_status == "off"


def test_the_llm_is_off_by_default(monkeypatch):
    monkeypatch.delenv("YIMEN_TRIAGE_LLM_ENABLED", raising=False)
    monkeypatch.setenv("YIMEN_TRIAGE_LLM_URL", "http://llm.invalid/v1")
    assert guidance.llm_enabled() is False


def _enable(monkeypatch):
    monkeypatch.setenv("YIMEN_TRIAGE_LLM_ENABLED", "true")
    monkeypatch.setenv("YIMEN_TRIAGE_LLM_URL", "http://llm.invalid/v1")
    monkeypatch.setenv("YIMEN_TRIAGE_LLM_API_KEY", "k")


def test_llm_text_citing_existing_articles_is_kept(config, monkeypatch):
    _enable(monkeypatch)
    text = "建议村调委会面对面调解，依据《示例市邻里纠纷调解办法》第四条由漏水方维修并赔偿。"
    with mock.patch("urllib.request.urlopen", return_value=_Resp(text)) as urlopen:
        g = guidance.build_guide(_suggestion(config), config=config)
    assert g.llm_status == "ok" and g.llm_text == text
    req = urlopen.call_args[0][0]
    assert req.full_url == "http://llm.invalid/v1/chat/completions"
    assert req.get_header("Authorization") == "Bearer k"
    assert "示例市邻里纠纷调解办法" in json.loads(req.data)["messages"][1]["content"]


def test_llm_text_citing_a_missing_article_is_rejected(config, monkeypatch):
    _enable(monkeypatch)
    text = "依据《示例市邻里纠纷调解办法》第四十条和《民法典》第九千条处理。"
    with mock.patch("urllib.request.urlopen", return_value=_Resp(text)):
        g = guidance.build_guide(_suggestion(config), config=config)
    assert g.llm_status == "rejected" and g.llm_text == ""
    assert "第四十条" in g.llm_note
    assert g.approach  # the rule-based guide still answers


def test_an_unreachable_llm_falls_back_to_the_rules(config, monkeypatch):
    _enable(monkeypatch)
    with mock.patch("urllib.request.urlopen", side_effect=urllib.error.URLError("down")):
        g = guidance.build_guide(_suggestion(config), config=config)
    assert g.llm_status == "error" and g.steps


def test_a_malformed_enabled_flag_is_an_error(monkeypatch):
    monkeypatch.setenv("YIMEN_TRIAGE_LLM_ENABLED", "yes")
    try:
        guidance.llm_enabled()
    except ValueError as exc:
        assert "YIMEN_TRIAGE_LLM_ENABLED" in str(exc)
    else:
        raise AssertionError("a malformed flag must not be read as false")
