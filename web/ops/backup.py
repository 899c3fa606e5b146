"""Backups of the embedded SQLite database, taken while the service runs, and putting one back.

A backup is SQLite's online backup API copying every page in one step: it reads inside one transaction, so the copy
is the database as it stood at one moment — every case committed (and so acknowledged) before it began is in it —
while intake and scans go on (in WAL mode readers never block writers). The copy is checked with
``PRAGMA integrity_check`` and written beside its destination first, then renamed into place, so a crash never
leaves half a backup under the real name. PostgreSQL is backed up with ``pg_dump`` (see the README).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from web.db import alembic_config, head_revision

BUSY_TIMEOUT_MS = 10_000


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    revision: str | None
    cases: int


def sqlite_path(url: str) -> Path:
    """The file of a SQLite DATABASE_URL; BackupError for PostgreSQL or an in-memory database."""
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise BackupError(
            "DATABASE_URL is PostgreSQL: back it up with pg_dump and restore with pg_restore (the README's "
            "'Backups' section gives the commands and the restore drill)."
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("DATABASE_URL names no database file")
    return Path(parsed.database)


@contextlib.contextmanager
def _open(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        yield connection
    finally:
        connection.close()


def _check(connection: sqlite3.Connection, what: str) -> tuple[str | None, int]:
    """integrity_check, then (schema revision, number of cases); BackupError when the file is damaged."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a SQLite database: {exc}") from exc
    if problems != ["ok"]:
        raise BackupError(f"{what} fails integrity_check: {'; '.join(problems[:5])}")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = found[0] if found else None
    cases = connection.execute("SELECT count(*) FROM complaint").fetchone()[0] if "complaint" in tables else 0
    return revision, int(cases)


def backup(database: Path, out: Path, *, force: bool = False) -> Copied:
    """Copy the live database ``database`` to ``out`` (refusing to replace an existing file unless ``force``)."""
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    if out.exists() and not force:
        raise BackupError(f"{out} exists; choose another name, or add --force to replace it")
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with _open(database) as source, _open(partial) as copy:
            # One step (pages=-1): one read transaction over the whole copy, so it is one moment of the database.
            source.backup(copy)
            # The copy is one self-contained file, whatever journal mode the live database runs in.
            copy.execute("PRAGMA journal_mode=DELETE")
            revision, cases = _check(copy, "the copy")
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(out, out.stat().st_size, revision, cases)


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def restore(backup_file: Path, database: Path, *, force: bool = False) -> Copied:
    """Put ``backup_file`` in place of ``database``. Refuses a damaged backup, one made by a newer release, and —
    unless ``force`` — a database that already holds data. Stop the service and workers first."""
    if not backup_file.is_file():
        raise BackupError(f"there is no backup at {backup_file}")
    with _open(backup_file, read_only=True) as source:
        revision, _ = _check(source, str(backup_file))
    if revision is None:
        raise BackupError(f"{backup_file} is not a fairweigh database (it has no schema revision)")
    if revision not in _known_revisions():
        raise BackupError(f"{backup_file} was made by a newer release (schema {revision}); restore it with that one")
    if database.exists() and not force:
        with _open(database, read_only=True) as existing:
            tables = existing.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise BackupError(f"{database} already holds a database; add --force to replace it with the backup")
    database.parent.mkdir(parents=True, exist_ok=True)
    with _open(backup_file, read_only=True) as source, _open(database) as target:
        # Through the backup API rather than a file copy: the target's WAL and shared memory are kept consistent.
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        revision, cases = _check(target, "the restored database")
    return Copied(database, database.stat().st_size, revision, cases)


def upgrade_needed(copied: Copied) -> bool:
    return copied.revision != head_revision()
