"""Knowing, in each process, the newest committed activity: what wakes live subscriptions.

The activity table stays the truth; this only says when to look at it again. On
PostgreSQL each insert into the log notifies the channel `registry_activity` with the
newest id it made (NOTIFY is delivered at commit; payloads carry ids only), and one
dedicated connection per process LISTENs, reconnecting with a backoff. After every
(re)connect, and every few seconds besides, it reads the newest id from the table
itself, so a lost notification costs a delay, never an event. On SQLite, a cheap tail:
the newest id, read every POLL_SECONDS.

Each time the newest id moves, the tail reads which models and types the new run of
activities is about (one statement, in the tail's thread), and wakes only the waiters
that may want it: a stream following one model sleeps through every other model's
changes. What a stream reads when woken still comes from the log under its own filter,
so the wake decides only when it looks, never what it sees.
"""
import asyncio
import logging
import select
import sqlite3
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

from store.pages import NAMING_TYPES

log = logging.getLogger("registry.store")

CHANNEL = "registry_activity"
POLL_SECONDS = 0.1  # SQLite: how often the newest id is read
RECHECK_SECONDS = 5.0  # PostgreSQL: how often the table is read besides the notifications
# PostgreSQL: how long the tail gathers notifications before it wakes the streams and the
# dispatcher, so that commits arriving hundreds a second wake them at most 20 times a
# second, as SQLite's poll does 10. Each wake of 100 idle streams costs about 2 ms of the
# event loop: at 10 ms, registrations one after another cost 35% more CPU with 100
# subscribers following another model; at 50 ms, about 10%, for up to 40 ms more latency.
GATHER_SECONDS = 0.05
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)
NEWEST = "SELECT COALESCE(MAX(id), 0) FROM activities"
# What a run of new activities is about; past TOUCHED_LIMIT distinct pairs (a long outage,
# a bulk change) the tail does not sort waiters out and wakes every one.
TOUCHED_LIMIT = 1000
TOUCHED = f"SELECT DISTINCT model_id, type FROM activities WHERE id > {{0}} AND id <= {{0}} LIMIT {TOUCHED_LIMIT + 1}"
# Reconnections of this process's LISTEN connection, each logged: for /metrics, and for the
# tests, which fail on one they did not cause.
RECONNECTS = [0]


@dataclass(frozen=True)
class Touched:
    """The models (None for an activity about accounts) and types of a run of activities."""

    models: frozenset[int | None]
    types: frozenset[str]

    @classmethod
    def of(cls, rows: list) -> "Touched | None":
        if len(rows) > TOUCHED_LIMIT:
            return None
        return cls(frozenset(model for model, _ in rows), frozenset(type for _, type in rows))


@dataclass(eq=False)
class _Waiter:
    seen: int
    models: frozenset[int] | None  # None: every model's activities and the accounts'
    types: frozenset[str] | None  # None: every type
    woken: asyncio.Future

    def wants(self, touched: Touched) -> bool:
        return self.types is None or not self.types.isdisjoint(touched.types)


