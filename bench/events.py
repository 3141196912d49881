"""Events under load: how long a committed change takes to reach a webhook receiver and 500
live subscribers, and what attaching them costs registrations. Everything runs on this
machine, on 127.0.0.1: the receiver and the subscribers in processes of their own, so the
registering client shares no interpreter with them.

Usage: python bench/events.py [--backends sqlite,postgresql] [--changes N] [--subscribers N] [--output FILE]

For each backend, on a fresh database, one `registry-gateway serve` process:
  1. registrations alone (the baseline: one client, one after another);
  2. the same with a registry-wide webhook: commit -> delivery latency;
  3. the same with N subscribers to `activities`: commit -> the last subscriber's receipt.
"""
import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
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


def _receive(port_out, arrivals):
    """A webhook receiver, in a process of its own: each version's delivery time (time.time)."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as receivers behind any web server have

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if body["type"] == "MODEL_VERSION_CREATED":
                arrivals.put((body["data"]["version"], time.time()))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


class Receiver:
    def __init__(self):
        ports, self.arrivals = multiprocessing.Queue(), multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_receive, args=(ports, self.arrivals), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{ports.get(timeout=30)}/hook"

    def arrived(self, count: int) -> dict[int, float]:
        found: dict[int, float] = {}
        while len(found) < count:
            version, at = self.arrivals.get(timeout=120)
            found.setdefault(version, at)
        return found

    def close(self) -> None:
        self.process.terminate()


def _subscribe(url: str, count: int, expected: int, ready, results) -> None:
    """`count` subscribers, in a process of its own: when the last of them saw each version."""
    last: dict[int, float] = {}
    seen: dict[int, int] = {}
    done = asyncio.Event()

    async def one(connected: list) -> None:
        async with connect(url, subprotocols=["graphql-transport-ws"], max_size=None, open_timeout=60) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}}))
            connected.append(1)
            if len(connected) == count:
                ready.set()
            async for message in ws:
                version = json.loads(message)["payload"]["data"]["activities"]["version"]
                last[version] = time.time()
                seen[version] = seen.get(version, 0) + 1
                if len(seen) == expected and all(n == count for n in seen.values()):
                    done.set()

    async def run() -> None:
        connected: list = []
        tasks = [asyncio.ensure_future(one(connected)) for _ in range(count)]
        await done.wait()
        for task in tasks:
            task.cancel()

    asyncio.run(run())
    results.put(last)


class Subscribers:
    def __init__(self, url: str, count: int, expected: int):
        self.ready, self.results = multiprocessing.Event(), multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_subscribe, daemon=True, args=(
            url.replace("http://", "ws://") + "/graphql", count, expected, self.ready, self.results))
        self.process.start()
        if not self.ready.wait(120):
            raise RuntimeError("the subscribers did not connect")

    def last_seen(self) -> dict[int, float]:
        return self.results.get(timeout=300)


def register(client: httpx.Client, name: str, count: int, start_version: int) -> tuple[float, dict[int, float]]:
    """`count` registrations one after another: the rate, and when each version committed."""
    committed = {}
    began = time.perf_counter()
    for n in range(count):
        body = client.post("/graphql", json={"query": REGISTER, "variables": {
            "name": name, "source": f"s3://bench/{n}"}}).json()
        committed[body["data"]["createModelVersion"]["modelVersion"]["version"]] = time.time()
    assert len(committed) == count and min(committed) == start_version, committed
    return count / (time.perf_counter() - began), committed


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
            result["webhook_latency"] = latencies(committed, receiver.arrived(changes))
            receiver.close()
            client.post("/graphql", json={"query": "mutation($id: ID!) { deleteWebhook(input: {id: $id}) "
                                                   "{ userErrors { message } } }", "variables": {"id": client.post(
                                                       "/graphql", json={"query": "{ webhooks { nodes { id } } }"}
                                                   ).json()["data"]["webhooks"]["nodes"][0]["id"]}})

            watchers = Subscribers(url, subscribers, changes)
            result["subscribed"], committed = register(client, "watched", changes, 1)
            result["fanout_latency"] = latencies(committed, watchers.last_seen())
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
