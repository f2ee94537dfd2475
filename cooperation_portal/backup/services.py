"""Backup and restore of the whole portal: the database, the uploads, and a manifest to check a restore against.

A backup is one folder, readable by its owner only (it holds everything confidential the portal holds):

    manifest.json     row count per table, SHA-256 of each file, the applied migrations, the time (UTC)
    database.dump     PostgreSQL: `pg_dump -Fc`, taken in the very snapshot the row counts were read in
    database.sqlite3  SQLite: a copy made with SQLite's online backup API (consistent while the portal runs)
    media.tar         every file under MEDIA_ROOT: attachments and generated reports

The database is dumped before the uploads are archived: files are only ever added (attachments are not deleted),
so every file a dumped row names is already on disk when the archive is written.

A restore goes into a database without portal rows and an empty uploads folder, unless told to replace what is
there; it checks every file against the manifest before touching anything, and afterwards counts the rows of every
table and looks for the file of every stored file field, and says what it found.
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient as PostgresClient
from django.db.migrations.loader import MigrationLoader

FORMAT = "cooperation-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar"
POSTGRES_DUMP = "database.dump"
SQLITE_DUMP = "database.sqlite3"
# Tables that `migrate` fills by itself: rows there alone do not make a database one that is in use.
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())


@dataclass
class RestoreResult:
    """What a restore found afterwards, compared with the manifest."""

    tables: dict[str, tuple[int, int | None]]  # table -> (rows in the manifest, rows found; None: table missing)
    media_files: int
    media_bytes: int
    missing_files: list[str] = field(default_factory=list)
    unapplied_migrations: list[str] = field(default_factory=list)
    unknown_migrations: list[str] = field(default_factory=list)

    @property
    def mismatched_tables(self) -> dict[str, tuple[int, int | None]]:
        return {table: counts for table, counts in self.tables.items() if counts[0] != counts[1]}

    @property
    def ok(self) -> bool:
        return not self.mismatched_tables and not self.missing_files

    @property
    def rows(self) -> int:
        return sum(found or 0 for _, found in self.tables.values())


# ---------------------------------------------------------------- backup


def backup_create(*, output: Path, using: str = "default") -> BackupResult:
    """Write a backup of database `using` and MEDIA_ROOT into the folder `output` (new, or empty)."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError(f"{output} already exists and is not an empty folder; name a new folder for the backup.")
    output.mkdir(mode=0o700, parents=True, exist_ok=True)
    output.chmod(0o700)
    connection = connections[using]
    database = _database_for(connection)
    dump_path = output / database.dump_name
    counts, migrations = database.dump(dump_path)
    media = _archive_media(Path(settings.MEDIA_ROOT), output / MEDIA_ARCHIVE)
    checksums = {name: _sha256(output / name) for name in (database.dump_name, MEDIA_ARCHIVE)}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "django": django.get_version(),
        "database": {"vendor": connection.vendor, "name": str(connection.settings_dict.get("NAME") or "")},
        "tables": counts,
        "migrations": migrations,
        "media": media,
        "files": checksums,
    }
    for name in checksums:
        (output / name).chmod(0o600)
    # Written last: a folder without a manifest is a backup that did not finish.
    manifest_path = output / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    manifest_path.chmod(0o600)
    return BackupResult(path=output, manifest=manifest)


