"""Disconnecting WebSocket clients that stop reading.

uvicorn holds a message for a client until the connection's buffer drains, so a client
that stops reading stalls its own streams (nothing more is read for it) and keeps one
message and a buffer's worth of memory. Held for long, that is a resource an idle attacker
can multiply: a message that waits more than `timeout` seconds to be handed over ends the
connection. The close frame (4408, "slow consumer") is queued behind what the client has
not read, so a client that is merely slow reads it; one that reads nothing more has its
connection aborted `grace` seconds later.

The ASGI interface has no way to close a connection whose buffer is full (a close is a
message like any other), so this reaches the uvicorn protocol behind `send`; where it is
not there, the stall is logged and counted, and the connection left to TCP.
"""
import asyncio
import logging

from starlette.websockets import WebSocketDisconnect

log = logging.getLogger("registry.gateway")

CLOSE_CODE = 4408
# For /metrics: WebSocket connections open now; those ended for not reading, and those that
# could not be (see above).
OPEN = [0]
DISCONNECTED = [0]
NOT_DISCONNECTED = [0]


class SlowConsumers:
    """ASGI middleware, outermost, where `send` is still the server's own."""

    def __init__(self, app, timeout: float):
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        OPEN[0] += 1
        try:
            await self.app(scope, receive, SlowConsumerGuard(send, self.timeout))
        finally:
            OPEN[0] -= 1


class SlowConsumerGuard:
    def __init__(self, send, timeout: float):
        self.send = send
        self.timeout = timeout
        self.disconnected = False
        # uvicorn's protocol says whether its buffer has room: a send then does not wait,
        # and needs no timer (a timer per message cost a tenth of a 500-subscriber fan-out).
        self.writable = getattr(getattr(send, "__self__", None), "writable", None)

    async def __call__(self, message) -> None:
        if self.disconnected:
            raise WebSocketDisconnect(CLOSE_CODE, "slow consumer")
        if self.writable is not None and self.writable.is_set():
            return await self.send(message)
        try:
            async with asyncio.timeout(self.timeout):
                await self.send(message)
        except TimeoutError:
            self.disconnected = True
            self._disconnect()
            raise WebSocketDisconnect(CLOSE_CODE, "slow consumer") from None

    def _disconnect(self) -> None:
        protocol = getattr(self.send, "__self__", None)
        transport, connection = getattr(protocol, "transport", None), getattr(protocol, "conn", None)
        if transport is None or not hasattr(connection, "fail"):
            NOT_DISCONNECTED[0] += 1
            log.error("a WebSocket client read nothing for %s s, and its connection cannot be closed from here "
                      "(%s)", self.timeout, type(protocol).__name__)
            return
        DISCONNECTED[0] += 1
        log.warning("closing a WebSocket whose client read nothing for %s s (%s, slow consumer)", self.timeout,
                    CLOSE_CODE)
        connection.fail(CLOSE_CODE, "slow consumer")
        transport.write(b"".join(connection.data_to_send()))
        protocol.close_sent = True
        transport.close()  # once what is buffered has been read
        self._abort_unless_read(transport, transport.get_write_buffer_size())

    def _abort_unless_read(self, transport, size: int) -> None:
        """In `timeout` seconds, abort the connection unless the client read some of its buffer."""
        def check():
            now = transport.get_write_buffer_size()
            if now == 0:
                return  # all read: the transport closes itself
            if now >= size:
                transport.abort()
                return
            self._abort_unless_read(transport, now)

        asyncio.get_running_loop().call_later(self.timeout, check)
