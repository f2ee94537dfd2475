"""backup_portal and restore_portal on a real database: a restore into an empty database finds every row and file.

On PostgreSQL the restore target is a second database that the test creates and drops; on SQLite a new file. The
restore runs as an operator would run it: `manage.py restore_portal` in a process of its own, pointed at the target
by DATABASE_URL and PORTAL_MEDIA_ROOT.
"""

import datetime
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from agreements_app.choices import AgreementType
from agreements_app.services import agreement_create
from cooperation_portal.backup.services import MANIFEST, MEDIA_ARCHIVE, manifest_read
from requests_app import services as request_services
from requests_app.choices import Confidentiality, Organ, RequestType, Status
from requests_app.models import Attachment, CooperationRequest
from tests import factories
from warrants_app.services import warrant_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BASE_DIR = Path(settings.BASE_DIR)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def portal_data(media_root):
    """Demo data (reference data, logins, requests, events, pauses, warrants, contact reports) and, through the
    services, users, a request with a message and two attached files, a sealed warrant and an agreement, with
    their history rows."""
    call_command("load_demo_data", "--requests=40", "--seed=5", "--today=2026-01-15", "--batch-size=16",
                 "--password=demo-Kq7-tulip-harbour-93", stdout=open(os.devnull, "w"))  # noqa: SIM115
    cleared_registry_user = factories.RegistryFactory(username="backup-registry", sealed_clearance=True)
    focal_point_a = factories.FocalPointFactory(username="backup-focal", partner=factories.PartnerFactory(code="NLD"))
    partner = focal_point_a.partner
    coop_request = request_services.request_create(
        actor=cleared_registry_user, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Production of bank records", confidentiality=Confidentiality.UNDER_SEAL,
    )
    coop_request = request_services.request_transition(
        coop_request=coop_request, actor=cleared_registry_user, to_status=Status.TRANSMITTED
    )
    request_services.request_add_message(
        coop_request=coop_request, actor=focal_point_a, body="Records attached.",
        files=[SimpleUploadedFile("records.pdf", PDF), SimpleUploadedFile("notes.txt", "Notes, café.\n".encode())],
    )
    situation = factories.SituationFactory()
    warrant_create(actor=cleared_registry_user, person_name="Sealed Person", situation=situation,
                   chamber="Pre-Trial Chamber II", issued_on=datetime.date(2024, 2, 1), charges="Counts 1-3",
                   under_seal=True, believed_in=[partner])
    agreement_create(actor=cleared_registry_user, partner=partner, agreement_type=AgreementType.RELOCATION,
                     signed_on=datetime.date(2015, 1, 1), is_public=False, notes="Confidential clauses.")
    assert Attachment.objects.count() == 2
    assert CooperationRequest.history.count() >= 2
    # Tests build their tables without migrations; one recorded migration stands for the portal's migration state.
    recorder = MigrationRecorder(connection)
    recorder.record_applied("requests_app", "0001_initial")
    yield coop_request
    recorder.migration_qs.delete()


def _canonical(value: object) -> str:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return repr(value)


def table_digests(db: BaseDatabaseWrapper) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a SHA-256 of its rows in primary-key order, read through `db`."""
    digests = {}
    with db.cursor() as cursor:
        for table in sorted(db.introspection.table_names(cursor)):
            name = db.ops.quote_name(table)
            pk = db.introspection.get_primary_key_column(cursor, table)
            cursor.execute(f"SELECT * FROM {name} LIMIT 0")  # noqa: S608
            order = db.ops.quote_name(pk) if pk else ", ".join(str(i + 1) for i in range(len(cursor.description)))
            cursor.execute(f"SELECT * FROM {name} ORDER BY {order}")  # noqa: S608
            digest = hashlib.sha256()
            rows = 0
            for row in cursor.fetchall():
                digest.update("\x1f".join(_canonical(value) for value in row).encode() + b"\x1e")
                rows += 1
            digests[table] = (rows, digest.hexdigest())
    return digests


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def restore_target(tmp_path) -> Iterator[tuple[str, BaseDatabaseWrapper]]:
    """An empty database for the restore, as a DATABASE_URL and a Django connection to read it back."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        name = f"{settings_dict['NAME']}_restore"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        user = settings_dict["USER"] or ""
        password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
        url = f"postgres://{user}{password}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{name}"
    elif connection.vendor == "sqlite":
        name = str(tmp_path / "restored.sqlite3")
        url = f"sqlite:///{name}"
    else:
        pytest.skip(f"backups support PostgreSQL and SQLite, not {connection.vendor}")
    target = type(connections["default"])({**settings_dict, "NAME": name}, alias="restore_target")
    yield url, target
    target.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**os.environ, **env},
        capture_output=True, text=True, timeout=300, check=False,
    )


