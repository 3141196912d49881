"""`registry-gateway export` and `import FILE`: a backup of the whole registry, and a
restore of one into a new database, possibly of the other backend (store/backup.py;
the format: docs/BACKUP_FORMAT.md). Both show their progress on stderr and end with the
rows per table."""
import functools
import os
import sys
from pathlib import Path

from tqdm import tqdm

from gateway.settings import Settings
from resolvers.webhook_signing import SecretBox, new_secret
from store import backup
from store.database import Store, StoreUnavailable

# Besides the rows: the header, the counters and the trailer.
OTHER_LINES = 3


def export(args) -> int:
    settings = Settings.from_env(args.database)
    target = Path(args.output)
    # Written beside the target and renamed when complete: a failed export leaves any
    # earlier backup of the same name whole.
    partial = target.with_name(target.name + ".partial")
    store = Store(settings.database_url, 1)
    try:
        with backup.snapshot(args.include_token_hashes) as snapshot, open(partial, "w", encoding="utf-8") as file:
            with _progress(sum(snapshot.counts.values()) + OTHER_LINES, "exporting") as bar:
                for line in snapshot.lines():
                    file.write(line)
                    bar.update()
        os.replace(partial, target)
    except (backup.BackupError, OSError) as error:
        partial.unlink(missing_ok=True)
        return _refused("export", error)
    finally:
        store.close()
    _summary(f"exported to {target}", snapshot.counts)
    if not args.include_token_hashes:
        print("Access tokens are not in the file (add --include-token-hashes to keep them working after a "
              "restore); webhook secrets never are.", file=sys.stderr)
    return 0


def restore(args) -> int:
    settings = Settings.from_env(args.database)
    # Only a registry with webhooks needs the secrets key (made when missing, as `serve` does).
    box = functools.cache(lambda: SecretBox(settings.load_secrets_key()))
    store = Store(settings.database_url, 1)
    try:
        lines = sum(backup.read_trailer(args.file).values()) + OTHER_LINES
        with open(args.file, encoding="utf-8") as file, _progress(lines, "importing", args.quiet) as bar:
            counts = store.write(backup.restore, _counted(file, bar), lambda: box().seal(new_secret()))
    except (backup.BackupError, StoreUnavailable, OSError, ValueError) as error:  # ValueError: bad UTF-8, bad key
        return _refused("import", error)
    finally:
        store.close()
    _summary(f"imported {args.file}", counts)
    webhooks = counts.get("webhooks", 0)
    if webhooks:
        print(f"{webhooks} webhooks were restored DISABLED, each with a new secret nobody has seen: rotate each "
              "one's secret (rotateWebhookSecret), give it to the receiver, then enable it (updateWebhook "
              "status: ACTIVE).", file=sys.stderr)
    if not counts.get("access_tokens"):
        print("No access tokens were restored: give users new ones (registry-gateway tokens create --user NAME).",
              file=sys.stderr)
    return 0


def _counted(file, bar):
    """The file's lines, each counted on the progress bar as it is read."""
    for line in file:
        yield line
        bar.update()


def _progress(total: int, what: str, quiet: bool = False):
    return tqdm(total=total, desc=what, unit=" lines", unit_scale=True, file=sys.stderr, mininterval=0.5,
                leave=False, disable=quiet)


def _refused(command: str, error: Exception) -> int:
    reason = error.strerror + f": {error.filename}" if isinstance(error, OSError) and error.strerror else error
    print(f"registry-gateway: {command} refused, nothing was written: {reason}", file=sys.stderr)
    return 1


def _summary(done: str, counts: dict[str, int]) -> None:
    print(f"{done}: {sum(counts.values())} rows")
    width = max(map(len, counts), default=0)
    for table, count in counts.items():
        print(f"  {table:<{width}} {count:>10}")
