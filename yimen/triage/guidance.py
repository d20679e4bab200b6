"""A handling guide per matter: approach, units to convene, legal basis, similar resolved cases.

The rule-based guide always answers. An LLM behind an OpenAI-compatible endpoint may add a drafted
plan when `YIMEN_TRIAGE_LLM_URL` is set and `YIMEN_TRIAGE_LLM_ENABLED=true`; its text is kept only if
every article it cites exists in the statute library, because a mediator will read the citations
out to residents.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yimen.triage import paths

logger = logging.getLogger(__name__)

_CITATION = re.compile(r"《([^》]{2,60})》\s*(?:的)?第([零〇一二两三四五六七八九十百千\d]+)条")


@dataclass
class Guide:
    approach: str
    steps: list[str]
    convene: list[str]
    legal_basis: list[dict[str, Any]]
    similar_cases: list[dict[str, Any]]
    llm_text: str = ""
    llm_status: str = "off"  # off / ok / rejected / error
    llm_note: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "approach": self.approach,
            "steps": self.steps,
            "convene": self.convene,
            "legal_basis": self.legal_basis,
            "similar_cases": self.similar_cases,
            "notes": self.notes,
            "llm": {"status": self.llm_status, "text": self.llm_text, "note": self.llm_note},
        }


def build_guide(suggestion, *, config, history=None, use_llm: bool | None = None) -> Guide:
    """The rule-based guide for a `Suggestion`, optionally enriched by the LLM."""
    cat = config.category_by_code.get(suggestion.category)
    approach = cat.approach if cat else ""
    steps = list(cat.steps) if cat else []
    notes = []
    if suggestion.risk.value == "red":
        notes.append("红色风险：24小时内由政法委（或中心主任）牵头召开联席会商，落实“六个一”化解方案并全程稳控。")
    elif suggestion.risk.value == "yellow":
        notes.append("黄色风险：由乡镇（街道）或中心负责人包案，明确化解时限并定期研判。")
    names = {s.name for s in suggestion.signals}
    if names & {"threat_violence", "self_harm"}:
        notes.append("当事人有极端言行：先稳控情绪、落实专人陪护，必要时通知公安和心理咨询人员到场。")
    if names & {"grave_incident_risk", "mass_incident_risk"}:
        notes.append("可能引发恶性或群体性事件：立即报告党委政法委、提级督办，公安提前介入，制定稳控预案，防止聚集和“民转刑”。")
    elif "worsening" in names:
        notes.append("矛盾有激化趋势：尽快安排双方分开见面、先稳情绪，派出所参与联调，防止“民转刑”。")
    if "business_closed" in names:
        notes.append("经营者突然停业：登记受损人员和金额，协调市场监管（预付卡）或人社（欠薪）部门固定证据、查控财产，涉嫌诈骗的移送公安。")
    if "after_ruling" in names:
        notes.append("已有生效裁判：调解不得违背裁判内容，重点做释法明理和执行和解工作。")
    if names & {"repeat_visit", "prior_escalation", "repeat_party"}:
        notes.append("多次反映的事项：调阅以往办理记录，避免重复答复，确定包案领导一包到底。")
    similar = []
    if history is not None and hasattr(history, "similar_resolved"):
        for m in history.similar_resolved(suggestion.normalized, category=suggestion.category, limit=3):
            similar.append({"ref": m.ref, "text": m.text[:120], "outcome": m.outcome, "received_at": m.received_at.isoformat()})
    guide = Guide(
        approach=approach,
        steps=steps,
        convene=[u.name for u in suggestion.units],
        legal_basis=[h.as_dict() for h in suggestion.legal_basis],
        similar_cases=similar,
        notes=notes,
    )
    if use_llm is None:
        use_llm = llm_enabled()
    if use_llm:
        _add_llm_text(guide, suggestion)
    return guide


# -- optional LLM step ----------------------------------------------------------------------------


def llm_enabled() -> bool:
    raw = str(paths.setting("YIMEN_TRIAGE_LLM_ENABLED", "false")).strip().lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ValueError(f"YIMEN_TRIAGE_LLM_ENABLED must be 'true' or 'false', not {raw!r}")
    return raw in ("true", "1") and bool(paths.setting("YIMEN_TRIAGE_LLM_URL", ""))


def _api_key() -> str:
    key_file = paths.setting("YIMEN_TRIAGE_LLM_API_KEY_FILE", "")
    if key_file:
        return Path(key_file).read_text(encoding="utf-8").strip()
    return str(paths.setting("YIMEN_TRIAGE_LLM_API_KEY", "") or "")


def _prompt(suggestion) -> list[dict[str, str]]:
    articles = "\n".join(f"《{h.law}》{h.article}：{h.text}" for h in suggestion.legal_basis)
    signals = "；".join(s.explanation for s in suggestion.signals) or "无"
    units = "、".join(f"{u.name}（{'牵头' if u.role == 'lead' else '协办'}）" for u in suggestion.units)
    system = (
        "你是综治中心的矛盾纠纷调解指导员。根据事项内容写一份简明的处置建议（不超过300字），"
        "包括调解方式、需要召集的单位和步骤。引用法律时只能引用下面“可引用条文”中列出的条文，"
        "格式为《法律名称》第X条；不得引用其他条文，不得编造。"
    )
    user = (
        f"事项：{suggestion.original}\n类别：{suggestion.category_label}\n风险：{suggestion.risk.label}；{signals}\n"
        f"建议单位：{units}\n可引用条文：\n{articles or '（无）'}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def call_llm(messages: list[dict[str, str]]) -> str:
    """POST to {YIMEN_TRIAGE_LLM_URL}/chat/completions and return the first choice's text."""
    base = str(paths.setting("YIMEN_TRIAGE_LLM_URL", "")).rstrip("/")
    url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
    body = json.dumps(
        {"model": paths.setting("YIMEN_TRIAGE_LLM_MODEL", "gpt-4o-mini"), "messages": messages, "temperature": 0.2},
        ensure_ascii=False,
    ).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    key = _api_key()
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    timeout = float(paths.setting("YIMEN_TRIAGE_LLM_TIMEOUT", 15))
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL comes from the operator's settings
        payload = json.loads(resp.read().decode("utf-8"))
    return str(payload["choices"][0]["message"]["content"]).strip()


def unknown_citations(text: str, index) -> list[str]:
    """Citations in `text` that name an article the statute library does not hold."""
    from yimen.triage.signals import parse_number

    missing = []
    for m in _CITATION.finditer(text):
        law, raw = m.group(1), m.group(2)
        parsed = parse_number(raw)
        number = int(parsed[0]) if parsed else -1
        if index.find(law, number) is None:
            missing.append(f"《{law}》第{raw}条")
    return missing


def _add_llm_text(guide: Guide, suggestion) -> None:
    from yimen.triage import legal

    try:
        text = call_llm(_prompt(suggestion))
    except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError, ValueError) as exc:
        logger.warning("triage LLM call failed: %s", exc)
        guide.llm_status, guide.llm_note = "error", "大模型服务暂不可用，已使用规则生成的处置建议"
        return
    missing = unknown_citations(text, legal.get_index())
    if missing:
        guide.llm_status = "rejected"
        guide.llm_note = "大模型建议引用了法规库中不存在的条文（" + "、".join(missing) + "），已舍弃"
        return
    guide.llm_status, guide.llm_text = "ok", text
