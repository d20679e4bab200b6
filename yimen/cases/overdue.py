"""The overdue matters' narrow table (`OverdueMatter`), kept by triggers on cases_case.

A centre's `overdue` list walked the matters newest first and visited each for its flag until 20
matched: 77,470 matters for a township's first page at 10 M (88 ms). An index on cases_case naming
`overdue` would serve it, but would make every flag the midnight sweep writes a non-HOT update with
an entry in each of the matter's ~20 indexes. This table holds only the overdue matters (46 per
cent of the open ones in the bench's data: 458,581 at 10 M, 62 MB), their place and received time;
`selectors.case_list_for_user` drives a region-scoped `overdue` list from its index, and the sweep
pays one small insert per newly overdue matter. The triggers are the only writers, so every writer
of the flag keeps it: the sweep's bulk UPDATE, the transitions, the calendar recompute, deletes, the
bench loader.
"""

TABLE = "cases_overduematter"

_PG = [
    """
    CREATE OR REPLACE FUNCTION yimen_case_overdue_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM cases_overduematter WHERE case_id = OLD.id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.overdue THEN
            INSERT INTO cases_overduematter (case_id, region_code, received_at)
            VALUES (NEW.id, NEW.region_code, NEW.received_at);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS case_overdue_ins ON cases_case",
    "DROP TRIGGER IF EXISTS case_overdue_upd ON cases_case",
    "DROP TRIGGER IF EXISTS case_overdue_del ON cases_case",
    """CREATE TRIGGER case_overdue_ins AFTER INSERT ON cases_case FOR EACH ROW WHEN (NEW.overdue)
       EXECUTE FUNCTION yimen_case_overdue_sync()""",
    """CREATE TRIGGER case_overdue_upd AFTER UPDATE OF overdue, region_code, received_at ON cases_case FOR EACH ROW
       WHEN (OLD.overdue IS DISTINCT FROM NEW.overdue OR (NEW.overdue AND (OLD.region_code IS DISTINCT FROM NEW.region_code
             OR OLD.received_at IS DISTINCT FROM NEW.received_at)))
       EXECUTE FUNCTION yimen_case_overdue_sync()""",
    """CREATE TRIGGER case_overdue_del AFTER DELETE ON cases_case FOR EACH ROW WHEN (OLD.overdue)
       EXECUTE FUNCTION yimen_case_overdue_sync()""",
    # A list's first page reads ~20 rows here, but the planner estimates thousands and chose a
    # parallel plan whose workers' start-up was most of the 17–24 ms the overdue lists took at 10 M
    # matters; without parallel workers the same query takes ~1 ms (docs/performance.md).
    "ALTER TABLE cases_overduematter SET (parallel_workers = 0)",
]

_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS case_overdue_ins AFTER INSERT ON cases_case WHEN NEW.overdue BEGIN
         INSERT INTO cases_overduematter (case_id, region_code, received_at) VALUES (NEW.id, NEW.region_code, NEW.received_at);
       END""",
    """CREATE TRIGGER IF NOT EXISTS case_overdue_upd AFTER UPDATE OF overdue, region_code, received_at ON cases_case
       WHEN OLD.overdue IS NOT NEW.overdue OR (NEW.overdue AND (OLD.region_code IS NOT NEW.region_code OR OLD.received_at IS NOT NEW.received_at))
       BEGIN
         DELETE FROM cases_overduematter WHERE case_id = OLD.id;
         INSERT INTO cases_overduematter (case_id, region_code, received_at) SELECT NEW.id, NEW.region_code, NEW.received_at WHERE NEW.overdue;
       END""",
    """CREATE TRIGGER IF NOT EXISTS case_overdue_del AFTER DELETE ON cases_case WHEN OLD.overdue BEGIN
         DELETE FROM cases_overduematter WHERE case_id = OLD.id;
       END""",
]

INSTALL_SQL = {"postgresql": _PG, "sqlite": _SQLITE}

# What the table must hold, from the flags as they are (the migration's fill; a check in the tests).
FILL_SQL = (
    "INSERT INTO cases_overduematter (case_id, region_code, received_at) "
    "SELECT id, region_code, received_at FROM cases_case WHERE overdue "
    "AND NOT EXISTS (SELECT 1 FROM cases_overduematter o WHERE o.case_id = cases_case.id)"
)


def install_overdue_sql(conn) -> None:
    with conn.cursor() as cursor:
        for statement in INSTALL_SQL.get(conn.vendor, []):
            cursor.execute(statement)


def install_overdue_sql_after_migrate(using, **kwargs) -> None:
    """post_migrate: a database whose tables were made from the models (the tests') gets the triggers
    too, once both tables exist; idempotent (migration 0023 installs them as well)."""
    from django.db import connections

    conn = connections[using]
    tables = set(conn.introspection.table_names())
    if {"cases_case", TABLE} <= tables:
        install_overdue_sql(conn)


def mismatched_overdue_rows(using: str = "default") -> list[int]:
    """Matters whose narrow row disagrees with their flag, place or received time (empty when kept)."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM cases_case c LEFT JOIN cases_overduematter o ON o.case_id = c.id "
            "WHERE (c.overdue AND (o.case_id IS NULL OR o.region_code <> c.region_code OR o.received_at <> c.received_at)) "
            "OR (NOT c.overdue AND o.case_id IS NOT NULL) "
            "UNION SELECT o.case_id FROM cases_overduematter o LEFT JOIN cases_case c ON c.id = o.case_id WHERE c.id IS NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def resync_overdue_rows(cursor, *, ids_sql: str) -> None:
    """Make the rows of the matters `ids_sql` selects agree with their flags, after writes that
    bypassed the triggers: a bulk restore under `session_replication_role = replica`, which turns
    ordinary triggers off (the bench's checkpoint). Only the rows that differ are touched, so a
    restore of a million open matters rewrites the few thousand a sweep changed, not every row.
    Nothing in the application needs it."""
    cursor.execute(
        f"DELETE FROM cases_overduematter o WHERE o.case_id IN ({ids_sql}) AND NOT EXISTS ("
        "SELECT 1 FROM cases_case c WHERE c.id = o.case_id AND c.overdue "
        "AND c.region_code = o.region_code AND c.received_at = o.received_at)"
    )
    cursor.execute(
        "INSERT INTO cases_overduematter (case_id, region_code, received_at) "
        f"SELECT c.id, c.region_code, c.received_at FROM cases_case c WHERE c.overdue AND c.id IN ({ids_sql}) "
        "AND NOT EXISTS (SELECT 1 FROM cases_overduematter o WHERE o.case_id = c.id)"
    )
