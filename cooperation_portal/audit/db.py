"""The audit table is append-only at the database level, on PostgreSQL and on SQLite.

Triggers refuse UPDATE and DELETE of any row (and TRUNCATE on PostgreSQL), whatever the statement comes from:
the ORM, raw SQL on the portal's connection, the admin. Creating or dropping a trigger takes the table owner's
rights; in the stronger deployment (README, "Audit trail") the portal's own role is not the owner and holds only
SELECT and INSERT on this table, so it can neither change rows nor lift the guard.

The SQL is kept here, not only in the migration: the same statements are applied after every `migrate`
(post_migrate), which also covers test databases built without migrations and SQLite rebuilding the table.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
FUNCTION = "audit_event_append_only"
TRIGGERS = ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_truncate")

_POSTGRESQL_INSTALL = [
    # No "%" anywhere: the statements run through DB-API cursors, some of which format parameters.
    f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'The audit trail is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused.',
        ERRCODE = 'insufficient_privilege';
END
$$""",
    f"DROP TRIGGER IF EXISTS audit_event_no_update ON {TABLE}",
    f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
    f"DROP TRIGGER IF EXISTS audit_event_no_delete ON {TABLE}",
    f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE}",
    f"CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
]
_POSTGRESQL_REMOVE = [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in TRIGGERS]

# SQLite has no TRUNCATE; "DELETE FROM" without WHERE skips its truncate shortcut when the table has triggers.
_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_{operation.lower()} BEFORE {operation} ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: {operation} on {TABLE} refused.'); END"""
    for operation in ("UPDATE", "DELETE")
]
_SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS[:2]]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return _POSTGRESQL_INSTALL if install else _POSTGRESQL_REMOVE
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_REMOVE
    raise NotImplementedError(f"No append-only guard for the audit table on {connection.vendor}.")


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _table_exists(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)


def install_guard(connection: BaseDatabaseWrapper) -> None:
    """Create (or re-create) the triggers; idempotent."""
    _run(connection, _statements(connection, install=True))


def remove_guard(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _statements(connection, install=False))


def guard_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the guard's triggers present on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {row[0] for row in cursor.fetchall()} & set(TRIGGERS)


def ensure_guard_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if _table_exists(connection):
        install_guard(connection)


@contextmanager
def guard_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """For `flush` only (the test runner empties every table between transactional tests): drop the triggers,
    and put them back whatever happens. Dropping a trigger takes the table owner's rights."""
    present = _table_exists(connection)
    if present:
        remove_guard(connection)
    try:
        yield
    finally:
        if present:
            install_guard(connection)
