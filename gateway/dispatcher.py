"""The dispatcher: a task in each serving process that sends what the outboxes hold and is
due, webhook deliveries and (with SMTP settings) e-mails. Processes share the work through
leases (store/outbox.py), so `--workers N` or several replicas send each once in normal
operation.

It wakes when the activity tail sees a new activity (a new delivery may be due), when a
delivery in flight finishes, and every POLL_SECONDS besides (retries come due with time).
What batches finishing together got is written in one transaction (a group commit): one
registration with 10 webhooks is one lease and, mostly, one record, not ten.
"""
import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from resolvers import deliveries, mail
from resolvers.deliveries import Message, Outbound
from store.activity_tail import ActivityTail
from store.database import Store

log = logging.getLogger("registry.webhooks")

POLL_SECONDS = 1.0
FORGET_EVERY_SECONDS = 3600.0  # how often finished deliveries older than their keeping time are deleted
MAX_IN_FLIGHT = 32  # deliveries one process sends at once (one per webhook at most)
FAILURE_PAUSE_SECONDS = (0.5, 1, 2, 5)
# Failures of the dispatcher's own work (a lost database, a bug), each logged: for
# /metrics, and for the tests, which fail on one they did not cause.
FAILURES = [0]
# Deliveries this process finished an attempt of, by channel and the status it left them in.
DELIVERED: dict[tuple[str, str], int] = {}


@dataclass(frozen=True)
class Channel:
    """One outbox: how its due work is leased (a write: outbound, limit, lease seconds),
    in items (a webhook's batch, an e-mail), and how an item is sent: the messages sent,
    each with its answer, and those left unsent."""

    name: str
    any_due: Callable[[], bool]  # a read: whether take_due may find anything
    take_due: Callable[[Outbound, int, float], list]
    send: Callable[[object], Awaitable[tuple[deliveries.Sent, list[Message]]]]


def channels(outbound: Outbound, timeout_seconds: float) -> list[Channel]:
    webhooks = Channel("webhook", deliveries.webhooks_due, deliveries.take_due_webhooks,
                       lambda batch: deliveries.send_in_order(outbound.sender, batch, timeout_seconds))
    if outbound.mailer is None:
        return [webhooks]

    async def send_mail(message: Message) -> tuple[deliveries.Sent, list[Message]]:
        return [(message, await outbound.mailer.send(message))], []

    return [webhooks, Channel("email", mail.emails_due, mail.take_due_emails, send_mail)]


def _record_all(outbound: Outbound, batches: list) -> dict[str, deliveries.Tally]:
    """One write: what the batches got, by channel (a channel's successes in one UPDATE)."""
    by_channel: dict[str, tuple[deliveries.Sent, list[Message]]] = {}
    for channel, sent, unsent, _ in batches:
        all_sent, all_unsent = by_channel.setdefault(channel.name, ([], []))
        all_sent += sent
        all_unsent += unsent
    return {name: deliveries.record(outbound, sent, unsent) for name, (sent, unsent) in by_channel.items()}


class Dispatcher:
    def __init__(self, store: Store, outbound: Outbound, tail: ActivityTail, timeout_seconds: float):
        self.store = store
        self.outbound = outbound
        self.channels = channels(outbound, timeout_seconds)
        self.tail = tail
        # A lease outlives the longest batch (the last attempt starts within the timeout and
        # takes at most the timeout), with time to write the outcome.
        self.lease_seconds = 2 * timeout_seconds + 5
        self.in_flight: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._finished_batches: list[tuple[Channel, deliveries.Sent, list[Message], asyncio.Future]] = []
        self._recorder: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._recorder, *self.in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        forgotten_at = 0.0
        while True:
            # Taken before leasing: an activity committed while the lease runs wakes the wait.
            seen = self.tail.newest
            self._wake.clear()
            try:
                if time.monotonic() - forgotten_at > FORGET_EVERY_SECONDS:
                    forgotten_at = time.monotonic()
                    forgotten = await self.store.run_write(deliveries.forget_old)
                    if forgotten:
                        log.info("forgot %d finished deliveries older than %d days", forgotten, deliveries.KEPT_DAYS)
                await self._lease_and_send()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - logged and counted; the next round tries again
                FAILURES[0] += 1
                pause = FAILURE_PAUSE_SECONDS[min(failures, len(FAILURE_PAUSE_SECONDS) - 1)]
                failures += 1
                log.exception("the webhook dispatcher failed; trying again in %s s", pause)
                await asyncio.sleep(pause)
                continue
            await self._wait(seen)

    async def _lease_and_send(self) -> None:
        for channel in self.channels:
            if not await self.store.run(channel.any_due):
                continue
            while (room := MAX_IN_FLIGHT - len(self.in_flight)) > 0:
                items = await self.store.run_write(channel.take_due, self.outbound, room, self.lease_seconds)
                for item in items:
                    task = asyncio.create_task(self._deliver(channel, item))
                    self.in_flight.add(task)
                    task.add_done_callback(self._finished)
                if len(items) < room:
                    break

    def _finished(self, task: asyncio.Task) -> None:
        self.in_flight.discard(task)
        self._wake.set()

    async def _deliver(self, channel: Channel, item) -> None:
        sent, unsent = await channel.send(item)
        recorded = asyncio.get_running_loop().create_future()
        self._finished_batches.append((channel, sent, unsent, recorded))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_finished(), name="webhook-recorder")
        try:
            await recorded
        except Exception:  # noqa: BLE001 - the lease expires and the delivery is sent again
            FAILURES[0] += 1
            log.exception("could not record %d deliveries; they will be sent again when their lease expires",
                          len(sent))

    async def _record_finished(self) -> None:
        """Writes what the finished batches got, all those waiting in one transaction,
        until none waits."""
        while self._finished_batches:
            batches, self._finished_batches = self._finished_batches, []
            try:
                tallies = await self.store.run_write(_record_all, self.outbound, batches)
            except Exception as error:  # noqa: BLE001 - each batch's task logs and counts it
                for *_, recorded in batches:
                    if not recorded.done():  # its task may have been cancelled meanwhile
                        recorded.set_exception(error)
                continue
            for name, tally in tallies.items():
                for status, count in tally.by_status.items():
                    DELIVERED[name, status] = DELIVERED.get((name, status), 0) + count
                if tally.lost_leases:
                    log.warning("%d deliveries were sent but not recorded: their lease had expired, and another "
                                "process may send them again, or they were deleted", tally.lost_leases)
            for *_, recorded in batches:
                if not recorded.done():
                    recorded.set_result(None)

    async def _wait(self, seen: int) -> None:
        """Until an activity after `seen`, a finished delivery, or POLL_SECONDS."""
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self.tail.wait_beyond(seen))]
        try:
            await asyncio.wait(waiters, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
