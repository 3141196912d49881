"""Running the app under uvicorn, in one process or several.

With `--workers N`, uvicorn's supervisor binds the listening socket itself and hands it
to the workers; the connections accepted from it never get TCP_NODELAY (the socket is
made with proto 0, and asyncio only sets the option for IPPROTO_TCP; Kludex/uvicorn#3149),
so on a keep-alive connection every response after the first waits ~40 ms for the
client's delayed ACK. Our HTTP protocol sets the option on each connection itself.
"""
import os
import socket

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.settings import Settings


class NoDelayHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> None:
    options = {"host": host, "port": port, "http": NoDelayHttpProtocol, "log_level": "info", "access_log": access_log}
    if workers == 1:
        from gateway.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Workers are fresh processes that build the app from the environment: hand them the
    # settings given on the command line that way.
    os.environ["REGISTRY_DATABASE_URL"] = settings.database_url
    os.environ["REGISTRY_AUTH"] = settings.auth
    uvicorn.run("gateway.app:create_app", factory=True, workers=workers, **options)
