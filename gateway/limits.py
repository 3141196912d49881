"""Request bodies: refused with 413 past their size before they are read whole, and with
408 when they take too long to arrive (a client trickling bytes holds a connection)."""
import asyncio

from gateway.refusals import refusal_body


class BodyLimits:
    def __init__(self, app, max_bytes: int, timeout_seconds: float):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _refuse(scope, send, 413, "PAYLOAD_TOO_LARGE",
                                 f"The request body exceeds {self.max_bytes} bytes.")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_seconds
        received, complete = 0, False

        async def limited_receive():
            nonlocal received, complete
            if complete:  # later receives wait for a disconnect, which may take any time
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except asyncio.TimeoutError:
                raise BodyRefused(408, "REQUEST_TIMEOUT",
                                  f"The request body did not arrive within {self.timeout_seconds:g} seconds.") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyRefused(413, "PAYLOAD_TOO_LARGE", f"The request body exceeds {self.max_bytes} bytes.")
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyRefused as refusal:
            await _refuse(scope, send, refusal.status, refusal.code, refusal.message)


class BodyRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def _refuse(scope, send, status: int, code: str, message: str) -> None:
    body = refusal_body(scope, code, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 408:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
