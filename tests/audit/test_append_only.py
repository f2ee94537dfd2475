"""The audit table is append-only in the database itself: the portal's own connection cannot change or remove a row,
whether through the ORM or raw SQL. Run on SQLite (default) and on PostgreSQL (DATABASE_URL=postgres://...)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from cooperation_portal.audit import db as audit_db
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.management.commands.audit_grants import grant_statements
from cooperation_portal.audit.models import AuditEvent
from cooperation_portal.audit.services import audit_record

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _row(event: AuditEvent) -> tuple:
    return tuple(AuditEvent.objects.filter(pk=event.pk).values_list("kind", "username", "path", "detail").get())


def _refused(operation) -> None:
    """The statement fails with a database error and, in its own savepoint, leaves the transaction usable."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        operation()


@pytest.fixture
def event(db) -> AuditEvent:
    recorded = audit_record(kind=AuditKind.LOGIN, username="someone", detail={"note": "first"})
    assert recorded is not None
    return recorded


def test_guard_triggers_exist(event):
    """The test database (built without migrations) has the triggers too: post_migrate installs them."""
    expected = set(audit_db.TRIGGERS) if connection.vendor == "postgresql" else set(audit_db.TRIGGERS[:2])
    assert audit_db.guard_triggers(connection) == expected


def test_orm_update_is_refused_and_changes_nothing(event):
    before = _row(event)
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(username="someone-else"))
    event.username = "edited"
    _refused(lambda: event.save())
    _refused(lambda: event.save(update_fields=["detail"]))
    assert _row(event) == before


def test_orm_delete_is_refused_and_removes_nothing(event):
    audit_record(kind=AuditKind.LOGOUT, username="someone")
    _refused(lambda: event.delete())
    _refused(lambda: AuditEvent.objects.all().delete())
    _refused(lambda: AuditEvent.objects.filter(kind=AuditKind.LOGOUT).delete())
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_on_the_app_connection_is_refused(event):
    before = _row(event)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)

    def execute(sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    _refused(lambda: execute(f"UPDATE {table} SET username = %s WHERE id = %s", ["forged", event.pk]))  # noqa: S608
    _refused(lambda: execute(f"UPDATE {table} SET occurred_at = occurred_at"))  # noqa: S608
    _refused(lambda: execute(f"DELETE FROM {table} WHERE id = %s", [event.pk]))  # noqa: S608
    _refused(lambda: execute(f"DELETE FROM {table}"))  # noqa: S608
    assert _row(event) == before
    assert AuditEvent.objects.count() == 1


@on_postgresql
def test_truncate_is_refused_on_postgresql(event):
    _refused(lambda: connection.cursor().execute(f"TRUNCATE {AuditEvent._meta.db_table}"))
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_inserting_still_works(event):
    """Append-only, not read-only: new events keep coming."""
    audit_record(kind=AuditKind.EXPORT, username="someone")
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_table_and_puts_the_guard_back():
    """`flush` (which the test runner uses between transactional tests) may empty the table; the guard is back after
    it, so the next update is refused again."""
    audit_record(kind=AuditKind.LOGIN, username="before-flush")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    event = audit_record(kind=AuditKind.LOGIN, username="after-flush")
    assert event is not None
    with pytest.raises(DatabaseError):
        AuditEvent.objects.filter(pk=event.pk).update(username="forged")
    assert AuditEvent.objects.get(pk=event.pk).username == "after-flush"


def test_grant_statements_leave_only_select_and_insert_on_the_audit_table():
    statements = grant_statements("portal_app", ["audit_auditevent", "requests_app_cooperationrequest"], ["s1"])
    assert 'GRANT SELECT, INSERT ON TABLE "audit_auditevent" TO "portal_app";' in statements
    assert 'REVOKE ALL ON TABLE "audit_auditevent" FROM "portal_app";' in statements
    assert not [s for s in statements if "UPDATE" in s and "audit_auditevent" in s]
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "requests_app_cooperationrequest" TO "portal_app";' in (
        statements
    )


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite only")
def test_grants_command_refuses_sqlite(db):
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("audit_grants", "portal_app")


@on_postgresql
def test_app_role_with_the_grants_can_insert_but_neither_change_rows_nor_lift_the_guard(event):
    """The stronger deployment: a role given the command's grants (not the owner) reads and appends, and is refused
    UPDATE, DELETE, TRUNCATE and dropping a trigger. The role is created in the test's transaction, rolled back."""
    role = "portal_h8b_audit_app"
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("audit_grants", role, "--apply", verbosity=0)

    def as_app(sql):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute(sql)

    as_app(
        f"INSERT INTO {table} (occurred_at, kind, username, method, path, object_type, object_id, detail) "  # noqa: S608
        "VALUES (now(), 'login', 'app-role', '', '', '', '', '{}')"
    )
    as_app(f"SELECT count(*) FROM {table}")  # noqa: S608
    for sql in (
        f"UPDATE {table} SET username = 'forged'",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
        f"TRUNCATE {table}",
        f"DROP TRIGGER audit_event_no_update ON {table}",
    ):
        with pytest.raises(DatabaseError):
            as_app(sql)
    assert set(AuditEvent.objects.values_list("username", flat=True)) == {"someone", "app-role"}
    assert audit_db.guard_triggers(connection) == set(audit_db.TRIGGERS)
