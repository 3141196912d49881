"""Backup and restore: the whole registry as JSON lines (the format: docs/BACKUP_FORMAT.md).

An export reads one snapshot (SQLite: one read transaction; PostgreSQL: one REPEATABLE
READ READ ONLY transaction) a batch of rows at a time, so memory stays flat however large
the registry. An import writes into an empty, migrated registry in one transaction: all
of the file, or nothing.
"""
import contextlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

import psycopg2
from peewee import BooleanField, Model
from playhouse.migrations import Migration, Runner

from store.database import DATABASE_ERRORS, MIGRATIONS
from store.fields import NeverReusedId
from store.statements import is_sqlite
from store.tables import (
    ALL_TABLES,
    AccessToken,
    Activity,
    Comment,
    EmailDelivery,
    GroupMember,
    IdempotencyKey,
    ModelAlias,
    ModelFollower,
    ModelPermission,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    TransitionRequest,
    User,
    Webhook,
    WebhookDelivery,
)
from store.tables import database as bound_database
from store.writes import insert_many

FORMAT = "registry-gateway-backup"
FORMAT_VERSION = 1
# Rows fetched from a PostgreSQL cursor, and rows written by one COPY or insert_many, at a time.
BATCH = 5000
WEBHOOK_SECRETS = ("secret", "previous_secret", "previous_secret_until")


@dataclass(frozen=True)
class Part:
    """A table in the file, less the columns that never leave the database."""

    table: type[Model]
    left_out: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.table._meta.table_name

    @property
    def columns(self) -> list[str]:
        return [f.column_name for f in self.table._meta.sorted_fields if f.column_name not in self.left_out]


# In the order they are inserted: a row's foreign keys point at earlier tables' rows, or at
# its own table's lower ids (a copied version's source). Activities go in before webhooks
# and followers, so the triggers that queue deliveries and e-mails for each new activity
# (migrations 0007 and 0008) find nobody to send history to.
PARTS = (
    Part(User), Part(GroupMember), Part(AccessToken), Part(RegisteredModel), Part(RegisteredModelTag),
    Part(ModelVersion), Part(ModelVersionTag), Part(ModelAlias), Part(ModelPermission), Part(TransitionRequest),
    Part(Comment), Part(Activity), Part(Webhook, left_out=WEBHOOK_SECRETS), Part(ModelFollower),
)
PART_BY_NAME = {part.name: part for part in PARTS}
# Never in the file: retries' keys (kept 24 hours only) and the outboxes (what was being sent
# when the export ran; a restored registry does not send its history again).
LEFT_OUT_TABLES = (IdempotencyKey, WebhookDelivery, EmailDelivery)
# Tables whose ids are never handed out twice (global ids are made from them): the file
# keeps the highest id each has ever issued, deleted rows' included.
COUNTED_TABLES = tuple(t for t in ALL_TABLES if isinstance(t._meta.primary_key, NeverReusedId))


class BackupError(Exception):
    """A file or a database that cannot be exported or imported; nothing was written."""


def known_migrations() -> list[str]:
    return [migration.name for migration in Migration.load_directory(str(MIGRATIONS))]


def applied_migrations() -> list[str]:
    return sorted(Runner(bound_database.obj, directory=str(MIGRATIONS)).applied())


def _require_migrated(role: str) -> list[str]:
    applied, known = applied_migrations(), known_migrations()
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise BackupError(f"the {role} database has migrations this registry-gateway does not know "
                          f"({', '.join(unknown)}): use the version that applied them")
    if applied != known:
        raise BackupError(f"the {role} database is not migrated: run `registry-gateway migrate` on it first")
    return applied


