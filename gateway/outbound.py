"""Requests the gateway makes to webhook receivers: httpx, with the address policy applied
where a connection is opened.

httpx resolves a host inside httpcore's network backend, so the guard is a backend: it
resolves the name itself, asks the policy about each address, and connects to the
address it checked. A name that resolved to a public address a minute ago and to
127.0.0.1 now (DNS rebinding) is refused now. TLS still verifies the certificate against
the URL's host. Redirects are not followed, proxies from the environment are not used.
"""
import asyncio
import email.utils
import ipaddress
import socket
import time
from typing import Awaitable, Callable

import httpcore
import httpx

from resolvers.deliveries import RESPONSE_KEPT, Answer
from resolvers.webhook_targets import AddressPolicy

USER_AGENT = "registry-gateway-webhooks/1"
# Resolves (host, port) to socket addresses; a stub in tests.
Resolve = Callable[[str, int], Awaitable[list[tuple]]]


class TargetRefused(Exception):
    pass


async def system_resolve(host: str, port: int) -> list[tuple]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4] for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: AddressPolicy, resolve: Resolve = system_resolve):
        self.policy = policy
        self.resolve = resolve
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = await asyncio.wait_for(self.resolve(host, port), timeout)
        except (OSError, asyncio.TimeoutError) as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        refusals = []
        for sockaddr in addresses:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            refused = self.policy.refusal(address)
            if refused is None:
                return await self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            refusals.append(refused)
        raise TargetRefused(f"{host} resolves to {refusals[0] if refusals else 'no address'}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class HttpSender:
    """Posts signed messages; an Answer for whatever happens, never an exception."""

    def __init__(self, policy: AddressPolicy, timeout_seconds: float, resolve: Resolve = system_resolve):
        self.timeout_seconds = timeout_seconds
        transport = httpx.AsyncHTTPTransport(trust_env=False)
        # httpx takes no network backend; its transport's pool is made again with ours
        # (tests/test_webhooks.py shows loopback refused through it).
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=100, max_keepalive_connections=20,
            keepalive_expiry=5.0, network_backend=GuardedBackend(policy, resolve))
        self.client = httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                                        timeout=httpx.Timeout(timeout_seconds),
                                        headers={"user-agent": USER_AGENT})

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                async with self.client.stream("POST", url, headers=headers, content=body) as response:
                    kept = bytearray()
                    async for chunk in response.aiter_bytes():
                        kept += chunk
                        if len(kept) >= RESPONSE_KEPT * 4:  # enough for 1,000 characters of UTF-8
                            break
                    return Answer(status=response.status_code,
                                  body=kept.decode("utf-8", "replace")[:RESPONSE_KEPT],
                                  retry_after=_retry_after(response.headers.get("retry-after")))
        except TargetRefused as refused:
            return Answer(error=f"Refused: {refused}; allow it with REGISTRY_WEBHOOK_ALLOWED_NETWORKS if it is "
                                "yours.", final=True)
        except (TimeoutError, httpx.TimeoutException):
            return Answer(error=f"Timed out after {self.timeout_seconds:g} s.")
        except httpx.HTTPError as error:
            return Answer(error=f"{type(error).__name__}: {error or 'the connection failed'}"[:RESPONSE_KEPT])

    async def close(self) -> None:
        await self.client.aclose()
