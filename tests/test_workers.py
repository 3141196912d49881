"""Several processes: `serve --workers N`, their connections, and migrations run by
processes that start together."""
import asyncio
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
from uvicorn.server import ServerState

from gateway.serving import NoDelayHttpProtocol
from store.database import open_database
from tests.conftest import comes_up

ROOT = Path(__file__).resolve().parent.parent


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_connections_on_a_socket_bound_like_uvicorns_supervisor_get_tcp_nodelay():
    """uvicorn's --workers supervisor binds with proto 0, so asyncio leaves Nagle on for
    the connections it accepts (Kludex/uvicorn#3149); our protocol turns it off."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    config = uvicorn.Config(app=lambda scope, receive, send: None, http=NoDelayHttpProtocol)

    async def accept_one(protocol_class) -> int:
        made = []

        def factory():
            made.append(protocol_class(config=config, server_state=ServerState(), app_state={}))
            return made[-1]

        server = await asyncio.get_running_loop().create_server(factory, sock=listener.dup())
        client = socket.create_connection(listener.getsockname())
        try:
            while not made or made[0].transport is None:
                await asyncio.sleep(0.01)
            return _nodelay(made[0].transport.get_extra_info("socket"))
        finally:
            client.close()
            server.close()

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert asyncio.run(accept_one(HttpToolsProtocol)) == 0  # the stall's cause, still there
    assert asyncio.run(accept_one(NoDelayHttpProtocol)) != 0
    listener.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_workers_serve_one_port(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--workers", "2", "--port", str(port),
         "--database", f"sqlite:///{tmp_path / 'registry.db'}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert comes_up(f"http://127.0.0.1:{port}/healthz", server), "serve --workers 2 did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            created = http.post("/graphql", json={"query": 'mutation { createRegisteredModel(input: {name: "w"}) '
                                                           "{ registeredModel { name } } }"}).json()
            assert created["data"]["createRegisteredModel"]["registeredModel"] == {"name": "w"}
            for _ in range(5):  # keep-alive requests, answered by either worker
                found = http.post("/graphql", json={"query": '{ registeredModel(name: "w") { name } }'}).json()
                assert found == {"data": {"registeredModel": {"name": "w"}}}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert output.count("Application startup complete") == 2, output


def test_processes_migrating_at_once_apply_each_migration_once(fresh_database_url):
    def migrate() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gateway.cli", "migrate", "--database", fresh_database_url],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ})

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: migrate(), range(4)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    outputs = sorted(r.stdout.strip() for r in results)
    assert outputs[0].startswith("applied: 0001") and outputs[1:] == ["up to date"] * 3, outputs
    fresh = open_database(fresh_database_url, 1)  # not a Store, which would bind the tables to it
    try:
        with fresh.connection_context():
            names = [n for (n,) in fresh.execute_sql("SELECT name FROM schema_migration ORDER BY name")]
    finally:
        fresh.close_all()
    assert names == sorted(set(names)) and len(names) == len(list((ROOT / "store" / "migrations").glob("0*.py")))
