"""The layers import one way, gateway -> schema -> resolvers -> store (DESIGN.md): no module
imports a layer above its own, the schema reaches the store only through the records
resolvers hand it, the gateway builds no SQL, and the resolvers build no conditions:
pages, counts, filters and permission checks are store functions."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each layer may not import.
FORBIDDEN = {
    "store": {"resolvers", "schema", "gateway"},
    "resolvers": {"schema", "gateway"},
    "schema": {"gateway", "store"},
    "rest": {"gateway", "schema", "store"},  # MLflow's REST API: beside the schema, over the resolvers
    "gateway": set(),
}
DATABASE_DRIVERS = {"peewee", "playhouse", "psycopg2", "sqlite3"}


# What resolvers may take from peewee: the errors a write can meet, nothing that builds SQL.
PEEWEE_FOR_RESOLVERS = {"IntegrityError"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in the module, at any depth."""
    return [(line, package) for line, package, _ in _imported_names(path)]


def _imported_names(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, top-level package, name imported from it or None for the package itself)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0], None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module.split(".")[0], alias.name) for alias in node.names]
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", list(FORBIDDEN))
def test_no_layer_imports_one_above_it(layer):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {package}"
             for path in _modules(layer) for line, package in _imports(path) if package in FORBIDDEN[layer]]
    assert wrong == []


def test_the_gateway_builds_no_sql():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {package}"
             for path in _modules("gateway") for line, package in _imports(path) if package in DATABASE_DRIVERS]
    wrong += [f"{path.relative_to(ROOT)}:{node.lineno} calls execute_sql"
              for path in _modules("gateway") for node in ast.walk(ast.parse(path.read_text()))
              if isinstance(node, ast.Attribute) and node.attr == "execute_sql"]
    assert wrong == []


def test_resolvers_build_no_sql_conditions():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {package}.{name or '*'}"
             for path in _modules("resolvers") for line, package, name in _imported_names(path)
             if package in {"peewee", "playhouse"} and name not in PEEWEE_FOR_RESOLVERS]
    assert wrong == []


def test_the_rules_see_every_layer():
    """A rule over an empty folder would pass for nothing."""
    assert all(_modules(layer) for layer in FORBIDDEN)
    assert any(package == "store" for path in _modules("resolvers") for _, package in _imports(path))
    assert any(package == "peewee" for path in _modules("store") for _, package in _imports(path))


def test_every_code_a_resolver_raises_is_one_the_api_declares():
    """A RegistryError becomes a userErrors entry whose code is an ErrorCode: a code the
    enum lacks would fail as the payload is built, an internal error instead of the refusal."""
    from schema.enums import ErrorCode

    raised = {code for path in _modules("resolvers")
              for code in re.findall(r'RegistryError\(\s*"([A-Z_]+)"', path.read_text())}
    # Raised only where a GraphQL error (not a userErrors entry) carries it: live streams.
    graphql_errors_only = {"UNAVAILABLE"}
    assert raised and raised - graphql_errors_only <= {code.value for code in ErrorCode}


# What each runtime dependency in pyproject.toml is imported as, where the names differ
# (strawberry's HTTP errors are its own dependency cross_web's, pinned with it).
IMPORTED_AS = {"strawberry-graphql": {"strawberry", "cross_web"}, "graphql-core": {"graphql"},
               "peewee": {"peewee", "playhouse"},
               "psycopg2-binary": {"psycopg2"}, "uvicorn": {"uvicorn"}}


def test_the_product_imports_only_what_pip_install_installs():
    """`pip install .` brings the dependencies alone, not the test extra: a module that
    imported httpx (a test dependency) would fail for users, never in the tests."""
    import sys
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ;]", requirement)[0].lower() for requirement in declared}
    installed = set().union(*(IMPORTED_AS.get(name, {name.replace("-", "_")}) for name in names))
    ours = set(FORBIDDEN)
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {package}"
             for layer in FORBIDDEN for path in _modules(layer) for line, package in _imports(path)
             if package not in sys.stdlib_module_names and package not in installed and package not in ours]
    assert wrong == []