class ActivityTail:
    """`newest` is the highest activity id known committed; `wait_beyond(n)` returns once
    it is above n. Started and stopped with the app."""

    def __init__(self, url: str):
        self.url = url
        self.newest = 0
        # Runs of activities that may have changed which models a name stands for: a
        # stream following a model by name looks the name up again when this moves.
        self.naming_changes = 0
        self._following_any: set[_Waiter] = set()
        self._following: dict[int, set[_Waiter]] = {}  # model id: the waiters following it
        self._following_some: set[_Waiter] = set()  # every waiter following some models
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported = 0  # in the tail's thread: the newest id it has reported

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        is_sqlite = urlparse(self.url).scheme == "sqlite"
        self._thread = threading.Thread(target=self._poll_sqlite if is_sqlite else self._listen_postgres,
                                        name="activity-tail", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 5)

    async def wait_beyond(self, seen: int, models: frozenset[int] | None = None,
                          types: frozenset[str] | None = None) -> int:
        """Returns once activities after `seen` may include one of `types` about one of
        `models` (None: any); returns the id after which to look: no activity up to it
        was (it may be `seen`). A waiter for some models is also woken by every run of
        NAMING_TYPES, which may change what its name stands for."""
        if self.newest > seen:
            return seen
        waiter = _Waiter(seen, models, types, asyncio.get_running_loop().create_future())
        self._enrol(waiter)
        try:
            return await waiter.woken
        finally:
            self._drop(waiter)

    def _enrol(self, waiter: _Waiter) -> None:
        if waiter.models is None:
            self._following_any.add(waiter)
            return
        self._following_some.add(waiter)
        for model in waiter.models:
            self._following.setdefault(model, set()).add(waiter)

    def _drop(self, waiter: _Waiter) -> None:
        if waiter.models is None:
            self._following_any.discard(waiter)
            return
        self._following_some.discard(waiter)
        for model in waiter.models:
            following = self._following.get(model)
            if following is not None:
                following.discard(waiter)
                if not following:
                    del self._following[model]

    def _advance(self, previous: int, newest: int, touched: Touched | None) -> None:
        """In the event loop: the activities in (previous, newest] are committed, about
        `touched` (None: not known)."""
        if newest <= self.newest:
            return
        if previous != self.newest:  # a run this loop did not learn of whole
            touched = None
        self.newest = newest
        renaming = touched is None or not touched.types.isdisjoint(NAMING_TYPES)
        if renaming:
            self.naming_changes += 1
        if touched is None:
            for waiter in (*self._following_any, *self._following_some):
                self._wake(waiter, waiter.seen)
            return
        for waiter in self._following_any:
            if waiter.wants(touched):
                # Nothing from its `seen` to `previous` woke it, so none of it was wanted.
                self._wake(waiter, max(waiter.seen, previous))
        if renaming:
            # A name may stand for other models now, also for the runs this waiter slept
            # through: it looks from where it stood.
            for waiter in self._following_some:
                self._wake(waiter, waiter.seen)
            return
        for model in touched.models:
            for waiter in self._following.get(model, ()):
                if waiter.wants(touched):
                    self._wake(waiter, max(waiter.seen, previous))

    @staticmethod
    def _wake(waiter: _Waiter, start: int) -> None:
        if not waiter.woken.done():
            waiter.woken.set_result(start)

    def _report(self, newest: int, touched_between) -> None:
        """From the tail's thread: `touched_between(previous, newest)` reads what the new
        activities are about."""
        if newest <= self._reported or self._loop is None:
            return
        previous = self._reported
        touched = Touched.of(touched_between(previous, newest)) if previous else None
        self._reported = newest
        self._loop.call_soon_threadsafe(self._advance, previous, newest, touched)

    def _poll_sqlite(self) -> None:
        path = urlparse(self.url).path
        path = path[1:] if path.startswith("/") else path
        connection = sqlite3.connect(path, check_same_thread=False)
        touched = TOUCHED.format("?")
        try:
            while not self._stopping.wait(POLL_SECONDS):
                try:
                    self._report(connection.execute(NEWEST).fetchone()[0],
                                 lambda previous, newest: connection.execute(touched, (previous, newest)).fetchall())
                except sqlite3.Error as error:  # a busy or not yet migrated database: try again
                    log.debug("activity tail: %s", error)
        finally:
            connection.close()

    def _listen_postgres(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            try:
                self._listen_once()
                attempt = 0
            except Exception as error:  # noqa: BLE001 - any failure of the connection: reconnect
                RECONNECTS[0] += 1
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                log.warning("activity tail lost its PostgreSQL connection (%s); reconnecting in %s s", error, delay)
                self._stopping.wait(delay)

    def _listen_once(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self.url)
        connection.autocommit = True

        def touched_between(previous: int, newest: int) -> list:
            with connection.cursor() as cursor:
                cursor.execute(TOUCHED.format("%s"), (previous, newest))
                return cursor.fetchall()

        def read_newest() -> None:
            with connection.cursor() as cursor:
                cursor.execute(NEWEST)
                newest = cursor.fetchone()[0]
            self._report(newest, touched_between)

        try:
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            read_newest()
            since_check = 0.0
            while not self._stopping.is_set():
                ready, _, _ = select.select([connection], [], [], 1.0)
                since_check += 0 if ready else 1.0
                if ready:
                    self._stopping.wait(GATHER_SECONDS)
                connection.poll()
                newest = 0
                while connection.notifies:
                    payload = connection.notifies.pop(0).payload
                    newest = max(newest, int(payload) if payload.isdigit() else 0)
                if newest:
                    self._report(newest, touched_between)
                if since_check >= RECHECK_SECONDS:
                    since_check = 0.0
                    read_newest()
        finally:
            connection.close()
