"""Binding the tables to a database from a URL, and running blocking work off the event loop.

Peewee is synchronous and keeps its connection per thread, so every database call runs in
a dedicated thread pool sized to the connection pool, inside `connection_context()`. A
transaction never spans an `await`: a write is one function run in one thread call.
"""
import asyncio
import contextlib
import fcntl
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlparse

from peewee import Database, SqliteDatabase
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from store.tables import database as table_binding

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///registry.db"
# The PostgreSQL advisory lock that migrating processes take turns on.
MIGRATION_LOCK = 0x72656769

T = TypeVar("T")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class UnsupportedDatabase(ValueError):
    pass


def _lower(text):
    return text.lower() if isinstance(text, str) else text


def open_database(url: str, pool_size: int) -> Database:
    """A pooled peewee database for `sqlite:///path` or `postgresql://user@host:port/db`."""
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
                "busy_timeout": 30_000,
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
        return PooledPostgresqlDatabase(max_connections=pool_size, timeout=30, stale_timeout=300, **params)
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

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        with self.db.connection_context():
            return fn(*args)

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        with self.db.connection_context(), self.db.atomic():
            return fn(*args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.call, fn, *args))

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a write as one transaction off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.write, fn, *args))

    async def ping(self) -> None:
        """Raises unless the database answers."""
        await self.run(lambda: self.db.execute_sql("SELECT 1").fetchone())

    def migrate(self) -> list[str]:
        return migrate(self.db)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.db.close_all()
