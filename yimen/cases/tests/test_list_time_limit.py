import pytest
from django.db import connection

from yimen.cases.selectors import list_time_limit
from yimen.common.errors import InvalidInput


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's; run by make test there")
def test_a_list_query_that_runs_too_long_asks_to_narrow_the_filters(db, settings):
    settings.YIMEN_LIST_TIMEOUT_MS = 20
    with pytest.raises(InvalidInput) as raised:
        with list_time_limit():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.5)")
    assert raised.value.code == "query_too_broad" and "缩小筛选范围" in str(raised.value)
    # The limit is local to that transaction: the next query runs unbounded.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.05)")


def test_an_unknown_category_filter_answers_an_empty_page(world):
    from yimen.cases.selectors import CaseFilters, case_list_for_user

    world.register()
    assert case_list_for_user(user=world.dispatcher, filters=CaseFilters(category="nope")).count() == 0
    assert case_list_for_user(user=world.dispatcher, filters=CaseFilters(category="labour")).count() == 1
