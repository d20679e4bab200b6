"""The bench database: reach it, create it, and drop it when it holds another data set.

Plain psycopg, before Django is set up: Django cannot connect to a database that does not exist yet,
and must not be holding a connection to one that is being dropped.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

MARKER_TABLE = "bench_bare_datamarker"


class Unreachable(Exception):
    pass


class NotABenchDatabase(Exception):
    pass


@dataclass
class Target:
    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    @property
    def admin_url(self) -> str:
        """The same server, its `postgres` database (to create or drop the bench database)."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/postgres"))

    @property
    def where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def _connect(url: str, **kwargs):
    try:
        return psycopg.connect(url, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        raise Unreachable(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from exc


def server_version(target: Target) -> str:
    with _connect(target.admin_url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def ensure(target: Target) -> bool:
    """Create the database if missing; True if it was created."""
    with _connect(target.admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
            return True
    return False


def check_dedicated(target: Target) -> None:
    """Refuse to go on if the database holds tables but is not a bench database.

    The bench drops and recreates its database when the data set changes; pointing
    YIMEN_BENCH_DATABASE_URL at a real database by mistake must not destroy it.
    """
    with _connect(target.url) as conn:
        tables = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE tablename = %s) FROM pg_tables WHERE schemaname = 'public'",
            [MARKER_TABLE],
        ).fetchone()
    if tables[0] and not tables[1]:
        raise NotABenchDatabase(
            f"database {target.name!r} has {tables[0]} tables but no {MARKER_TABLE}: not a bench database, "
            "left alone (point YIMEN_BENCH_DATABASE_URL at a dedicated database)"
        )


def recreate(target: Target) -> None:
    """Drop and create the (bench) database: the quickest way to an empty one."""
    check_dedicated(target)
    with _connect(target.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
