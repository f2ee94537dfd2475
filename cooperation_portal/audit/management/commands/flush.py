"""Django's `flush`, which also empties the append-only audit table: the guard is lifted for the flush only.

Lifting it drops and re-creates the table's triggers, which only the table's owner may do: under the stronger
deployment (README, "Audit trail") the portal's own role cannot flush the audit trail, and an owner running
`flush` means to destroy every table anyway. The test runner uses this between transactional tests.
"""

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from cooperation_portal.audit.db import guard_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with guard_lifted(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            super().handle(**options)
