"""The team's evaluation set: shape checks and a floor under the day-one lexicon's accuracy."""

import csv
from collections import Counter
from pathlib import Path

from yimen.triage.engine import suggest
from yimen.triage.normalize import normalize_text

EVALSET = Path(__file__).resolve().parents[1] / "data" / "evalset.csv"


def rows():
    return list(csv.DictReader(open(EVALSET, encoding="utf-8")))


def test_every_category_of_the_default_tree_has_at_least_30_matters(config):
    counts = Counter(r["category"] for r in rows())
    assert set(counts) == set(config.category_codes)
    assert min(counts.values()) >= 30


def test_the_set_has_traditional_text_risk_and_signal_labels(config):
    data = rows()
    traditional = [r for r in data if normalize_text(r["text"]) != r["text"].replace("，", ",").replace("：", ":").replace("？", "?").replace("！", "!").replace("（", "(").replace("）", ")").replace("；", ";")]
    assert len(traditional) >= 15
    assert {r["risk"] for r in data} == {"red", "yellow", "blue"}
    known = {s.name for s in config.signals}
    assert all(set(filter(None, r["signals"].split(","))) <= known for r in data)


def test_the_lexicon_alone_stays_above_its_measured_floor(config):
    data = rows()
    hits = sum(suggest(r["text"], config=config, model=None, with_legal=False).category == r["category"] for r in data)
    # Measured 0.92 (docs/triage.md); a lexicon edit that drops below 0.88 is a regression.
    assert hits / len(data) >= 0.88


def test_expected_signals_are_found(config):
    expected = found = 0
    for r in rows():
        want = set(filter(None, r["signals"].split(",")))
        if not want:
            continue
        got = {s.name for s in suggest(r["text"], config=config, model=None, with_legal=False).signals}
        expected += len(want)
        found += len(want & got)
    assert found / expected >= 0.9
