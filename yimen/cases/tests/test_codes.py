"""Risk, urgency and domain codes have one home, cases/codes.py: nobody else spells a list of them."""

import re
from pathlib import Path

from django.utils import translation

import yimen
from yimen.cases.codes import DomainClass, Risk, Urgency

ROOT = Path(yimen.__file__).parent
HOME = ROOT / "cases" / "codes.py"
# The triage engine's spellings before issue 12 merged the lists; only the migrations that renamed
# them (and their tests) may still name them.
OLD_SPELLINGS = re.compile(r"""["'](wishes|social_livelihood|peace|work_safety)["']""")
# A choices class of one of these lists, or a member of one (`X = "livelihood", _("社会民生")`).
LIST_CLASS = re.compile(r"^class (Urgency|Risk|Domain\w*)\(.*Choices\)", re.M)
LABEL_MEMBER = re.compile(r"""=\s*["'][a-z_]+["'],\s*_\(["'](?P<label>[^"']+)["']\)""")


def _files(*suffixes):
    for path in ROOT.rglob("*"):
        if path.suffix not in suffixes or "migrations" in path.parts or "tests" in path.parts:
            continue
        yield path


def _lines(*suffixes):
    for path in _files(*suffixes):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield f"{path.relative_to(ROOT)}:{number}: {line.strip()}", line


def test_no_module_but_codes_defines_a_risk_urgency_or_domain_list():
    found = [str(p.relative_to(ROOT)) for p in _files(".py") if p != HOME and LIST_CLASS.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_no_module_but_codes_gives_a_choice_one_of_their_labels():
    with translation.override("zh-hans"):  # the source text
        labels = {str(label) for codes in (Risk, Urgency, DomainClass) for label in codes.labels}
    found = [
        where for where, line in _lines(".py")
        if not where.startswith("cases/codes.py:") and (m := LABEL_MEMBER.search(line)) and m["label"] in labels
    ]
    assert found == []


def test_the_old_engine_spellings_are_gone_from_code_data_and_templates():
    found = [where for where, line in _lines(".py", ".json", ".yaml", ".yml", ".csv", ".html", ".js") if OLD_SPELLINGS.search(line)]
    assert found == []
