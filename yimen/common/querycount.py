"""The one query-count helper of the test suite.

Every query-count test measures a block with `count_queries()` and compares the result as a number
(`assert few == many`, `assert log <= 6`). The result's repr lists the SQL it ran, so when such an
assertion fails pytest prints both sides' queries and the extra one — an N+1 is found by reading
the failure, not by re-running the test under a debugger.
"""

from contextlib import contextmanager
from functools import total_ordering

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


@total_ordering
class QueryLog:
    """The queries one block ran; compares, adds and hashes as its count."""

    def __init__(self):
        self.sql: list[str] = []

    def __len__(self) -> int:
        return len(self.sql)

    def __int__(self) -> int:
        return len(self.sql)

    __index__ = __int__

    def __eq__(self, other) -> bool:
        if isinstance(other, (QueryLog, int)):
            return len(self) == int(other)
        return NotImplemented

    def __lt__(self, other) -> bool:
        if isinstance(other, (QueryLog, int)):
            return len(self) < int(other)
        return NotImplemented

    def __hash__(self) -> int:
        return len(self)

    def __add__(self, other) -> int:
        return len(self) + int(other)

    __radd__ = __add__

    def __sub__(self, other) -> int:
        return len(self) - int(other)

    def __repr__(self) -> str:
        lines = [f"{len(self)} queries"]
        lines += [f"  {i}. {sql}" for i, sql in enumerate(self.sql, 1)]
        return "\n".join(lines)


@contextmanager
def count_queries(using: str = DEFAULT_DB_ALIAS):
    """`with count_queries() as log: …` — afterwards `log` holds the block's SQL."""
    log = QueryLog()
    with CaptureQueriesContext(connections[using]) as captured:
        yield log
    log.sql = [query["sql"] for query in captured.captured_queries]
