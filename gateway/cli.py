"""`registry-gateway`: serve, migrate, export-schema, seed, users, tokens, export, import."""
import argparse
import logging
import sys
from pathlib import Path

from gateway.settings import Settings


def _store(args):
    from store.database import Store

    settings = Settings.from_env(args.database)
    return Store(settings.database_url, settings.pool_size)


def serve(args) -> int:
    from gateway import serving
    from gateway.settings import is_loopback

    settings = Settings.from_env(args.database, args.auth)
    if settings.auth != "required" and not is_loopback(args.host):
        print(f"registry-gateway: refusing to serve {args.host} without authentication: in local mode every "
              "token-less request acts as an admin. Add --auth required (or REGISTRY_AUTH=required), or bind "
              "127.0.0.1.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    base = f"http://{args.host}:{args.port}"
    print(f"registry-gateway: database {settings.database_url}; the web app at {base}/, GraphiQL at {base}/graphql",
          file=sys.stderr)
    if args.workers < 1:
        print("registry-gateway: --workers is at least 1", file=sys.stderr)
        return 2
    if args.workers > 1:
        store = _store(args)  # migrate once, before the workers start (each would wait its turn anyway)
        try:
            store.migrate()
        finally:
            store.close()
    serving.run(settings, args.host, args.port, args.workers, args.access_log)
    return 0


def migrate(args) -> int:
    store = _store(args)
    try:
        applied = store.migrate()
    finally:
        store.close()
    print("applied: " + ", ".join(applied) if applied else "up to date")
    return 0


def export_schema(args) -> int:
    from schema.build import export_sdl

    sdl = export_sdl()
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def seed(args) -> int:
    from gateway.seed import bulk_seed
    from gateway.seed import seed as seed_registry

    store = _store(args)
    try:
        store.migrate()
        if args.bulk:
            bulk_seed(store, args.models, args.versions)
            created = args.models
        else:
            created = seed_registry(store, args.models, args.versions)
    finally:
        store.close()
    print(f"seeded {created} models with {args.versions} versions each")
    return 0


def _account_command(args, fn, *fn_args) -> int:
    from resolvers.errors import RegistryError

    store = _store(args)
    try:
        store.migrate()
        secret = store.write(fn, *fn_args)
    except RegistryError as error:
        print(f"registry-gateway: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print("Keep this token secret; it is shown only now:", file=sys.stderr)
    print(secret)
    return 0


def create_user(args) -> int:
    from resolvers import accounts

    return _account_command(args, lambda: accounts.create_user(args.name, args.admin, args.group)[1])


def create_token(args) -> int:
    from resolvers import accounts

    return _account_command(args, accounts.token_for, args.user, args.description)


def export_backup(args) -> int:
    from gateway import backup

    return backup.export(args)


def import_registry(args) -> int:
    if args.from_mlflow:
        from gateway import mlflow_import

        return mlflow_import.run(args)
    from gateway import backup

    return backup.restore(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="registry-gateway", description="A GraphQL model registry.")
    commands = root.add_subparsers(dest="command", required=True)
    database_help = "database URL (default: $REGISTRY_DATABASE_URL or sqlite:///registry.db)"

    run = commands.add_parser("serve", help="serve the GraphQL API (GraphiQL at /graphql)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--database", help=database_help)
    run.add_argument("--workers", type=int, default=1,
                     help="processes serving the same port (default 1); each has its own connection pool")
    run.add_argument("--access-log", action="store_true",
                     help="log a line per request (off by default: it costs ~5%% of a small request)")
    run.add_argument("--auth", choices=["local", "required"],
                     help="local (default; loopback only, token-less requests act as the local admin) or "
                          "required (every request needs a token); or $REGISTRY_AUTH")
    run.set_defaults(handler=serve)

    upgrade = commands.add_parser("migrate", help="apply pending database migrations")
    upgrade.add_argument("--database", help=database_help)
    upgrade.set_defaults(handler=migrate)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", help="write to this file instead of stdout")
    export.set_defaults(handler=export_schema)

    demo = commands.add_parser("seed", help="load demo data: models with tagged, aliased, staged versions")
    demo.add_argument("--database", help=database_help)
    demo.add_argument("--models", type=int, default=20)
    demo.add_argument("--versions", type=int, default=5)
    demo.add_argument("--bulk", action="store_true",
                      help="set-based loading for benchmarks at scale (100,000 models in a minute or so): "
                           "no history, no creator grants; for an empty database")
    demo.set_defaults(handler=seed)
    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    new_user = users.add_parser("create", help="create a user; prints a new token alone on the last line")
    new_user.add_argument("name")
    new_user.add_argument("--admin", action="store_true", help="an admin may do everything")
    new_user.add_argument("--group", action="append", default=[], help="a group to join (repeatable)")
    new_user.add_argument("--database", help=database_help)
    new_user.set_defaults(handler=create_user)

    tokens = commands.add_parser("tokens", help="manage access tokens").add_subparsers(dest="action", required=True)
    new_token = tokens.add_parser("create", help="a new token for a user, alone on the last line")
    new_token.add_argument("--user", required=True)
    new_token.add_argument("--description")
    new_token.add_argument("--database", help=database_help)
    new_token.set_defaults(handler=create_token)

    dump = commands.add_parser("export", help="write the whole registry to a backup file (JSON lines)")
    dump.add_argument("--output", required=True, help="the file to write")
    dump.add_argument("--include-token-hashes", action="store_true",
                      help="keep access tokens' hashes, so the tokens work after a restore (keep the file secret)")
    dump.add_argument("--database", help=database_help)
    dump.set_defaults(handler=export_backup)

    load = commands.add_parser("import", help="fill a new, migrated database from a backup file or from MLflow")
    source = load.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a file written by `registry-gateway export`")
    source.add_argument("--from-mlflow", metavar="URL",
                        help="read a live MLflow server's registry over its REST API")
    load.add_argument("--database", help=database_help)
    load.add_argument("--batch-size", type=int, default=1000,
                      help="--from-mlflow: versions read and written per transaction (default 1000)")
    load.add_argument("--quiet", action="store_true", help="no progress bars")
    load.set_defaults(handler=import_registry)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