def _database_failure(error: Exception, doing: str) -> BackupError:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return BackupError(f"{doing}: {reason[0] if reason else type(error).__name__}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Export:
    """The lines of a backup, read from the snapshot it was made in."""

    def __init__(self, parts: list[Part], counts: dict[str, int], migrations: list[str], token_hashes: bool):
        self.parts = parts
        self.counts = counts
        self.migrations = migrations
        self.token_hashes = token_hashes

    def lines(self) -> Iterator[str]:
        """Each line of the file, "\\n" included."""
        yield _dumps({"header": {
            "format": FORMAT, "version": FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "backend": "sqlite" if is_sqlite() else "postgresql", "migrations": self.migrations,
            "access_token_hashes": self.token_hashes}}) + "\n"
        written = {}
        for part in self.parts:
            written[part.name] = 0
            prefix = f'{{"t":"{part.name}","r":'
            for row in _rows(part):
                written[part.name] += 1
                yield prefix + _dumps(row) + "}\n"
        yield _dumps({"counters": _read_counters()}) + "\n"
        yield _dumps({"trailer": {"rows": written}}) + "\n"


@contextlib.contextmanager
def snapshot(token_hashes: bool) -> Iterator[Export]:
    """An Export of the registry as it is now; nothing committed after this begins is in it.
    Access tokens' hashes (which let their tokens sign in) only with `token_hashes`."""
    database = bound_database.obj
    parts = [p for p in PARTS if token_hashes or p.table is not AccessToken]
    try:
        with database.connection_context(), _read_transaction(database):
            migrations = _require_migrated("source")
            counts = {p.name: database.execute_sql(f'SELECT COUNT(*) FROM "{p.name}"').fetchone()[0] for p in parts}
            yield Export(parts, counts, migrations, token_hashes)
    except DATABASE_ERRORS as error:
        raise _database_failure(error, "the export failed") from error


def _read_transaction(database):
    if is_sqlite():
        # Deferred: a reader takes no write lock, and WAL lets writers go on beside it.
        return database.atomic(lock_type="DEFERRED")
    return _repeatable_read(database)


@contextlib.contextmanager
def _repeatable_read(database):
    with database.atomic():
        database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _rows(part: Part) -> Iterator[dict]:
    columns = part.columns
    booleans = {c for c in columns if isinstance(part.table._meta.columns[c], BooleanField)}
    quoted = ", ".join(f'"{column}"' for column in columns)
    select = f'SELECT {quoted} FROM "{part.name}" ORDER BY "id"'
    for values in _fetch(select):
        row = dict(zip(columns, values))
        for column in booleans:  # SQLite keeps them as 0 and 1
            row[column] = bool(row[column])
        yield row


def _fetch(select: str) -> Iterator[tuple]:
    database = bound_database.obj
    if is_sqlite():
        yield from database.execute_sql(select)  # sqlite3 steps through the result as it is read
        return
    # A server-side cursor: psycopg2 would otherwise hold the whole result in memory.
    database.execute_sql(f"DECLARE backup_rows NO SCROLL CURSOR FOR {select}")
    try:
        while batch := database.execute_sql(f"FETCH FORWARD {BATCH} FROM backup_rows").fetchall():
            yield from batch
    finally:
        database.execute_sql("CLOSE backup_rows")


def _read_counters() -> dict[str, int]:
    """The highest id each counted table has issued. PostgreSQL's sequences stand outside
    transactions, so theirs may be ahead of the snapshot: never behind, which is what matters."""
    database = bound_database.obj
    if is_sqlite():
        issued = dict(database.execute_sql("SELECT name, seq FROM sqlite_sequence").fetchall())
        return {t._meta.table_name: issued.get(t._meta.table_name, 0) for t in COUNTED_TABLES}
    names = [t._meta.table_name for t in COUNTED_TABLES]
    issued = dict(database.execute_sql(
        "SELECT t, pg_sequence_last_value(pg_get_serial_sequence(t, 'id')::regclass) FROM unnest(%s) AS t",
        (names,)).fetchall())
    return {name: issued[name] or 0 for name in names}


def read_trailer(path: str) -> dict[str, int]:
    """The rows per table a file's trailer promises; refuses a file that has none (cut short)."""
    with open(path, "rb") as file:
        file.seek(0, 2)
        size = file.tell()
        file.seek(max(0, size - 64 * 1024))
        tail = file.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        rows = json.loads(tail)["trailer"]["rows"]
        if all(isinstance(count, int) and count >= 0 for count in rows.values()):
            return rows
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    raise BackupError("the file's last line is not a trailer: it is cut short, or not a backup")


def restore(lines: Iterable[str], new_webhook_secret: Callable[[], str]) -> dict[str, int]:
    """Write a backup's rows into this empty, migrated registry; the rows per table. Run it
    in one transaction (Store.write): a refusal part-way leaves nothing behind. Webhooks
    come back DISABLED with a new secret each (`new_webhook_secret()`, sealed)."""
    try:
        return _restore(lines, new_webhook_secret)
    except DATABASE_ERRORS as error:
        raise _database_failure(error, "the database refused the import") from error


def _restore(lines: Iterable[str], new_webhook_secret: Callable[[], str]) -> dict[str, int]:
    numbered = enumerate(lines, start=1)
    _check_header(_parse(next(numbered, (1, "")), "a header"))
    _require_empty()
    restoring = _Restoring(new_webhook_secret)
    for number, line in numbered:
        entry = _parse((number, line), "a row")
        if "t" in entry:
            restoring.add(number, entry)
        elif "counters" in entry:
            restoring.counters = entry["counters"]
        elif "trailer" in entry:
            restoring.finish(entry["trailer"], numbered)
            return restoring.counts
        else:
            raise BackupError(f"line {number} is neither a row, the counters nor the trailer")
    raise BackupError("the file ends before its trailer: it is cut short")


def _parse(numbered_line: tuple[int, str], what: str) -> dict:
    number, line = numbered_line
    try:
        entry = json.loads(line)
    except ValueError:
        raise BackupError(f"line {number} is not JSON ({what} was expected): the file is damaged") from None
    if not isinstance(entry, dict):
        raise BackupError(f"line {number} is not a JSON object: the file is damaged")
    return entry


def _check_header(entry: dict) -> None:
    header = entry.get("header")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"the first line is not a {FORMAT} header: not a backup of this registry")
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(f"the file is in format version {version}, newer than this registry-gateway reads "
                          f"({FORMAT_VERSION}): import it with a newer registry-gateway")
    here = _require_migrated("target")
    missing = sorted(set(header.get("migrations", [])) - set(here))
    if missing:
        raise BackupError(f"the file comes from a database with migrations this one lacks ({', '.join(missing)}): "
                          "import it with the registry-gateway version that exported it, or a newer one")