def test_restore_into_an_empty_database_finds_every_row_and_file(portal_data, media_root, restore_target, tmp_path):
    """Back up, restore into an empty database and a new uploads folder: every table has the same rows (compared by
    a hash of its rows in key order) and every uploaded file is byte-identical; the command says it checked."""
    backup = tmp_path / "backup"
    call_command("backup_portal", f"--output={backup}", stdout=open(os.devnull, "w"))  # noqa: SIM115
    manifest = manifest_read(backup)
    before = table_digests(connection)
    assert manifest["tables"] == {table: rows for table, (rows, _) in before.items()}
    assert manifest["migrations"] == ["requests_app.0001_initial"]
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["media"]["files"] == 2
    assert oct((backup / MANIFEST).stat().st_mode & 0o777) == "0o600"

    url, target = restore_target
    new_media = tmp_path / "restored-media"
    env = {"DATABASE_URL": url, "PORTAL_MEDIA_ROOT": str(new_media), "PORTAL_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "cooperation_portal.settings.test"}
    completed = run_manage("restore_portal", str(backup), env=env)
    assert completed.returncode == 0, completed.stderr
    assert "every table has its row count, every stored file is present" in completed.stdout

    after = table_digests(target)
    assert set(after) == set(before)
    differing = [table for table in before if before[table] != after[table]]
    assert not differing, differing
    assert sum(rows for rows, _ in after.values()) > 1000  # the demo data, not an empty schema
    originals = files_under(media_root)
    assert len(originals) == 2
    assert files_under(new_media) == originals
    for attachment in Attachment.objects.all():
        assert hashlib.sha256((new_media / attachment.file.name).read_bytes()).hexdigest() == attachment.sha256

    # The target now holds rows: a second restore into it is refused with a clear message and changes nothing.
    again = run_manage("restore_portal", str(backup), env=env)
    assert again.returncode != 0
    assert "already holds portal rows" in again.stderr
    assert "--replace-existing" in again.stderr
    assert table_digests(target) == after


def test_restore_refuses_a_database_with_portal_rows(portal_data, media_root, tmp_path):
    """Restoring over the live database is refused before anything changes, naming the tables that hold rows."""
    backup = tmp_path / "backup"
    call_command("backup_portal", f"--output={backup}", stdout=open(os.devnull, "w"))  # noqa: SIM115
    CooperationRequest.objects.filter(pk=portal_data.pk).update(subject="Changed after the backup")
    before = table_digests(connection)
    with pytest.raises(CommandError, match=r"already holds portal rows: \w+ \(\d+\)"):
        call_command("restore_portal", str(backup))
    assert table_digests(connection) == before


def test_restore_refuses_a_damaged_backup(portal_data, media_root, tmp_path):
    """A backup whose file no longer matches its checksum is refused, even with --replace-existing."""
    backup = tmp_path / "backup"
    call_command("backup_portal", f"--output={backup}", stdout=open(os.devnull, "w"))  # noqa: SIM115
    archive = backup / MEDIA_ARCHIVE
    data = bytearray(archive.read_bytes())
    data[600] ^= 0xFF
    archive.write_bytes(bytes(data))
    before = table_digests(connection)
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore_portal", str(backup), "--replace-existing")
    assert table_digests(connection) == before


def test_backup_refuses_a_folder_that_holds_files(db, tmp_path):
    """A backup never mixes with other files: an existing folder with content is refused."""
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("backup_portal", f"--output={tmp_path}")
