"""The database's own refusal to change the audit trail (installed by migration 0002_add_append_only_guard).

Chosen design: the trigger needs no session setting and trusts no application code. It refuses every
UPDATE, and a DELETE of any row younger than FLOOR_DAYS (the 6 months of 网络安全法 第二十一条). The
pruning job deletes only rows older than YIMEN_AUDIT_RETENTION_DAYS, which a system check keeps at
FLOOR_DAYS or more, so the job passes and nothing else can remove a record the law says to keep — not
the admin, not a shell, not SQL typed by hand with the application's database account. The comparison
uses the database's clock, so a wrong application clock cannot age records early.

Not covered: TRUNCATE and DROP (a table owner's DDL; test databases are flushed with TRUNCATE). A
deployment that needs that too gives the application a database role that does not own the tables.
"""

FLOOR_DAYS = 180
TABLE = "audit_auditevent"

_POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION '审计记录不能修改 (audit records are append-only)' USING ERRCODE = 'restrict_violation';
        END IF;
        IF OLD.at >= now() - interval '{FLOOR_DAYS} days' THEN
            RAISE EXCEPTION '审计记录保存不足 {FLOOR_DAYS} 天，不能删除 (audit records are kept {FLOOR_DAYS} days)'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"DROP TRIGGER IF EXISTS audit_event_guard ON {TABLE};",
    f"CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION audit_event_guard();",
]
_POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS audit_event_guard ON {TABLE};", "DROP FUNCTION IF EXISTS audit_event_guard();"]

# SQLite stores Django's datetimes as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]', which compares as text.
_SQLITE = [
    f"DROP TRIGGER IF EXISTS audit_event_no_update;",
    f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, '审计记录不能修改 (audit records are append-only)'); END;",
    f"DROP TRIGGER IF EXISTS audit_event_no_early_delete;",
    f"CREATE TRIGGER audit_event_no_early_delete BEFORE DELETE ON {TABLE} "
    f"WHEN OLD.at >= datetime('now', '-{FLOOR_DAYS} days') "
    f"BEGIN SELECT RAISE(ABORT, '审计记录保存不足 {FLOOR_DAYS} 天，不能删除 (audit records are kept {FLOOR_DAYS} days)'); END;",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_event_no_update;", "DROP TRIGGER IF EXISTS audit_event_no_early_delete;"]


def _statements(vendor: str, *, drop: bool) -> list[str]:
    if vendor == "postgresql":
        return _POSTGRES_DROP if drop else _POSTGRES
    if vendor == "sqlite":
        return _SQLITE_DROP if drop else _SQLITE
    return []


def guard_install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, drop=False):
            cursor.execute(sql)


def guard_remove(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, drop=True):
            cursor.execute(sql)
