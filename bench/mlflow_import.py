"""How fast `registry-gateway import --from-mlflow` reads a local MLflow server's registry.

Usage: python bench/mlflow_import.py [--models N] [--versions N] [--backends sqlite,postgresql] [--output FILE]

MLflow's server runs on SQLite, filled by SQL straight into its tables (registering
10,000 versions through its API would take minutes); the import runs as the command a
user types, into a fresh gateway database per backend. Reported: wall time, versions per
second, and the import process's peak memory.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    free_port,
    fresh_postgres_databases,
    machine_facts,
    mlflow_executable,
    start,
    stop,
)

STAGES = ("None", "Staging", "Production", "Archived")


def fill_mlflow(path: Path, models: int, versions: int) -> int:
    """`models` models of `versions` versions, each with two tags, every fifth number
    missing (deleted), the newest in Production with an alias. The count of versions."""
    at = 1_700_000_000_000
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO registered_models (name, creation_time, last_updated_time, description) "
                       "VALUES (?, ?, ?, ?)", [(f"model-{m:05d}", at + m, at + m, f"Model {m}") for m in range(models)])
        db.executemany("INSERT INTO registered_model_tags (key, value, name) VALUES ('team', ?, ?)",
                       [(f"team-{m % 20}", f"model-{m:05d}") for m in range(models)])
        rows = [(f"model-{m:05d}", v, at + v, at + v, f"v{v}", "bench", STAGES[(v == versions) * 2],
                 f"s3://bench/{m}/{v}", f"run{m}x{v}", "READY", "")
                for m in range(models) for v in range(1, versions + 1) if v % 5 != 3]
        db.executemany("INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, "
                       "user_id, current_stage, source, run_id, status, run_link) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)",
                       [(key, f"{key}-{row[1]}", row[0], row[1]) for row in rows for key in ("auc", "step")])
        db.executemany("INSERT INTO registered_model_aliases (alias, version, name) VALUES ('champion', ?, ?)",
                       [(versions, f"model-{m:05d}") for m in range(models)])
    db.close()
    return len(rows)


def timed_import(mlflow_url: str, database_url: str) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "import", "--from-mlflow", mlflow_url,
                                "--database", database_url, "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"the import exited with {process.returncode}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def warm_up(mlflow_url: str) -> None:
    """One read of every version first, so that each timed import meets MLflow's server
    in the same state (its first searches take several times longer)."""
    token = None
    while True:
        body = httpx.get(f"{mlflow_url}/api/2.0/mlflow/model-versions/search", timeout=120,
                         params={"max_results": 1000, **({"page_token": token} if token else {})}).json()
        token = body.get("next_page_token")
        if not token:
            return


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--versions", type=int, default=25, help="numbers per model (every fifth is a gap)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--output", default=str(HERE / "MLFLOW_IMPORT.md"))
    args = parser.parse_args(argv)
    postgres_server = os.environ.get("REGISTRY_BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432")
    work = Path(tempfile.mkdtemp(prefix="registry-import-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start([str(mlflow_executable()), "server", "--backend-store-uri", f"sqlite:///{work}/mlflow.db",
                    "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], f"{url}/health",
                   env={"MLFLOW_DISABLE_TELEMETRY": "true"}, log=work / "mlflow.log")
    try:
        total = fill_mlflow(work / "mlflow.db", args.models, args.versions)
        warm_up(url)
        results = {}
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                database_url = f"sqlite:///{work}/gateway.db"
            else:
                fresh_postgres_databases(postgres_server, ("bench_import",))
                database_url = f"{postgres_server}/bench_import"
            results[backend] = timed_import(url, database_url)
            print(backend, results[backend], flush=True)
    finally:
        stop(server)
    lines = ["# Import from MLflow", "", f"`python bench/mlflow_import.py --models {args.models} --versions "
             f"{args.versions}`: {args.models} models, {total} versions with 2 tags each, from MLflow "
             "3.17.2's server on SQLite on the same machine, read once before (warm). Wall time includes the "
             "command's start.", "", machine_facts(), "",
             "| gateway database | wall time | versions/s | peak memory |", "| --- | --- | --- | --- |"]
    for backend, result in results.items():
        lines.append(f"| {backend} | {result['seconds']:.1f} s | {total / result['seconds']:,.0f} | "
                     f"{result['peak_mb']:.0f} MB |")
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
