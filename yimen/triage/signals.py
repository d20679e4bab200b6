"""Danger signals: money, head-count, ages and keyword rules, each with a weight and a reason.

All patterns are compiled once per `TriageConfig` (cached on a weak map keyed by the config), so a
suggestion costs a few dozen regex scans over a short text.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any

import cn2an

from yimen.triage.config import SignalRuleDef, TriageConfig

# -- numbers --------------------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟几"
_NUM_START = rf"(?:\d|[{_CN_DIGITS}])"
_NUM_BODY = rf"(?:\d|\.(?=\d)|,(?=\d{{3}}(?!\d))|[{_CN_DIGITS}]|多|余|来)*"
_APPROX = re.compile("[多余来]")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?")

# A number phrase followed by a currency word. `w`/`k` are the colloquial 万/千 ("5w", "8k").
_MONEY = re.compile(
    rf"(?P<pre>[¥$]|人民币|rmb)?\s*"
    rf"(?<![\d.])(?<!\d,)(?P<num>{_NUM_START}{_NUM_BODY})"
    rf"(?:\s*(?P<wk>[wk])(?![a-z]))?"
    rf"\s*(?P<unit>元|块钱|块|圆|美元|港币|毛钱)?",
    re.IGNORECASE,
)
# After a bare 万/亿 amount, these words mean it counts something other than money.
_NOT_MONEY_AFTER = re.compile(
    r"^(?:人|名|户|个|位|家|平|亩|公|米|千米|斤|吨|字|次|辆|台|套|件|头|只|株|棵|方|立方|册|份|条|张|多人|余人|多户|余户|余名|多名|步|粒|瓶|箱|袋|年|天|岁|小时|分钟|里|km|m|kg)"
)
_BARE_MONEY_BEFORE = re.compile(
    r"(?:欠|借|还|赔|付|给|要|差|少|拿|转|退|收|花|损失|价值|共计|合计|总共|一共|工资|工钱|押金|定金|费用|款|租|费|价|大概|大约|约|差不多)"
    r"(?:了|我|他|她|我们|他们|你|款)?\s*$"
)
_BARE_MONEY_AFTER = re.compile(r"^(?:$|[\s,，。.;；!！?？、)）]|的|了|没|还|都|也|呢|啊|不|一直)")
# "三元区", "三元里", "多元化": a numeral + 元 that names a place or a word, not a sum.
_NOT_MONEY_AFTER_YUAN = re.compile(r"^(?:区|县|市|镇|乡|村|里|路|街|桥|宫|素|化|论|件|器|旦|首|帅|老|宵|气)")

# Counting people: "34名工人", "42户", "二十多个农民工", "上百名业主".
_PEOPLE_NOUNS = (
    "工人|农民工|民工|村民|业主|人|居民|住户|员工|职工|学生|家长|商户|老人|群众|租户|会员|投资人|"
    "客户|债主|店主|商家|租客|购房户|家庭|农户|渔民|果农|菜农|司机|骑手|保安|保洁|师傅|工友|老乡|学员|患者|消费者"
)
_HEADCOUNT = re.compile(
    rf"(?<![\d.第])(?P<num>上百|上千|数十|数百|几十|几百|{_NUM_START}{_NUM_BODY})"
    rf"(?P<mw>名|位|户|人|个|家)(?P<noun>{_PEOPLE_NOUNS})?"
)
_HEADCOUNT_NOT = re.compile(r"^(?:民|次|份|数|口|之|们|际|事|员|格|生|身|情|性|工费|力)")
# "兄妹四人" counts a family, not a crowd.
_FAMILY_BEFORE = re.compile(r"(?:兄妹|兄弟|姐妹|姐弟|夫妻|母子|父子|母女|父女|一家|全家|家里|家中|我们家|祖孙|婆媳)$")
_HEADCOUNT_SPECIAL = {"上百": 100, "上千": 1000, "数十": 20, "数百": 200, "几十": 20, "几百": 200}

_AGE = re.compile(rf"(?<![\d.])(?P<num>\d{{1,3}}|[一二两三四五六七八九十]+)(?P<approx>多|来)?(?:周)?岁")
_AGE_WORDS = {"八旬": 80, "九旬": 90, "七旬": 70, "古稀": 70, "耄耋": 85, "花甲": 60, "六旬": 60}
_AGE_WORDS_RE = re.compile("|".join(_AGE_WORDS))


def parse_number(raw: str) -> tuple[float, bool] | None:
    """Parse "24万余", "三十多万", "1,200", "一万五", "十几" → (value, approximate)."""
    approx = bool(_APPROX.search(raw)) or "几" in raw
    s = raw
    m = _THOUSANDS.match(s)
    if m and m.end() == len(s.rstrip("多余来")):
        s = s.replace(",", "")
    s = _APPROX.sub("", s).replace("几", "二").rstrip(".,")
    if not s or "," in s:
        return None
    try:
        value = float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value, approx


@dataclass(frozen=True)
class Amount:
    value: float
    approximate: bool
    text: str
    start: int


def extract_amounts(text: str) -> list[Amount]:
    """Sums of money in any numeral style: "24万余元", "3.5万元", "二十四万", "壹万贰仟元", "5w"."""
    out: list[Amount] = []
    for m in _MONEY.finditer(text):
        num = m.group("num")
        unit = m.group("unit")
        wk = m.group("wk")
        pre = m.group("pre")
        parsed = parse_number(num)
        if parsed is None:
            continue
        value, approx = parsed
        if wk:
            value *= 10000 if wk.lower() == "w" else 1000
        elif unit == "毛钱":
            value /= 10
        after = text[m.end() :]
        if unit == "元" and not pre and _NOT_MONEY_AFTER_YUAN.match(after):
            continue
        if not (unit or wk or pre):
            # A bare number is money only when it is counted in 万/亿 and not followed by a measure
            # word ("欠了三万多" yes, "2万人" no), or when a money verb precedes it ("欠我3000").
            core = _APPROX.sub("", num)
            if core.endswith(("万", "亿")):
                if _NOT_MONEY_AFTER.match(after):
                    continue
            elif not (_BARE_MONEY_BEFORE.search(text[max(0, m.start() - 6) : m.start()]) and _BARE_MONEY_AFTER.match(after)):
                continue
            if value < 100:
                continue
        if value <= 0:
            continue
        out.append(Amount(value=value, approximate=approx, text=m.group(0).strip(), start=m.start()))
    return out


@dataclass(frozen=True)
class HeadCount:
    value: int
    approximate: bool
    text: str


def extract_headcounts(text: str) -> list[HeadCount]:
    out: list[HeadCount] = []
    for m in _HEADCOUNT.finditer(text):
        num, mw, noun = m.group("num"), m.group("mw"), m.group("noun")
        after = text[m.end() :]
        if not noun and _HEADCOUNT_NOT.match(after):
            continue
        if mw in ("个", "家") and not noun:
            continue
        if mw == "人" and noun == "人":
            continue
        if _FAMILY_BEFORE.search(text[max(0, m.start() - 3) : m.start()]):
            continue
        if num in _HEADCOUNT_SPECIAL:
            value, approx = float(_HEADCOUNT_SPECIAL[num]), True
        else:
            parsed = parse_number(num)
            if parsed is None:
                continue
            value, approx = parsed
        if value < 1 or value != int(value) or value > 10_000_000:
            continue
        out.append(HeadCount(value=int(value), approximate=approx, text=m.group(0)))
    return out


def extract_ages(text: str) -> list[int]:
    ages: list[int] = []
    for m in _AGE.finditer(text):
        parsed = parse_number(m.group("num"))
        if parsed and 0 < parsed[0] < 120:
            ages.append(int(parsed[0]))
    ages.extend(_AGE_WORDS[m.group(0)] for m in _AGE_WORDS_RE.finditer(text))
    return ages


# -- signals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    value: Any
    weight: float
    explanation: str
    match: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "weight": self.weight,
            "explanation": self.explanation,
        }


class _CompiledRule:
    __slots__ = ("rule", "groups", "exclude")

    def __init__(self, rule: SignalRuleDef) -> None:
        self.rule = rule
        self.groups = [re.compile("|".join(f"(?:{p})" for p in g), re.IGNORECASE) for g in rule.groups if g]
        self.exclude = re.compile("|".join(f"(?:{p})" for p in rule.exclude)) if rule.exclude else None

    def first_hits(self, text: str) -> list[str] | None:
        """The first non-excluded hit of every group, or None when any group has none."""
        blocked = [m.span() for m in self.exclude.finditer(text)] if self.exclude else ()
        hits = []
        for g in self.groups:
            for m in g.finditer(text):
                s, e = m.span()
                if not any(bs < e and s < be for bs, be in blocked):
                    hits.append(m.group(0))
                    break
            else:
                return None
        return hits


_compiled: weakref.WeakKeyDictionary[TriageConfig, list[_CompiledRule]] = weakref.WeakKeyDictionary()


def _rules_for(config: TriageConfig) -> list[_CompiledRule]:
    rules = _compiled.get(config)
    if rules is None:
        rules = [_CompiledRule(r) for r in config.signals]
        _compiled[config] = rules
    return rules


def format_amount(value: float) -> str:
    if value >= 100_000_000:
        return f"{value / 100_000_000:g}亿"
    if value >= 10_000:
        return f"{round(value / 10_000, 2):g}万"
    return f"{value:g}"


def _tier(rule: SignalRuleDef, value: float) -> tuple[float, str] | None:
    for minimum, weight, explanation in sorted(rule.tiers, key=lambda t: -t[0]):
        if value >= minimum:
            return weight, explanation
    return None


def detect_signals(match_text: str, config: TriageConfig) -> list[Signal]:
    """Every signal rule that fires on the normalised, lower-cased text, in rule order."""
    out: list[Signal] = []
    for compiled in _rules_for(config):
        rule = compiled.rule
        if rule.kind == "money":
            amounts = extract_amounts(match_text)
            if not amounts:
                continue
            best = max(amounts, key=lambda a: a.value)
            tier = _tier(rule, best.value)
            if tier:
                value = int(best.value) if best.value == int(best.value) else best.value
                shown = format_amount(best.value) + ("余" if best.approximate else "")
                out.append(Signal(rule.name, rule.label, value, tier[0], tier[1].format(value=shown, match=best.text), best.text))
        elif rule.kind == "headcount":
            counts = extract_headcounts(match_text)
            if not counts:
                continue
            best = max(counts, key=lambda c: c.value)
            tier = _tier(rule, best.value)
            if tier:
                shown = f"{best.value}" + ("余" if best.approximate else "")
                out.append(Signal(rule.name, rule.label, best.value, tier[0], tier[1].format(value=shown, match=best.text), best.text))
        elif rule.kind == "age":
            ages = [
                a
                for a in extract_ages(match_text)
                if (rule.min_age is None or a >= rule.min_age) and (rule.max_age is None or a <= rule.max_age)
            ]
            hits = compiled.first_hits(match_text) if compiled.groups else None
            if ages:
                age = max(ages) if rule.min_age is not None else min(ages)
                out.append(Signal(rule.name, rule.label, age, rule.weight, rule.explanation.format(value=age, match=f"{age}岁"), f"{age}岁"))
            elif hits:
                out.append(Signal(rule.name, rule.label, hits[0], rule.weight, rule.explanation.format(value=hits[0], match=hits[0]), hits[0]))
        else:
            hits = compiled.first_hits(match_text)
            if hits:
                shown = "”“".join(hits)
                out.append(Signal(rule.name, rule.label, hits[0], rule.weight, rule.explanation.format(value=hits[0], match=shown), shown))
    return out
