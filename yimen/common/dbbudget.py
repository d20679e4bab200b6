"""A statement time budget for one piece of work on PostgreSQL: the list's count, the text-search
probe. Run inside a savepoint, so a cancelled statement leaves the request's transaction usable, and
the connection's own limit is put back afterwards. Elsewhere (SQLite) the work simply runs."""

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction


def within_statement_budget(budget_ms: int, run, *, using: str = DEFAULT_DB_ALIAS):
    """`run()`, each of its statements cut off after `budget_ms` on PostgreSQL; None when cut off.
    A budget of 0 means no budget."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not budget_ms:
        return run()
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                               [f"{int(budget_ms)}ms"])
                previous = cursor.fetchone()[0]
            result = run()
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
            return result
    except OperationalError as error:
        if "statement timeout" not in str(error):
            raise
        return None
