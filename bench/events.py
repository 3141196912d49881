"""Events under load, as issue 12 asks: commit -> webhook received at a sustained 200
activities/s; one activity fanned out to 500 WebSocket subscribers, and the server's memory
per idle subscription; registrations and the models page with 10 webhooks and 100
subscribers attached, beside the same without. Everything runs on this machine, on
127.0.0.1: the receivers and the subscribers in processes of their own.

Usage: python bench/events.py [--backends sqlite,postgresql] [--output FILE]
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import MODELS_PAGE, free_port, fresh_postgres_databases, machine_facts, start, stop  # noqa: E402

REGISTER = """mutation($name: String!, $source: String!) {
  createModelVersion(input: {name: $name, source: $source, createModelIfMissing: true}) {
    modelVersion { version } userErrors { code message } } }"""
FOLLOW = ("subscription($model: String) { activities(modelName: $model, types: [MODEL_VERSION_CREATED]) "
          "{ modelName version } }")
CREATE_WEBHOOK = ("mutation($url: String!, $model: String) { createWebhook(input: {url: $url, modelName: $model}) "
                  "{ webhook { id } userErrors { message } } }")
DELETE_WEBHOOK = "mutation($id: ID!) { deleteWebhook(input: {id: $id}) { userErrors { message } } }"


# ---- webhook receivers and subscribers, each in a process of its own ----------------------

def _receive(port_out, arrivals):
    """A webhook receiver: each (model, version) delivery's arrival time (time.time)."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as receivers behind any web server have

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if body["type"] == "MODEL_VERSION_CREATED":
                arrivals.put((body["data"]["modelName"], body["data"]["version"], time.time()))
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

    def arrived(self, count: int) -> dict[tuple, float]:
        found: dict[tuple, float] = {}
        while len(found) < count:
            model, version, at = self.arrivals.get(timeout=120)
            found.setdefault((model, version), at)
        return found

    def close(self) -> None:
        self.process.terminate()


def _subscribe(url: str, count: int, model: str | None, ready, asked, answers, stop_event) -> None:
    """`count` subscribers. Receipts are kept here, as (model, version) -> times
    (time.time); for each key put in `asked`, the times go to `answers` once all `count`
    subscribers have it (or after a minute)."""
    receipts: dict[tuple, list[float]] = {}

    async def one(connected: list) -> None:
        async with connect(url, subprotocols=["graphql-transport-ws"], max_size=None, open_timeout=60,
                           ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": FOLLOW, "variables": {"model": model}}}))
            connected.append(1)
            if len(connected) == count:
                ready.set()
            async for message in ws:
                activity = json.loads(message)["payload"]["data"]["activities"]
                receipts.setdefault((activity["modelName"], activity["version"]), []).append(time.time())

    async def run() -> None:
        connected: list = []
        tasks = [asyncio.ensure_future(one(connected)) for _ in range(count)]
        waiting: dict[tuple, float] = {}
        while not stop_event.is_set():
            while not asked.empty():
                waiting[tuple(asked.get())] = time.monotonic() + 60
            for key, deadline in list(waiting.items()):
                if len(receipts.get(key, ())) >= count or time.monotonic() > deadline:
                    answers.put(receipts.get(key, []))
                    del waiting[key]
            await asyncio.sleep(0.02)
        for task in tasks:
            task.cancel()

    asyncio.run(run())


class Subscribers:
    def __init__(self, url: str, count: int, model: str | None = None):
        self.ready, self.stop_event = multiprocessing.Event(), multiprocessing.Event()
        self.asked, self.answers = multiprocessing.Queue(), multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_subscribe, daemon=True, args=(
            url.replace("http://", "ws://") + "/graphql", count, model, self.ready, self.asked, self.answers,
            self.stop_event))
        self.process.start()
        if not self.ready.wait(180):
            raise RuntimeError("the subscribers did not connect")
        time.sleep(1)  # the last subscriptions are set up on the server

    def of(self, model: str, version: int) -> list[float]:
        """When each subscriber received the version."""
        self.asked.put((model, version))
        return self.answers.get(timeout=120)

    def close(self) -> None:
        self.stop_event.set()
        self.process.join(30)


# ---- measuring ----------------------------------------------------------------------------

# Rounds of the figures alone and attached: this machine's speed varies by a fifth from one
# minute to the next.
ROUNDS = 3

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def register(client: httpx.Client, name: str, n: int) -> tuple[tuple, float]:
    """Version n of model `zz-NAME`: the prefix sorts after the seeded models' names, so
    the models page shows the same 100 models, with the same versions, all along."""
    name = f"zz-{name}"
    body = client.post("/graphql", json={"query": REGISTER, "variables": {"name": name, "source": f"s3://b/{n}"}})
    version = body.json()["data"]["createModelVersion"]["modelVersion"]["version"]
    return (name, version), time.time()


