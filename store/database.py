"""Binding the tables to a database from a URL, and running blocking work off the event loop.

Peewee is synchronous and keeps its connection per thread, so every database call runs in
a dedicated thread pool sized to the connection pool, inside `connection_context()`. A
transaction never spans an `await`: a write is one function run in one thread call.
"""
import asyncio
import contextlib
import contextvars
import fcntl
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlparse

from peewee import Database, DatabaseError, InterfaceError, OperationalError, SqliteDatabase
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from store.tables import database as table_binding

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///registry.db"
# The PostgreSQL advisory lock that migrating processes take turns on.
MIGRATION_LOCK = 0x72656769

T = TypeVar("T")
log = logging.getLogger("registry.store")

# PostgreSQL conditions under which the same request may succeed if sent again: lost or
# refused connections (class 08), a server shutting down or terminating the session
# (57P01-57P03), serialization failures, deadlocks, lock timeouts.
# What the driver raises for a failure of the database or the connection to it.
DATABASE_ERRORS = (DatabaseError, InterfaceError)
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03"}


# The SQL statements of the request being served, counted in the database threads where
# they run: a request sets its own counter, and Store.run carries the request's context
# into the thread.
STATEMENT_COUNTER: ContextVar[list[int] | None] = ContextVar("statement_counter", default=None)


def _count_statement(event) -> None:
    counter = STATEMENT_COUNTER.get()
    if counter is not None:
        counter[0] += 1


class StoreUnavailable(Exception):
    """The database could not answer now (a lost connection, a lock not granted in time):
    nothing was changed, and the same request may succeed if sent again."""


def _driver_error(error: Exception) -> BaseException:
    """The driver's own exception, which peewee keeps as `orig`."""
    return getattr(error, "orig", None) or error.__context__ or error


def lost_connection(error: Exception) -> bool:
    if isinstance(error, InterfaceError):
        return True  # psycopg2: "connection already closed"
    code = getattr(_driver_error(error), "pgcode", "")
    return isinstance(error, OperationalError) and (code is None or code[:2] == "08" or code in ("57P01", "57P02",
                                                                                                   "57P03"))


def retryable(error: Exception) -> bool:
    if lost_connection(error):
        return True
    driver = _driver_error(error)
    if getattr(driver, "pgcode", None) in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another connection held the write lock for longer than busy_timeout.
    return isinstance(error, OperationalError) and any(w in str(driver) for w in ("database is locked", "busy"))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class UnsupportedDatabase(ValueError):
    pass


def _lower(text):
    return text.lower() if isinstance(text, str) else text


class PooledPostgres(PooledPostgresqlDatabase):
    """A pool that asks the server whether a connection is alive (a `SELECT 1` round
    trip) only when the connection sat idle in the pool for ALIVE_BYPASS_SECONDS or more,
    as HikariCP does (its aliveBypassWindowMs): a request's reads check out a connection
    each, and a ping before each doubled the round trips of a lookup. A connection lost
    within the window fails its next statement instead: a read runs again on a fresh
    one (Store.call), a write answers UNAVAILABLE and is not applied."""

    ALIVE_BYPASS_SECONDS = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_in_at: dict[int, float] = {}

    def _can_reuse(self, conn) -> bool:
        reusable = super()._can_reuse(conn)
        if reusable:
            self._checked_in_at[self.conn_key(conn)] = time.monotonic()
        return reusable

    def _is_closed(self, conn) -> bool:
        checked_in_at = self._checked_in_at.pop(self.conn_key(conn), None)
        if conn.closed:
            return True
        if checked_in_at is not None and time.monotonic() - checked_in_at < self.ALIVE_BYPASS_SECONDS:
            return False
        return super()._is_closed(conn)


