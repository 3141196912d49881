"""Knowing, in each process, the newest committed activity: what wakes live subscriptions.

The activity table stays the truth; this only says when to look at it again. On
PostgreSQL each insert into the log notifies the channel `registry_activity` with the
newest id it made (NOTIFY is delivered at commit; payloads carry ids only), and one
dedicated connection per process LISTENs, reconnecting with a backoff. After every
(re)connect, and every few seconds besides, it reads the newest id from the table
itself, so a lost notification costs a delay, never an event. On SQLite, a cheap tail:
the newest id, read every POLL_SECONDS.
"""
import asyncio
import logging
import select
import sqlite3
import threading
from urllib.parse import urlparse

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
# Reconnections of this process's LISTEN connection, each logged: for /metrics, and for the
# tests, which fail on one they did not cause.
RECONNECTS = [0]


class ActivityTail:
    """`newest` is the highest activity id known committed; `wait_beyond(n)` returns once
    it is above n. Started and stopped with the app."""

    def __init__(self, url: str):
        self.url = url
        self.newest = 0
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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

    async def wait_beyond(self, seen: int) -> None:
        while self.newest <= seen:
            changed = self._changed
            await changed.wait()

    def _advance(self, newest: int) -> None:
        """In the event loop: a higher newest id wakes every waiter."""
        if newest > self.newest:
            self.newest = newest
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    def _report(self, newest: int) -> None:
        """From the tail's thread."""
        if newest > self.newest and self._loop is not None:
            self._loop.call_soon_threadsafe(self._advance, newest)

    def _poll_sqlite(self) -> None:
        path = urlparse(self.url).path
        path = path[1:] if path.startswith("/") else path
        connection = sqlite3.connect(path, check_same_thread=False)
        try:
            while not self._stopping.wait(POLL_SECONDS):
                try:
                    self._report(connection.execute(NEWEST).fetchone()[0])
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
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
                cursor.execute(NEWEST)
                self._report(cursor.fetchone()[0])
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
                    self._report(newest)
                if since_check >= RECHECK_SECONDS:
                    since_check = 0.0
                    with connection.cursor() as cursor:
                        cursor.execute(NEWEST)
                        self._report(cursor.fetchone()[0])
        finally:
            connection.close()