def register_several(client: httpx.Client, name: str, n: int, count: int) -> dict[tuple, float]:
    """`count` versions of model `zz-NAME` in one request (mutation fields run one after
    another, each its own transaction): when the server made each, by its createdAt (a
    moment before its commit, so a delay from it is if anything overstated)."""
    fields = " ".join(f"v{i}: createModelVersion(input: {{name: $name, source: \"s3://b/{n}/{i}\", "
                      "createModelIfMissing: true}) { modelVersion { version createdAt } }" for i in range(count))
    body = client.post("/graphql", json={"query": f"mutation($name: String!) {{ {fields} }}",
                                         "variables": {"name": f"zz-{name}"}}).json()
    made = [body["data"][f"v{i}"]["modelVersion"] for i in range(count)]
    return {(f"zz-{name}", v["version"]): datetime.fromisoformat(v["createdAt"]).timestamp() for v in made}


def paced(url: str, rate: float, seconds: float, clients: int = 8, per_request: int = 1) -> tuple[dict, float]:
    """Registrations at `rate` per second in all, `per_request` to a request, from
    `clients` threads (a model each): when each was made, and the rate achieved."""
    committed: dict[tuple, float] = {}
    per_client = rate / clients / per_request  # requests a second
    began = time.monotonic()

    def run(c: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for n in range(int(per_client * seconds)):
                wait = began + n / per_client - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if per_request == 1:
                    key, at = register(client, f"paced-{c}", n)
                    committed[key] = at
                else:
                    committed.update(register_several(client, f"paced-{c}", n, per_request))

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return committed, len(committed) / (time.monotonic() - began)


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def back_to_back(client: httpx.Client, requests: int, call, server_pid: int) -> dict:
    """`requests` calls one after another: the rate, the mean, p50, p99 latency (ms), and
    the server's CPU per call (ms), what it did meanwhile for the events included."""
    times = []
    cpu = cpu_seconds(server_pid)
    began = time.perf_counter()
    for n in range(requests):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    return {"rate": requests / (time.perf_counter() - began), "mean": statistics.mean(times),
            "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "cpu": (cpu_seconds(server_pid) - cpu) * 1000 / requests}


def paced_latency(client: httpx.Client, name: str, rate: float, seconds: float) -> dict:
    """Registrations at `rate` per second from one client: p50 and p99 latency (ms)."""
    times = []
    began = time.monotonic()
    for n in range(int(rate * seconds)):
        wait = began + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        started = time.perf_counter()
        register(client, name, n)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 0.5), "p99": percentile(times, 0.99)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def figures(client: httpx.Client, tag: str, server_pid: int) -> dict:
    """The models page and registrations, each one after another; registrations at 20/s."""
    page = back_to_back(client, 200, lambda n: client.post("/graphql", json={"query": MODELS_PAGE}).raise_for_status(),
                        server_pid)
    registrations = back_to_back(client, 300, lambda n: register(client, f"figures-{tag}", n), server_pid)
    return {"page": page, "register": registrations, "paced": paced_latency(client, f"paced-{tag}", 20, 10)}


def run_backend(backend: str, work: Path, postgres: str) -> dict:
    if backend == "sqlite":
        database = f"sqlite:///{work / f'events-{backend}.db'}"
    else:
        fresh_postgres_databases(postgres, ("bench_events",))
        database = f"{postgres}/bench_events"
    subprocess.run([sys.executable, "-m", "gateway.cli", "seed", "--database", database, "--models", "200",
                    "--versions", "10"], check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--database", database],
                   f"{url}/healthz", env={"REGISTRY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                                          "REGISTRY_SECRETS_KEY_FILE": str(work / f"{backend}.key")},
                   log=work / f"{backend}.log")
    result: dict = {}
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            def graphql(document: str, **variables) -> dict:
                body = client.post("/graphql", json={"query": document, "variables": variables}).json()
                assert "errors" not in body, body
                return body["data"]

            figures(client, "warm-up", server.pid)

            # 1. commit -> webhook received, at a sustained 200 activities/s: one registration
            # to a request, then five (as a pipeline registering several versions sends them)
            receiver = Receiver()
            hook = graphql(CREATE_WEBHOOK, url=receiver.url)["createWebhook"]["webhook"]["id"]
            for key, per_request in (("webhook", 1), ("webhook_batched", 5)):
                committed, rate = paced(url, 200, 10, per_request=per_request)
                arrived = receiver.arrived(len(committed))
                delays = [(arrived[k] - at) * 1000 for k, at in committed.items()]
                result[key] = {"rate": rate, "p50": percentile(delays, 0.5), "p99": percentile(delays, 0.99),
                               "max": max(delays)}
            graphql(DELETE_WEBHOOK, id=hook)

            # 2. one activity fanned out to 500 subscribers; memory per idle subscription
            before = rss_mb(server.pid)
            watchers = Subscribers(url, 500)
            result["per_subscription_kb"] = (rss_mb(server.pid) - before) * 1024 / 500
            receipts = []
            for n in range(20):
                key, at = register(client, "fanned-out", n)
                receipts += [(seen - at) * 1000 for seen in watchers.of(*key)]
                time.sleep(0.3)
            watchers.close()
            assert len(receipts) == 20 * 500, len(receipts)
            result["fanout"] = {"p50": percentile(receipts, 0.5), "p99": percentile(receipts, 0.99),
                                "max": max(receipts)}

            # 3. the figures with 10 webhooks and 100 subscribers attached: to another model,
            # then receiving every registration; each beside the same figures alone, taken
            # just before (the database grows as the bench goes on), ROUNDS times over
            register(client, "elsewhere", 0)
            for variant, model in (("elsewhere", "zz-elsewhere"), ("attached", None)):
                result[variant] = []
                for round_ in range(ROUNDS):
                    alone = figures(client, f"{variant}-alone-{round_}", server.pid)
                    hooks = [graphql(CREATE_WEBHOOK, url=receiver.url, model=model)["createWebhook"]["webhook"]["id"]
                             for _ in range(10)]
                    watchers = Subscribers(url, 100, model)
                    result[variant].append((alone, figures(client, f"{variant}-{round_}", server.pid)))
                    watchers.close()
                    for hook in hooks:
                        graphql(DELETE_WEBHOOK, id=hook)
            receiver.close()
    finally:
        stop(server)
    return result


def lines(backend: str, r: dict) -> list[str]:
    f = r["fanout"]

    def ms(value: float) -> str:
        return f"{value:.2f} ms"

    def row(what: str, pick) -> str:
        cells = []
        for variant in ("elsewhere", "attached"):
            pairs = [(pick(alone), pick(attached)) for alone, attached in r[variant]]
            cells += [ms(statistics.median(a for a, _ in pairs)), ms(statistics.median(b for _, b in pairs)),
                      f"{statistics.median(b / a for a, b in pairs):.2f}"]
        return f"| {what} | " + " | ".join(cells) + " |"

    return [
        f"### {backend}",
        "",
        "| | p50 | p99 | max | target |",
        "| --- | --- | --- | --- | --- |",
        *(f"| commit → webhook received, at {w['rate']:.0f} activities/s, {what} | {w['p50']:.1f} ms "
          f"| {w['p99']:.1f} ms | {w['max']:.1f} ms | p99 ≤ 250 ms |"
          for what, w in (("one registration a request", r["webhook"]),
                          ("five registrations a request", r["webhook_batched"]))),
        f"| one activity → each of 500 subscribers (20 activities, 10,000 receipts) | {f['p50']:.1f} ms "
        f"| {f['p99']:.1f} ms | {f['max']:.1f} ms | p99 ≤ 300 ms |",
        "",
        f"Server memory per idle subscription: {r['per_subscription_kb']:.0f} KB (resident, 500 connected).",
        "",
        "10 webhooks and 100 subscribers attached to another model, or receiving every registration (each "
        f"registration is then 10 deliveries and 100 messages), beside the same figures alone taken just before; "
        f"{ROUNDS} rounds of each, medians (of the figures, and of each round's ratio). Server CPU: the serving "
        "process's, per request, what it did for the events meanwhile included.",
        "",
        "| | alone | attached elsewhere | ratio | alone | all receiving | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        row("models page (100 models), one after another: mean", lambda x: x["page"]["mean"]),
        row("registration, one after another: mean", lambda x: x["register"]["mean"]),
        row("registration at 20/s: p50", lambda x: x["paced"]["p50"]),
        row("registration at 20/s: p99", lambda x: x["paced"]["p99"]),
        row("server CPU per models page", lambda x: x["page"]["cpu"]),
        row("server CPU per registration", lambda x: x["register"]["cpu"]),
        "",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    out = ["# Events under load (bench/events.py)", "", machine_facts(), ""]
    with tempfile.TemporaryDirectory() as work:
        for backend in args.backends.split(","):
            text = lines(backend, run_backend(backend, Path(work), args.postgres))
            out += text
            print("\n".join(text), flush=True)
    if args.output:
        args.output.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