def _archive_media(media_root: Path, path: Path) -> dict[str, int]:
    """Every regular file under `media_root` into an uncompressed tar (the documents are mostly compressed already)."""
    files = size = 0
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for file in _media_files(media_root):
            info = archive.gettarinfo(str(file), arcname=file.relative_to(media_root).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with file.open("rb") as handle:
                archive.addfile(info, handle)
            files += 1
            size += info.size
    return {"files": files, "bytes": size}


def _media_files(media_root: Path) -> Iterator[Path]:
    if not media_root.is_dir():
        return
    for root, dirs, names in os.walk(media_root):
        dirs.sort()
        for name in sorted(names):
            file = Path(root) / name
            # Links are not followed: a link could point anywhere on the machine.
            if file.is_file() and not file.is_symlink():
                yield file


# ---------------------------------------------------------------- restore


def manifest_read(backup: Path) -> dict[str, Any]:
    """The manifest of the backup folder `backup`, after checking every file it lists against its checksum."""
    backup = Path(backup)
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(
            f"{backup} has no {MANIFEST}: it is not a portal backup, or the backup did not finish."
        ) from error
    except (OSError, ValueError) as error:
        raise BackupError(f"{backup / MANIFEST} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{backup / MANIFEST} is not the manifest of a portal backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {manifest.get('format_version')}; this portal reads version "
            f"{FORMAT_VERSION}."
        )
    for name, expected in manifest["files"].items():
        path = backup / name
        if not path.is_file():
            raise BackupError(f"{path} is missing: the backup is incomplete.")
        if _sha256(path) != expected:
            raise BackupError(f"{path} does not match its checksum in the manifest: the backup is damaged.")
    return manifest


def backup_restore(*, backup: Path, replace_existing: bool = False, no_owner: bool = False,
                   using: str = "default") -> RestoreResult:
    """Restore the backup folder `backup` into database `using` and MEDIA_ROOT, then check it against the manifest.

    Refuses, before changing anything, a damaged backup, a backup of another kind of database, a database that holds
    portal rows and an uploads folder that holds files, unless `replace_existing` is given.
    """
    backup = Path(backup)
    manifest = manifest_read(backup)
    connection = connections[using]
    database = _database_for(connection)
    if manifest["database"]["vendor"] != connection.vendor:
        raise BackupError(
            f"This is a backup of a {manifest['database']['vendor']} database; the portal is set to use "
            f"{connection.vendor} (DATABASE_URL)."
        )
    media_root = Path(settings.MEDIA_ROOT)
    if not replace_existing:
        in_use = _tables_with_rows(connection)
        if in_use:
            largest = sorted(in_use.items(), key=lambda item: (-item[1], item[0]))[:5]
            listed = ", ".join(f"{table} ({rows})" for table, rows in largest)
            raise BackupError(
                f"The database {connection.settings_dict.get('NAME')} already holds portal rows: {listed}"
                f"{f' and {len(in_use) - 5} more tables' if len(in_use) > 5 else ''}. Restore into an empty database, "
                "or pass --replace-existing to replace its contents."
            )
        if media_root.is_dir() and next(_media_files(media_root), None) is not None:
            raise BackupError(
                f"The uploads folder {media_root} is not empty. Restore into an empty folder (PORTAL_MEDIA_ROOT), "
                "or pass --replace-existing to write over it."
            )
    database.restore(backup / database.dump_name, no_owner=no_owner)
    media_root.mkdir(parents=True, exist_ok=True)
    media_files, media_bytes = _extract_media(backup / MEDIA_ARCHIVE, media_root)
    return _check_restore(connection, manifest, media_root, media_files, media_bytes)


def _extract_media(path: Path, media_root: Path) -> tuple[int, int]:
    """Extract the archive into `media_root`; the "data" filter refuses absolute names, "..", links and devices."""
    files = size = 0
    with tarfile.open(path) as archive:
        try:
            archive.extractall(media_root, filter="data")
        except tarfile.FilterError as error:
            raise BackupError(f"{path} holds an unsafe entry and was not extracted: {error}") from error
        for member in archive.getmembers():
            if member.isfile():
                target = media_root / member.name
                if not target.is_file() or target.stat().st_size != member.size:
                    raise BackupError(f"{target} was not extracted whole from {path}.")
                files += 1
                size += member.size
    return files, size


def _check_restore(connection: BaseDatabaseWrapper, manifest: dict[str, Any], media_root: Path,
                   media_files: int, media_bytes: int) -> RestoreResult:
    found = _count_rows(connection)
    tables = {table: (expected, found.get(table)) for table, expected in sorted(manifest["tables"].items())}
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = {f"{app}.{name}" for app, name in loader.applied_migrations or {}}
    known = {f"{app}.{name}" for app, name in loader.graph.nodes}
    result = RestoreResult(
        tables=tables,
        media_files=media_files,
        media_bytes=media_bytes,
        missing_files=_missing_files(connection.alias, media_root),
        unapplied_migrations=sorted(known - applied),
        unknown_migrations=sorted(applied - known),
    )
    if (media_files, media_bytes) != (manifest["media"]["files"], manifest["media"]["bytes"]):
        result.missing_files.append(
            f"{MEDIA_ARCHIVE}: {media_files} files ({media_bytes} bytes) extracted, the manifest lists "
            f"{manifest['media']['files']} ({manifest['media']['bytes']} bytes)"
        )
    return result


def _missing_files(using: str, media_root: Path) -> list[str]:
    """Names stored in any file field of any model whose file is not under `media_root`."""
    missing: list[str] = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, models.FileField):
                continue
            names = (
                model._default_manager.using(using)
                .exclude(**{model_field.name: ""})
                .filter(**{f"{model_field.name}__isnull": False})
                .values_list(model_field.name, flat=True)
                .iterator()
            )
            missing.extend(
                f"{model._meta.label}.{model_field.name}: {name}"
                for name in names
                if not (media_root / name).is_file()
            )
    return missing


