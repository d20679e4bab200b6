"""The query-count helper: a failed comparison prints the SQL, and every query-count test uses it."""

import pathlib
import re

import pytest

from yimen.accounts.models import User
from yimen.common.querycount import count_queries

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_failed_comparison_names_the_queries_of_both_sides():
    with count_queries() as few:
        User.objects.filter(username="a").exists()
    with count_queries() as many:
        User.objects.filter(username="a").exists()
        User.objects.filter(username="b").count()
    assert few == 1 and many == 2 and few < many and few + 1 == many
    with pytest.raises(AssertionError) as failure:
        assert few == many
    message = str(failure.value)
    assert "1 queries" in message and "2 queries" in message and "COUNT(" in message.upper()


def test_every_query_count_test_uses_the_one_helper():
    """Django's and pytest-django's counters print less (or nothing) on failure: one helper for all."""
    others = re.compile(r"CaptureQueriesContext|django_assert_num_queries|django_assert_max_num_queries|assertNumQueries")
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.name != "querycount.py" and path.name != pathlib.Path(__file__).name and others.search(path.read_text())
    ]
    assert offenders == []
