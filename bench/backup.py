"""Backup and restore at scale: bulk-seeds a registry of N versions (default 1,000,000; 10
per model, 3 tags each, a tag and an alias per model: store/bulk.py; several sizes, given
as a comma-separated list, show whether memory stays flat), then runs
`registry-gateway export` and `registry-gateway import` in processes of their own and
reports each one's wall time, versions per second and peak resident memory (the child's
own `ru_maxrss`, from wait4) to bench/BACKUP.md.

Both databases are emptied first (PostgreSQL: their `public` schema dropped and made anew;
the restore database is created when missing). Usage:

    python bench/backup.py [--database URL] [--restore-database URL] [--versions N[,N...]] [--output FILE]
"""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VERSIONS_PER_MODEL = 10


def _empty_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.path + suffix).unlink(missing_ok=True)
        return
    name = parsed.path.lstrip("/")
    server = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()
    database = psycopg2.connect(url)
    database.autocommit = True
    with database.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    database.close()


def _gateway(*args: str) -> tuple[float, float, str]:
    """Runs `registry-gateway ARGS`; its wall seconds, peak RSS in MB and standard output."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, stdout=output,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        output.seek(0)
        text = output.read().decode()
    if process.returncode:
        raise SystemExit(f"registry-gateway {' '.join(args)} failed ({process.returncode}):\n{text}")
    return seconds, usage.ru_maxrss / 1024, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/bench_backup")
    parser.add_argument("--restore-database", help="default: the --database one's name + _restore, same server")
    parser.add_argument("--versions", default="1000000", help="comma-separated sizes (default 1000000)")
    parser.add_argument("--output", default=str(HERE / "BACKUP.md"))
    args = parser.parse_args()
    source = args.database
    parsed = urlparse(source)
    restored = args.restore_database or urlunparse(parsed._replace(path=parsed.path + "_restore"))

    table = ["| versions | rows | file | step | wall time | versions/s | peak RSS |",
             "| ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for size in (int(n) for n in args.versions.split(",")):
        table += _measure(source, restored, size)
    report = "\n".join([
        "# Backup and restore at scale",
        "",
        f"`python bench/backup.py --versions {args.versions}` on {datetime.now(timezone.utc):%Y-%m-%d}: registries "
        f"bulk-seeded with {VERSIONS_PER_MODEL} versions per model (3 tags each; a tag and an alias per model), "
        f"exported from `{_redacted(source)}` and imported into `{_redacted(restored)}`, each command in a "
        f"process of its own; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}.",
        "",
        *table,
        "",
        "Peak RSS is the `registry-gateway` process's own (`ru_maxrss`); the database server's is not included.",
        "",
    ])
    Path(args.output).write_text(report)
    print(report)


def _measure(source: str, restored: str, size: int) -> list[str]:
    """Seeds `size` versions, exports and imports them; the table's rows for this size."""
    models = max(1, size // VERSIONS_PER_MODEL)
    versions = models * VERSIONS_PER_MODEL
    for url in (source, restored):
        _empty_database(url)
        _gateway("migrate", "--database", url)
    print(f"seeding {versions:,} versions ...", file=sys.stderr)
    _gateway("seed", "--bulk", "--models", str(models), "--versions", str(VERSIONS_PER_MODEL), "--database", source)
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "registry.jsonl"
        print("exporting ...", file=sys.stderr)
        exported = _gateway("export", "--output", str(file), "--database", source)
        size_mb = file.stat().st_size / 1e6
        print("importing ...", file=sys.stderr)
        imported = _gateway("import", str(file), "--database", restored)
    if exported[2].split("\n", 1)[1] != imported[2].split("\n", 1)[1]:
        raise SystemExit(f"the import's counts differ from the export's:\n{exported[2]}\n{imported[2]}")
    rows = int(exported[2].splitlines()[0].split(": ")[-1].split()[0])
    return [f"| {versions:,} | {rows:,} | {size_mb:,.0f} MB | {step} | {seconds:.1f} s | {versions / seconds:,.0f} "
            f"| {peak_mb:.0f} MB |" for step, (seconds, peak_mb, _) in (("export", exported), ("import", imported))]


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(netloc=parsed.hostname + (f":{parsed.port}" if parsed.port else ""))) \
        if parsed.hostname else url


if __name__ == "__main__":
    main()
