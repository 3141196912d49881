"""`registry-gateway`: serve, migrate, export-schema, seed."""
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
    import uvicorn

    from gateway.app import create_app

    settings = Settings.from_env(args.database)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"registry-gateway: database {settings.database_url}; GraphiQL at http://{args.host}:{args.port}/graphql",
          file=sys.stderr)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
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
    from gateway.seed import seed as seed_registry

    store = _store(args)
    try:
        store.migrate()
        created = seed_registry(store, args.models, args.versions)
    finally:
        store.close()
    print(f"seeded {created} models with {args.versions} versions each")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="registry-gateway", description="A GraphQL model registry.")
    commands = root.add_subparsers(dest="command", required=True)
    database_help = "database URL (default: $REGISTRY_DATABASE_URL or sqlite:///registry.db)"

    run = commands.add_parser("serve", help="serve the GraphQL API (GraphiQL at /graphql)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--database", help=database_help)
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
    demo.set_defaults(handler=seed)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