def _require_empty() -> None:
    database = bound_database.obj
    for table in ALL_TABLES:
        name = table._meta.table_name
        if database.execute_sql(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone():
            raise BackupError(f"the target database is not empty ({name} has rows): import only into a new "
                              "database, right after `registry-gateway migrate`")


class _Restoring:
    """Rows going in, a table at a time, in batches."""

    def __init__(self, new_webhook_secret: Callable[[], str]):
        self.new_webhook_secret = new_webhook_secret
        self.counts: dict[str, int] = {}
        self.counters: dict | None = None
        self.part: Part | None = None
        self.columns: list[str] = []  # the part's columns, as its first row has them
        self.batch_keys = {}.keys()
        self.batch: list[dict] = []

    def add(self, number: int, entry: dict) -> None:
        name, row = entry["t"], entry.get("r")
        if not isinstance(row, dict):
            raise BackupError(f"line {number}: a row that is not a JSON object")
        if self.part is None or name != self.part.name:
            self._begin(number, name, row)
        if row.keys() != self.batch_keys:
            raise BackupError(f"line {number}: a {name} row whose columns differ from the first {name} row's")
        self.batch.append(row)
        self.counts[name] += 1
        if len(self.batch) >= BATCH:
            self._flush()

    def _begin(self, number: int, name: str, first_row: dict) -> None:
        self._flush()
        part = PART_BY_NAME.get(name)
        if part is None:
            raise BackupError(f"line {number}: rows of an unknown table {name!r}")
        if name in self.counts:
            raise BackupError(f"line {number}: {name} rows after other tables' (a table's rows come together)")
        unknown = sorted(set(first_row) - set(part.columns))
        if unknown or "id" not in first_row:
            raise BackupError(f"line {number}: a {name} row with columns this registry does not have "
                              f"({', '.join(unknown)}) or no id")
        self.part, self.counts[name] = part, 0
        self.batch_keys = first_row.keys()
        self.columns = list(first_row)

    def _flush(self) -> None:
        if not self.batch:
            return
        columns = self.columns
        rows = [[row[column] for column in columns] for row in self.batch]
        if self.part.table is Webhook:
            status = columns.index("status")
            for row in rows:
                row[status] = "DISABLED"
                row.append(self.new_webhook_secret())
            columns = [*columns, "secret"]
        _insert(self.part.table, columns, rows)
        self.batch = []

    def finish(self, trailer, rest: Iterator[tuple[int, str]]) -> None:
        self._flush()
        promised = _counts(trailer.get("rows") if isinstance(trailer, dict) else None, "the trailer's rows")
        if {name: n for name, n in promised.items() if n} != {name: n for name, n in self.counts.items() if n}:
            raise BackupError(f"the file holds other rows than its trailer counts (read {self.counts}, the trailer "
                              f"says {promised}): it is damaged")
        for number, line in rest:
            if line.strip():
                raise BackupError(f"line {number} follows the trailer: the file is damaged")
        if self.counters is None:
            raise BackupError("the file has no counters line: it is damaged")
        _set_counters(_counts(self.counters, "the counters"))
        self.counts = {name: self.counts.get(name, 0) for name in promised}


def _counts(value, what: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(isinstance(n, int) and n >= 0 for n in value.values()):
        raise BackupError(f"{what} are not a table-to-count object: the file is damaged")
    return value


def _insert(table: type[Model], columns: list[str], rows: list[list]) -> None:
    """Rows (values in `columns` order) into `table`. PostgreSQL: by COPY, 2.5 times as fast
    as multi-row INSERTs there (foreign keys are checked all the same). SQLite: INSERTs of
    as many rows as its parameter limit allows."""
    name = table._meta.table_name
    try:
        if is_sqlite():
            fields = [table._meta.columns[column].name for column in columns]
            insert_many(table, [dict(zip(fields, values)) for values in rows])
            return
        text = "".join("\t".join(map(_copy_text, values)) + "\n" for values in rows)
        quoted = ", ".join(f'"{column}"' for column in columns)
        bound_database.obj.cursor().copy_expert(f'COPY "{name}" ({quoted}) FROM STDIN', io.StringIO(text))
    except (*DATABASE_ERRORS, psycopg2.Error) as error:
        raise _database_failure(error, f"the database refused a row of {name}") from error


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, (int, float)):
        return str(value)
    raise BackupError(f"a value that no column holds: {_dumps(value)[:80]}")


def _set_counters(counters: dict) -> None:
    """Every id sequence past the highest id its table has issued, as the file says (deleted
    rows' ids included) or as its rows show, so no id comes to name a second object."""
    database = bound_database.obj
    for table in ALL_TABLES:
        name = table._meta.table_name
        highest = database.execute_sql(f'SELECT COALESCE(MAX("id"), 0) FROM "{name}"').fetchone()[0]
        issued = max(counters.get(name, 0), highest)
        if not issued:
            continue
        if not is_sqlite():
            database.execute_sql("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", (name, issued))
        elif table in COUNTED_TABLES:  # AUTOINCREMENT; other SQLite tables go on from their highest id
            if not database.execute_sql("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
                                        (issued, name)).rowcount:
                database.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, issued))

