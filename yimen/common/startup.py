"""Refuse to serve on unsafe settings: the safety checks run when the WSGI application loads."""

import sys

from django.core import checks
from django.db import DatabaseError

from .checks import SAFETY_TAG


class UnsafeStart(SystemExit):
    pass


def safety_errors(*, with_database: bool = True) -> list:
    """The errors of every check tagged SAFETY_TAG (checks that need the database get it when asked)."""
    try:
        found = checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True,
                                  databases=["default"] if with_database else None)
    except DatabaseError:
        # Not migrated yet, or the server is down: the checks that need rows cannot say anything, and
        # the first request will report the database itself. The others still must pass.
        found = checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True, databases=None)
    return [message for message in found if message.level >= checks.ERROR]


def refuse_unsafe_start() -> None:
    errors = safety_errors()
    if not errors:
        return
    lines = ["一门拒绝启动 (Yimen refuses to start):"]
    for error in errors:
        lines.append(f"  [{error.id}] {error.msg}")
        if error.hint:
            lines.append(f"      {error.hint}")
    print("\n".join(lines), file=sys.stderr, flush=True)
    raise UnsafeStart(3)
