"""Role groups and scope filters have one home, accounts/scopes.py: nobody else spells out a set of roles."""

import re
from pathlib import Path

import yimen

ROOT = Path(yimen.__file__).parent
# A literal group of roles: frozenset({Role.…}) / frozenset({R.…}), or a tuple/set of two Role members.
ROLE_SET = re.compile(r"frozenset\(\{\s*(Role|R)\.|[\(\{]Role\.[A-Z_]+, Role\.")
HOMES = {ROOT / "accounts" / "scopes.py", ROOT / "accounts" / "models.py"}  # models: UNIT_ROLES, re-exported


def _sources():
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path in HOMES:
            continue
        yield path


def test_no_module_but_scopes_declares_a_group_of_roles():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_SET.search(line)
    ]
    assert found == []


def test_accounts_models_keeps_only_the_unit_roles_that_membership_needs():
    text = (ROOT / "accounts" / "models.py").read_text(encoding="utf-8")
    assert re.findall(r"^([A-Z_]+_ROLES) =", text, flags=re.M) == ["UNIT_ROLES"]


def test_no_module_but_scopes_filters_by_a_grants_region():
    """Scope filters built from a user's grants (region_code of a Grant) are scopes' functions."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"g\.region_code for g in grants_for", line)
    ]
    # transitions.centre_for_actor picks the actor's own centre (not a filter).
    assert [f for f in found if not f.startswith("cases/transitions/_core.py")] == []