# ---------------------------------------------------------------- the two kinds of database


class _Database:
    dump_name: str

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def dump(self, path: Path) -> tuple[dict[str, int], list[str]]:
        raise NotImplementedError

    def restore(self, path: Path, *, no_owner: bool) -> None:
        raise NotImplementedError


def _database_for(connection: BaseDatabaseWrapper) -> _Database:
    if connection.vendor == "postgresql":
        return _Postgres(connection)
    if connection.vendor == "sqlite":
        return _Sqlite(connection)
    raise BackupError(f"Backups of {connection.vendor} databases are not supported; PostgreSQL and SQLite are.")


class _Postgres(_Database):
    dump_name = POSTGRES_DUMP

    def dump(self, path: Path) -> tuple[dict[str, int], list[str]]:
        if self.connection.in_atomic_block:
            raise BackupError("A backup reads its own snapshot; run it outside a transaction.")
        # The counts are read in a snapshot that pg_dump then shares (--snapshot): the manifest describes exactly
        # the rows in the dump, however busy the portal is meanwhile.
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count_rows(self.connection)
            migrations = _applied_migrations(self.connection)
            self._run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}",
                       f"--dbname={self._name()}"])
        return counts, migrations

    def restore(self, path: Path, *, no_owner: bool) -> None:
        # No open transaction of the portal's own may hold a lock that pg_restore waits for.
        self.connection.close()
        # One transaction: a restore that fails half-way leaves the database as it was. --clean --if-exists drops
        # what `migrate` may already have created (an empty schema) before creating it from the dump.
        command = ["pg_restore", "--single-transaction", "--exit-on-error", "--clean", "--if-exists",
                   f"--dbname={self._name()}", str(path)]
        if no_owner:
            command.insert(1, "--no-owner")
        self._run(command)

    def _name(self) -> str:
        name = self.connection.settings_dict.get("NAME")
        if not name:
            raise BackupError("The database settings name no database (DATABASE_URL).")
        return str(name)

    def _run(self, command: list[str]) -> None:
        if shutil.which(command[0]) is None:
            raise BackupError(
                f"{command[0]} is not installed. Install the PostgreSQL client tools of the server's major version or "
                "later (Debian: apt-get install postgresql-client)."
            )
        _, env = PostgresClient.settings_to_cmd_args_env(self.connection.settings_dict, [])
        settings_dict = self.connection.settings_dict
        connection_env = {"PGHOST": settings_dict.get("HOST"), "PGPORT": settings_dict.get("PORT"),
                          "PGUSER": settings_dict.get("USER")}
        env = {**os.environ, **{k: str(v) for k, v in connection_env.items() if v}, **(env or {})}
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise BackupError(f"{command[0]} failed (exit {completed.returncode}): {completed.stderr.strip()}")


class _Sqlite(_Database):
    dump_name = SQLITE_DUMP

    def dump(self, path: Path) -> tuple[dict[str, int], list[str]]:
        self.connection.ensure_connection()
        with _closing(sqlite3.connect(path)) as copy:
            self.connection.connection.backup(copy)
        # Counted in the copy itself, so the manifest describes exactly what was copied.
        with _closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            cursor = copy.cursor()
            tables = [row[0] for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )]
            counts = {table: cursor.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608
            migrations = []
            if "django_migrations" in tables:
                migrations = [f"{app}.{name}" for app, name in cursor.execute(
                    "SELECT app, name FROM django_migrations ORDER BY app, name"
                )]
        return counts, migrations

    def restore(self, path: Path, *, no_owner: bool) -> None:
        self.connection.ensure_connection()
        # The backup API replaces the whole target database in one step.
        with _closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            source.backup(self.connection.connection)


class _closing:
    """sqlite3 connections as context managers close nothing (they commit); this one closes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


# ---------------------------------------------------------------- shared reads


def _tables_with_rows(connection: BaseDatabaseWrapper) -> dict[str, int]:
    return {table: rows for table, rows in _count_rows(connection).items()
            if rows and table not in BOOKKEEPING_TABLES}


def _count_rows(connection: BaseDatabaseWrapper) -> dict[str, int]:
    quote: Callable[[str], str] = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
