"""Print (or apply) the PostgreSQL privileges of the stronger deployment for the portal's own database role.

Migrations run as the owner role; the portal connects as another role, which may read and write the portal's
tables but may only SELECT and INSERT on the audit table: it can neither change a row nor drop the triggers that
guard it (only the owner can). Run it as the owner after every `migrate`, since new tables need their grants.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from cooperation_portal.audit.db import TABLE


def grant_statements(role: str, tables: list[str], sequences: list[str]) -> list[str]:
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    others = [table for table in tables if table != TABLE]
    statements = [f"REVOKE ALL ON TABLE {quote(table)} FROM {quote(role)};" for table in tables]
    statements += [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {quote(table)} TO {quote(role)};" for table in others
    ]
    statements.append(f"GRANT SELECT, INSERT ON TABLE {quote(TABLE)} TO {quote(role)};")
    statements += [f"GRANT USAGE, SELECT ON SEQUENCE {quote(sequence)} TO {quote(role)};" for sequence in sequences]
    return statements


class Command(BaseCommand):
    help = "Print, or with --apply run, the GRANT/REVOKE statements for the portal's own PostgreSQL role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the portal connects as (not the owner of the tables).")
        parser.add_argument("--apply", action="store_true", help="Run the statements instead of printing them.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, role: str, apply: bool, database: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants exist on PostgreSQL only; SQLite relies on the triggers.")
        with connection.cursor() as cursor:
            tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema() ORDER BY c.relname"
            )
            sequences = [row[0] for row in cursor.fetchall()]
        statements = grant_statements(role, tables, sequences)
        if not apply:
            self.stdout.write("\n".join(statements))
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"Applied {len(statements)} statements for role {role}."))
