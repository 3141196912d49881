"""Events under load: how long a committed change takes to reach a webhook receiver and 500
live subscribers, and what attaching them costs registrations. Everything runs on this
machine (the receiver and the subscribers are in this process, on 127.0.0.1).

Usage: python bench/events.py [--backends sqlite,postgresql] [--changes N] [--subscribers N] [--output FILE]

For each backend, on a fresh database, one `registry-gateway serve` process:
  1. registrations alone (the baseline: one client, one after another);
  2. the same with a registry-wide webhook: commit -> delivery latency;
  3. the same with N subscribers to `activities`: commit -> the last subscriber's receipt.
"""
import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import free_port, fresh_postgres_databases, machine_facts, start, stop  # noqa: E402

REGISTER = """mutation($name: String!, $source: String!) {
  createModelVersion(input: {name: $name, source: $source, createModelIfMissing: true}) {
    modelVersion { version } userErrors { code message } } }"""
FOLLOW = "subscription { activities(types: [MODEL_VERSION_CREATED]) { version } }"


class Receiver:
    """Webhook receiver: when each version's delivery arrived (perf_counter)."""

    def __init__(self):
        self.arrived: dict[int, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if body["type"] == "MODEL_VERSION_CREATED":
                    receiver.arrived.setdefault(body["data"]["version"], time.perf_counter())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Subscribers:
    """N WebSocket subscribers in a thread of their own: when each saw each version."""

    def __init__(self, url: str, count: int):
        self.url = url.replace("http://", "ws://") + "/graphql"
        self.count = count
        self.seen: dict[int, list[float]] = {}
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.task = asyncio.run_coroutine_threadsafe(self._run(), self.loop)
        if not self.ready.wait(120):
            raise RuntimeError("the subscribers did not connect")

    async def _one(self, connected: list) -> None:
        async with connect(self.url, subprotocols=["graphql-transport-ws"], max_size=None, open_timeout=60) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}}))
            connected.append(1)
            if len(connected) == self.count:
                self.ready.set()
            async for message in ws:
                version = json.loads(message)["payload"]["data"]["activities"]["version"]
                self.seen.setdefault(version, []).append(time.perf_counter())

    async def _run(self) -> None:
        connected: list = []
        await asyncio.gather(*(self._one(connected) for _ in range(self.count)))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)


def register(client: httpx.Client, name: str, count: int, start_version: int) -> tuple[float, dict[int, float]]:
    """`count` registrations one after another: the rate, and when each version committed."""
    committed = {}
    began = time.perf_counter()
    for n in range(count):
        body = client.post("/graphql", json={"query": REGISTER, "variables": {
            "name": name, "source": f"s3://bench/{n}"}}).json()
        committed[body["data"]["createModelVersion"]["modelVersion"]["version"]] = time.perf_counter()
    assert len(committed) == count and min(committed) == start_version, committed
    return count / (time.perf_counter() - began), committed


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("events did not arrive in time")
        time.sleep(0.05)


def latencies(committed: dict[int, float], arrived: dict[int, float]) -> dict:
    ms = sorted((arrived[v] - committed[v]) * 1000 for v in committed)
    return {"p50": statistics.median(ms), "p99": ms[int(len(ms) * 0.99) - 1], "max": ms[-1]}


def run_backend(backend: str, changes: int, subscribers: int, work: Path, postgres: str) -> dict:
    if backend == "sqlite":
        database = f"sqlite:///{work / 'events.db'}"
    else:
        fresh_postgres_databases(postgres, ("bench_events",))
        database = f"{postgres}/bench_events"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", database],
                   f"{url}/healthz", env={"REGISTRY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                                          "REGISTRY_SECRETS_KEY_FILE": str(work / f"{backend}.key")},
                   log=work / f"{backend}.log")
    result = {}
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            register(client, "warm-up", 50, 1)
            result["alone"], _ = register(client, "alone", changes, 1)

            receiver = Receiver()
            made = client.post("/graphql", json={"query": 'mutation($url: String!) { createWebhook(input: {url: $url})'
                                                          ' { userErrors { message } } }',
                                                 "variables": {"url": receiver.url}}).json()
            assert made["data"]["createWebhook"]["userErrors"] == [], made
            result["webhook"], committed = register(client, "hooked", changes, 1)
            wait_for(lambda: len(receiver.arrived) >= changes)
            result["webhook_latency"] = latencies(committed, receiver.arrived)
            receiver.server.shutdown()
            client.post("/graphql", json={"query": "mutation($id: ID!) { deleteWebhook(input: {id: $id}) "
                                                   "{ userErrors { message } } }", "variables": {"id": client.post(
                                                       "/graphql", json={"query": "{ webhooks { nodes { id } } }"}
                                                   ).json()["data"]["webhooks"]["nodes"][0]["id"]}})

            watchers = Subscribers(url, subscribers)
            try:
                result["subscribed"], committed = register(client, "watched", changes, 1)
                wait_for(lambda: all(len(watchers.seen.get(v, ())) == subscribers for v in committed))
                last = {v: max(watchers.seen[v]) for v in committed}
                result["fanout_latency"] = latencies(committed, last)
            finally:
                watchers.close()
    finally:
        stop(server)
    return result


def lines(backend: str, r: dict, changes: int, subscribers: int) -> list[str]:
    w, f = r["webhook_latency"], r["fanout_latency"]
    return [
        f"### {backend}",
        "",
        "| | registrations/s | vs. alone | commit → received, p50 | p99 | max |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| registrations alone | {r['alone']:.0f} | 1.00 | | | |",
        f"| with a registry-wide webhook | {r['webhook']:.0f} | {r['webhook'] / r['alone']:.2f} "
        f"| {w['p50']:.1f} ms | {w['p99']:.1f} ms | {w['max']:.1f} ms |",
        f"| with {subscribers} subscribers (the last of them) | {r['subscribed']:.0f} "
        f"| {r['subscribed'] / r['alone']:.2f} | {f['p50']:.1f} ms | {f['p99']:.1f} ms | {f['max']:.1f} ms |",
        "",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    out = [f"# Events under load ({args.changes} registrations, one client; {args.subscribers} subscribers)", "",
           machine_facts(), ""]
    with tempfile.TemporaryDirectory() as work:
        for backend in args.backends.split(","):
            result = run_backend(backend, args.changes, args.subscribers, Path(work), args.postgres)
            out += lines(backend, result, args.changes, args.subscribers)
            print("\n".join(lines(backend, result, args.changes, args.subscribers)), flush=True)
    if args.output:
        args.output.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