def open_database(url: str, pool_size: int) -> Database:
    """A pooled peewee database for `sqlite:///path[?busy_timeout=MS]` (how long a writer
    waits for another's lock; 30 s by default) or `postgresql://user@host:port/db[?options]`
    (libpq's options, e.g. `options=-c lock_timeout=5000`)."""
    parsed = urlparse(url)
    options = dict(parse_qsl(parsed.query))
    if parsed.scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        if not path or path == ":memory:":
            raise UnsupportedDatabase("an in-memory SQLite database cannot be shared by a pool; give a file path")
        db = PooledSqliteDatabase(
            path,
            max_connections=pool_size,
            timeout=30,
            # Writes take the lock when they begin: a deferred transaction that upgrades
            # later fails at once with SQLITE_BUSY instead of waiting its turn.
            lock_type="IMMEDIATE",
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": int(options.get("busy_timeout", 30_000)),
                "synchronous": "normal",
                # LIKE is case-sensitive on every backend (REFERENCE: Search).
                "case_sensitive_like": 1,
            },
            check_same_thread=False,
        )
        # SQLite's own LOWER() folds ASCII only; ILIKE must fold 'Ü' as PostgreSQL does.
        db.register_function(_lower, "lower", 1, deterministic=True)
        return db
    if parsed.scheme in ("postgresql", "postgres"):
        params: dict[str, Any] = {"database": parsed.path.lstrip("/") or None}
        for key, value in (("user", parsed.username), ("password", parsed.password),
                           ("host", parsed.hostname), ("port", parsed.port)):
            if value is not None:
                params[key] = value
        params.update(options)
        return PooledPostgres(max_connections=pool_size, timeout=30, stale_timeout=300, **params)
    raise UnsupportedDatabase(f"unsupported database URL scheme {parsed.scheme!r}: use sqlite:/// or postgresql://")


def migrate(db: Database) -> list[str]:
    """Apply pending migrations in order; returns the names applied. Processes that start
    together (`serve --workers N`, replicas) take turns, and the later ones find nothing
    left to do."""
    with db.connection_context(), _migration_lock(db):
        return Runner(db, directory=str(MIGRATIONS)).up()


@contextlib.contextmanager
def _migration_lock(db: Database):
    """A lock across processes that leaves each migration its own transaction (on SQLite
    the migrator must switch foreign keys off outside one)."""
    if isinstance(db, SqliteDatabase):
        with open(f"{db.database}.migrate-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def default_pool_size(url: str) -> int:
    """Database threads (and connections) per process. SQLite: one. Its statements are
    sub-millisecond and what surrounds them holds the GIL, so more threads only take turns
    with each other and the event loop (4 clients on a models page: 46 pages/s with one
    thread, 34 with eight); several processes (`serve --workers N`) are the way to use
    more cores. PostgreSQL: eight, since its threads wait on the network without the GIL."""
    return 1 if urlparse(url).scheme == "sqlite" else 8


class Store:
    """The database and the thread pool that talks to it."""

    def __init__(self, url: str = DEFAULT_URL, pool_size: int | None = None):
        self.url = url
        pool_size = pool_size or default_pool_size(url)
        self.db = open_database(url, pool_size)
        self.is_sqlite = self.db.__class__ is PooledSqliteDatabase
        table_binding.initialize(self.db)
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="db")
        self.read_retries = 0
        self.db.query_hooks.append(_count_statement)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read; one whose connection was lost (a restarted or failed-over server)
        runs once more on a fresh one. Each retry is logged and counted (`read_retries`)."""
        try:
            return self._read(fn, args)
        except DATABASE_ERRORS as error:
            if not lost_connection(error):
                self._raise_unavailable_if_retryable(error)
                raise
            self.read_retries += 1
            log.warning("database connection lost (%s); running the read again on a fresh connection",
                        _driver_error(error))
            self.db.close_idle()  # the pool's other connections were very likely lost too
            try:
                return self._read(fn, args)
            except DATABASE_ERRORS as again:
                self._raise_unavailable_if_retryable(again)
                raise

    def _read(self, fn, args):
        with self.db.connection_context():
            return fn(*args)

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a write as one transaction; a retryable failure rolls it back whole and
        raises StoreUnavailable (the client may send it again)."""
        try:
            with self.db.connection_context(), self.db.atomic():
                return fn(*args)
        except DATABASE_ERRORS as error:
            self._raise_unavailable_if_retryable(error)
            raise

    def _raise_unavailable_if_retryable(self, error: Exception) -> None:
        if not retryable(error):
            return
        if lost_connection(error):
            self.db.close_idle()
        log.warning("database unavailable: %s", _driver_error(error))
        raise StoreUnavailable(f"The database is unavailable ({type(_driver_error(error)).__name__}).") from error

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read off the event loop (in the caller's context: see STATEMENT_COUNTER)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self.call, fn, *args)
        return await loop.run_in_executor(self._executor, contextvars.copy_context().run, call)

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a write as one transaction off the event loop."""
        loop = asyncio.get_running_loop()
        write = functools.partial(self.write, fn, *args)
        return await loop.run_in_executor(self._executor, contextvars.copy_context().run, write)

    def connections_in_use(self) -> int:
        return len(getattr(self.db, "_in_use", ()))

    def migrate(self) -> list[str]:
        return migrate(self.db)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.db.close_all()
