"""Running the app under uvicorn, in one process or several.

With `--workers N`, uvicorn's supervisor binds the listening socket itself and hands it
to the workers; the connections accepted from it never get TCP_NODELAY (the socket is
made with proto 0, and asyncio only sets the option for IPPROTO_TCP; Kludex/uvicorn#3149),
so on a keep-alive connection every response after the first waits ~40 ms for the
client's delayed ACK. Our HTTP protocol sets the option on each connection itself.
"""
import gc
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


# Allocations between two collections of the youngest generation (Python's default: 700).
# A page allocates tens of thousands of objects, so at 700 the collector ran dozens of
# times a request, and each of its passes went through more survivors the more WebSocket
# connections were open: 500 idle subscribers made a models page cost a third more CPU, and
# nothing at 10,000. Requests leave no cycles (tests/test_statement_counts.py), so memory
# does not wait on the collector.
YOUNG_GENERATION_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """For a serving process, once its app is built: what exists now (modules, the schema)
    is set aside from the collector's passes for good, and the youngest generation is
    collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


def worker_app():
    """The app of one of `--workers N`, built from the environment."""
    from gateway.app import create_app

    app = create_app()
    tune_garbage_collector()
    return app


def run(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> None:
    # WebSocket messages go uncompressed: they are small JSON, and permessage-deflate cost
    # an eighth of a subscription event's CPU and 40 KB of zlib state per connection.
    options = {"host": host, "port": port, "http": NoDelayHttpProtocol, "log_level": "info", "access_log": access_log,
               "ws_per_message_deflate": False}
    if workers == 1:
        from gateway.app import create_app

        app = create_app(settings)
        tune_garbage_collector()
        uvicorn.run(app, **options)
        return
    # Workers are fresh processes that build the app from the environment: hand them the
    # settings given on the command line that way.
    os.environ["REGISTRY_DATABASE_URL"] = settings.database_url
    os.environ["REGISTRY_AUTH"] = settings.auth
    uvicorn.run("gateway.serving:worker_app", factory=True, workers=workers, **options)
