"""MLflow's own tracking server, for tests that compare the gateway with it or read from it.

MLflow (the full package, with its server) lives in a virtual environment of its own,
never in the suite's: it pins versions of libraries the gateway shares. The environment
is made on first use (about a minute with pip's cache warm) under
$REGISTRY_TEST_MLFLOW_VENV, by default ~/.cache/registry-gateway/mlflow-<version>, and
kept for later runs; a lock lets concurrent suites wait for one install.
"""
import fcntl
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from tests.conftest import comes_up

MLFLOW_VERSION = "3.17.2"


@pytest.fixture
def quick_client(monkeypatch):
    """MLflow's client without retries (it retries a 5xx for minutes) or telemetry; use with
    `pytestmark = pytest.mark.usefixtures("quick_client")`."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)  # the version mlflow-skinny in the test extra speaks for


def mlflow_venv() -> Path:
    home = Path(os.environ.get("REGISTRY_TEST_MLFLOW_VENV")
                or Path.home() / ".cache" / "registry-gateway" / f"mlflow-{MLFLOW_VERSION}")
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{home}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = home / "ready"
        if not ready.exists():
            started = time.monotonic()
            print(f"installing mlflow=={MLFLOW_VERSION} into {home} ...", file=sys.stderr, flush=True)
            venv.create(home, with_pip=True, clear=True)
            subprocess.run([home / "bin" / "pip", "install", "-q", f"mlflow=={MLFLOW_VERSION}"], check=True,
                           stdout=subprocess.DEVNULL)
            ready.write_text(f"installed in {time.monotonic() - started:.0f} s\n")
    return home


class MlflowServer:
    """`mlflow server` on a SQLite file, on a loopback port; stopped by stop()."""

    def __init__(self, directory: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.log = directory / "mlflow-server.log"
        self.process = subprocess.Popen(
            [mlflow_venv() / "bin" / "mlflow", "server", "--backend-store-uri", f"sqlite:///{directory / 'mlflow.db'}",
             "--default-artifact-root", str(directory / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}, stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT, start_new_session=True)
        if not comes_up(f"{self.url}/health", self.process, 120):
            self.stop()
            raise RuntimeError(f"mlflow server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
