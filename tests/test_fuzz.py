"""Property-based fuzzing of /graphql: thousands of generated queries, mutations and
malformed requests, valid and invalid, and none may break the server.

Invariants for every request: the status is never 5xx; a POST to /graphql answers JSON;
no error is `INTERNAL` (a masked bug); every error carries `extensions.code`; no error or
userError message leaks internals (tracebacks, driver or ORM names, file paths).

Valid documents come from hypothesis-graphql over schema/schema.graphql; each is sent as
generated and again "grounded": most literals replaced by values of the seeded registry
(names, aliases, tag keys, versions, global IDs, cursors, filter strings), a query's root
fields sometimes asked twice (one copy with a child that fails), some values hoisted into
variables. REGISTRY_FUZZ_EXAMPLES (default 3000) is the number of documents across the file.
A failure names the request (document and variables), the response and the server's
traceback; each kind of server fault (the exception's type) is its own exception class, so
Hypothesis reports every kind it finds, not just the first.
"""
import base64
import json
import logging
import os
import re
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote

import graphql
import httpx
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.settings import Settings
from resolvers.global_ids import to_global_id
from tests.conftest import LOCAL_ADMIN, PLAYGROUND, serving

ROOT = Path(__file__).resolve().parent.parent
SDL = (ROOT / "schema" / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)
DOCUMENTS = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "3000"))
OPERATIONS = {path.stem: path.read_text() for path in sorted(PLAYGROUND.glob("*.graphql"))}

LEAK_MARKERS = ("Traceback", "peewee", "psycopg", "sqlite3", 'File "', ".py\"", "site-packages", "OperationalError",
                "IntegrityError", "DataError", "ProgrammingError", "InterfaceError", "NoneType", "has no attribute",
                "KeyError", "AttributeError", "TypeError", "IndexError", "UnboundLocalError", "RecursionError",
                "maximum recursion", "OverflowError", "ZeroDivisionError", "UnicodeEncodeError",
                "UnicodeDecodeError", "codec can't", "SELECT ", "INSERT INTO", "UPDATE \"", "DELETE FROM")
JSON_TYPES = ("application/json", "application/graphql-response+json")


def fuzz_settings(share: float, documents_per_example: int = 1):
    """`share` of REGISTRY_FUZZ_EXAMPLES documents, `documents_per_example` at a time. Under
    CI the examples are the same on every run (what lands was seen to pass); elsewhere each
    run explores new ones."""
    return settings(max_examples=max(1, round(DOCUMENTS * share / documents_per_example)), deadline=None,
                    derandomize=bool(os.environ.get("CI")), print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@dataclass
class Seed:
    """What the seeded registry holds, for generated operations to name."""
    names: list[str]
    aliases: list[str]
    tag_keys: list[str]
    ids: list[str]
    cursors: list[str]
    values: dict = field(default_factory=dict)


# --- Checking one exchange ------------------------------------------------------------------

class ServerLog(logging.Handler):
    """The server's error records (it runs in this process): the traceback behind a failure."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record not in self.records:
            self.records.append(record)

    def tracebacks(self) -> str:
        """The first traceback logged: the project's frames and the last library ones."""
        logged = [r for r in self.records if r.exc_info]
        if not logged:
            return "(nothing logged)"
        kind, error, trace = logged[0].exc_info
        frames = traceback.extract_tb(trace)
        kept = [f for n, f in enumerate(frames)
                if n >= len(frames) - 2 or f.filename.startswith(str(ROOT)) and ".venv" not in f.filename]
        more = f"\n(and {len(logged) - 1} more error records)" if len(logged) > 1 else ""
        return (f"[{logged[0].name}] {logged[0].getMessage()}\n" + "".join(traceback.format_list(kept))
                + "".join(traceback.format_exception_only(kind, error)) + more)

    def signature(self) -> str:
        """The type of the first exception logged (one root cause shows up at many call sites)."""
        return next((r.exc_info[0].__name__ for r in self.records if r.exc_info), "no traceback")


_BUGS: dict[str, type] = {}


def fail(signature: str, message: str):
    """Raise a failure whose class is its signature: Hypothesis reports distinct ones separately."""
    name = "Fuzz_" + re.sub(r"\W+", "_", signature)[:100]
    raise _BUGS.setdefault(signature, type(name, (AssertionError,), {}))(message)


def user_error_messages(value) -> list[str]:
    if isinstance(value, dict):
        found = [e.get("message") for e in value.get("userErrors") or [] if isinstance(e, dict)]
        return found + [m for v in value.values() for m in user_error_messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in user_error_messages(v)]
    return []


def _clip(text: str, size: int = 3000) -> str:
    return text if len(text) <= size else f"{text[:size]}... ({len(text)} characters)"


class Fuzzer:
    """Sends requests to the local-mode server as the admin and checks the invariants."""

    def __init__(self, http, log: ServerLog):
        self.http, self.log = http, log
        self.seed: Seed | None = None

    def __repr__(self):
        return "Fuzzer()"

    def seeded(self, gql) -> Seed:
        """The seeded registry, made at the test's first example (the database is emptied per test)."""
        self.seed = self.seed or seed_registry(gql)
        return self.seed

    def graphql(self, document: str, variables=None) -> dict:
        payload = {"query": document, **({"variables": variables} if variables is not None else {})}
        return self.send("POST", json.dumps(payload).encode(), {"content-type": "application/json"})

    def send(self, method: str, content: bytes | None = None, headers: dict | None = None, query: str = "") -> dict:
        sent_text = decoded(content)
        request = f"{method} /graphql{query} {headers or {}}\n{_clip(sent_text)}"
        note(request)
        self.log.records.clear()
        for attempt in (1, 2):  # the second on a new connection: the server may close one after a 500
            try:
                response = self.http.request(method, f"/graphql{query}", content=content, headers=headers)
                break
            except httpx.TransportError as error:
                if attempt == 2:
                    return fail(f"no answer {type(error).__name__} {self.log.signature()}",
                                f"no HTTP answer ({error!r})\nREQUEST\n{request}\nSERVER\n{self.log.tracebacks()}")
        shown = f"REQUEST\n{request}\nRESPONSE {response.status_code}\n{_clip(response.text)}"
        if response.status_code >= 500:
            deadline = time.monotonic() + 1
            while not self.log.records and time.monotonic() < deadline:  # uvicorn logs after answering
                time.sleep(0.01)
            return fail(f"HTTP {response.status_code} {self.log.signature()}",
                        f"a {response.status_code} answer\n{shown}\nSERVER\n{self.log.tracebacks()}")
        if method == "GET" and "json" not in response.headers.get("content-type", ""):
            return {}
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            body = response.json()
        except ValueError:
            body = None
        if media_type not in JSON_TYPES or not isinstance(body, dict):
            return fail(f"non-JSON answer {response.status_code}", f"a POST to /graphql answered no JSON object\n{shown}")
        errors = body.get("errors") or []
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            if code == "INTERNAL":
                return fail(f"INTERNAL {self.log.signature()}",
                            f"an unexpected server error (masked as INTERNAL)\n{shown}\nSERVER\n{self.log.tracebacks()}")
            if not code:
                return fail("error without a code", f"an error without extensions.code: {error}\n{shown}")
        sent_text += request + unquote(query)
        for message in [e.get("message") or "" for e in errors] + user_error_messages(body.get("data")):
            leaked = [m for m in LEAK_MARKERS if m in str(message) and m not in sent_text]
            if leaked:
                return fail(f"leak {leaked[0]}", f"a message leaks internals ({leaked}): {message!r}\n{shown}")
        return body


def decoded(content: bytes | None) -> str:
    """The body as text, JSON escapes decoded (to tell echoed input from leaked internals)."""
    text = (content or b"").decode("utf-8", "backslashreplace")
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    except (ValueError, RecursionError):
        pass
    return text.encode("utf-8", "backslashreplace").decode()  # lone surrogates stay printable


@pytest.fixture
def fuzzer(gql):
    """A Fuzzer whose ServerLog gets the server's error records: the registry's (which propagate
    to the root logger) and uvicorn's (which stop at "uvicorn"; its own handler, printing every
    traceback of every shrinking step to stderr, is set aside meanwhile)."""
    log = ServerLog()
    root, uvicorn_logger = logging.getLogger(), logging.getLogger("uvicorn")
    uvicorn_handlers = uvicorn_logger.handlers[:]
    root.addHandler(log)
    uvicorn_logger.handlers = [log]
    try:
        yield Fuzzer(gql.http, log)
    finally:
        root.removeHandler(log)
        uvicorn_logger.handlers = uvicorn_handlers


# --- The seeded registry --------------------------------------------------------------------

def seed_registry(gql) -> Seed:
    """A small registry for generated operations to hit: models, versions in every stage,
    tags, aliases, a copy, a pending request, a comment."""
    gql.play("create_model", name="fraud-detector", description="Flags fraud.",
             tags=[{"key": "team", "value": "risk"}])
    for run in ("r1", "r2", "r3"):
        gql.play("create_version", name="fraud-detector", source=f"s3://models/fraud/{run}", runId=run,
                 tags=[{"key": "validated", "value": "yes"}])
    gql.play("create_version", name="prod.ml team.iris", source="s3://iris/1", createModelIfMissing=True)
    gql.play("transition", name="fraud-detector", version=2, stage="STAGING")
    gql.play("transition", name="fraud-detector", version=3, stage="PRODUCTION")
    gql.play("set_alias", name="fraud-detector", alias="champion", version=3)
    gql.play("set_alias", name="prod.ml team.iris", alias="live", version=1)
    gql.play("copy_version", source={"name": "fraud-detector", "alias": "champion"},
             destination="prod.fraud-detector", aliases=["live"])
    gql.play("request_transition", name="fraud-detector", version=1, stage="STAGING", comment="please")
    gql.play("comment", name="fraud-detector", version=3, body="Looks good.")
    found = gql.data("""{
      viewer { user { id } }
      registeredModels(first: 1) { edges { cursor } nodes { id } }
      modelVersions { edges { cursor node { id comments { id } transitionRequests { id } } } }
      activities(first: 3) { edges { cursor node { id } } }
    }""")
    ids = sorted(set(re.findall(r"'id': '([^']+)'", str(found))))
    cursors = re.findall(r"'cursor': '([^']+)'", str(found))
    return Seed(names=["fraud-detector", "prod.ml team.iris", "prod.fraud-detector"],
                aliases=["champion", "live"], tag_keys=["team", "validated"], ids=ids, cursors=cursors)


# --- Values: odd text, extreme numbers, and the seeded registry's own ---------------------------

ODD_CHARACTERS = st.sampled_from(["\x00", "\u200b", "\u202e", "\ufeff", "\u0301", "\U0001f600", "\uffff", "\\", "'",
                                  '"', "%", "_", "`", "\n", "\t", "/", ":", ".", " ", "é", "ß", "İ", "٣", "𝟘"])
TEXT = st.text(st.characters(codec="utf-8") | ODD_CHARACTERS, max_size=30)
# Valid JSON, but no Unicode text: a lone surrogate (for the invalid requests only).
SURROGATE_TEXT = st.tuples(TEXT, st.sampled_from(["\ud800", "\udfff", "\udc80"]), TEXT).map("".join)
INT32 = st.sampled_from([0, 1, 2, 3, 4, -1, 2**31 - 1, -(2**31)]) | st.integers(-5, 1100)
PAGE_SIZES = st.sampled_from([1, 2, -1, 0, 50, 1000, 1001, 2**31 - 1, -(2**31)])
HUGE_INTS = st.sampled_from([2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(10**30)])
FORGED_IDS = [to_global_id(kind, pk) for kind in ("RegisteredModel", "ModelVersion", "Comment", "TransitionRequest",
                                                   "Activity", "User", "AccessToken", "Nope")
              for pk in (0, 1, 999_999, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -1)]
FORGED_IDS += ["", "=", "!!", "UmVnaXN0ZXJlZE1vZGVsOg", base64.b64encode(b"RegisteredModel:1.5").decode(),
               base64.urlsafe_b64encode("RegisteredModel:١".encode()).decode(),
               base64.b64encode(b"\xff\xfe:1").decode(), "a" * 300]
FILTER_CLAUSES = ["name = 'fraud-detector'", "name LIKE 'fraud%'", "name ILIKE '%IRIS%'", "tags.team = 'risk'",
                  "tag.`validated` != 'no'", "version_number > 1", "version_number <= 2147483648",
                  "run_id IN ('r1', 'r2')", "name NOT IN ('x')", "current_stage = 'PRODUCTION'", "alias = 'live'",
                  "source_path LIKE 's3://%'", "tags.`my key` = \"x\"", "version_number = 1.5", "name = ",
                  "foo = 'bar'", "name LIKE '\x00'", "name = 'unterminated", "name IN ()", "OR", "(", "tags. = 'x'",
                  "version_number > 99999999999999999999", "current_stage IN ('STAGING', 'nope')"]
DATETIMES = st.sampled_from(["2026-01-31T12:00:00.000+00:00", "1970-01-01T00:00:00Z", "2026-01-31", "0001-01-01",
                            "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59.999999-01:00", "2026-01-31T12:00:00-23:59"])
BAD_DATETIMES = st.sampled_from(["2026-13-01", "2026-02-30T00:00:00Z", "nope", "", "1e9", "2026-01-31T25:00:00"])
SOURCES = ["s3://models/x", "models:/fraud-detector/1", "models:/fraud-detector@champion", "models:/nope@x",
           "models:/fraud-detector/999999999999", "../etc", "s3://a/%2e%2e/b", "s3://a/%252e%252e/b", "file:///x", ""]


def domain_leaves(seed: Seed) -> dict[str, st.SearchStrategy]:
    """Strategies for scalar values by the argument or input field that takes them."""
    def mostly(real: list, odd: list) -> st.SearchStrategy:  # three in five draws are the registry's own
        return st.one_of(*[st.sampled_from(real)] * 3, st.sampled_from(odd), TEXT)

    names = mostly(seed.names, ["FRAUD-DETECTOR", " fraud-detector ", "a/b", "x:y", "..", "./x", "n" * 257, "", "new"])
    aliases = mostly(seed.aliases, ["latest", "LATEST", "v1", "V2", "a b", "a.b", "", "a" * 256])
    keys = mostly(seed.tag_keys, ["", "bad key!", "k" * 251, "a/b.c-d :e"])
    texts = mostly(["", "Flags fraud.", "please", "r1"], ["x" * 65_535, "x" * 65_536])
    query = st.lists(st.sampled_from(FILTER_CLAUSES), min_size=1, max_size=3).map(" AND ".join) | TEXT
    cursors = st.sampled_from(seed.cursors + FORGED_IDS) | TEXT
    ids = mostly(seed.ids, FORGED_IDS)
    return {
        "name": names, "newName": names, "destinationName": names, "modelName": names,
        "alias": aliases, "aliases": aliases, "key": keys, "value": texts | keys, "principal": names,
        "source": st.sampled_from(SOURCES) | TEXT, "query": query, "after": cursors, "before": cursors,
        "id": ids, "ids": ids, "description": texts, "comment": texts, "body": texts, "runId": texts,
        "runLink": texts, "idempotencyKey": texts, "version": st.integers(1, 4) | INT32,
        "first": PAGE_SIZES, "last": PAGE_SIZES,
        "lifetimeSeconds": INT32 | st.sampled_from([2**31 - 1, 0, -1]),
        "String": texts, "Int": INT32, "ID": ids,
        "DateTime": DATETIMES,
    }


DATETIME_LITERALS = {"DateTime": DATETIMES.map(lambda text: graphql.StringValueNode(value=text))}
ODD_DATETIME_LITERALS = {"DateTime": (DATETIMES | BAD_DATETIMES).map(lambda text: graphql.StringValueNode(value=text))
                         | st.integers(-5, 2**40).map(lambda n: graphql.IntValueNode(value=str(n)))}


def literal(value) -> graphql.ValueNode:
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    return graphql.StringValueNode(value=value)


def leaf_key(parent, ancestors) -> str | None:
    """The name of the argument or input field a value belongs to (directly, or as a list item)."""
    for node in reversed([*ancestors, parent]):
        if isinstance(node, (graphql.ArgumentNode, graphql.ObjectFieldNode)):
            return node.name.value
    return None


INT_KEYS = {"version", "first", "last", "lifetimeSeconds"}


def leaf_strategy(key: str | None, scalar: str, leaves: dict) -> st.SearchStrategy:
    """The domain's values for a scalar of type `scalar` at argument or input field `key`."""
    if scalar == "Boolean":
        return st.booleans()
    if scalar != "DateTime" and key in leaves and (key in INT_KEYS) == (scalar == "Int"):
        return leaves[key]
    return leaves[scalar]


class Substitution(graphql.Visitor):
    """Replaces most scalar literals by domain values (the seeded registry's, or odd ones)."""

    def __init__(self, type_info, draw, leaves):
        super().__init__()
        self.type_info, self.draw, self.leaves = type_info, draw, leaves

    def enter_string_value(self, node, _key, parent, _path, ancestors):
        named = graphql.get_named_type(self.type_info.get_input_type())
        if not isinstance(named, graphql.GraphQLScalarType) or named.name == "Boolean":
            return None
        if self.draw(st.integers(0, 3)) == 3:  # keep one in four generated values (and none in minimal examples)
            return None
        return literal(self.draw(leaf_strategy(leaf_key(parent, ancestors), named.name, self.leaves)))

    enter_int_value = enter_string_value


class Hoisting(graphql.Visitor):
    """Moves some argument and input field values into variables."""

    def __init__(self, type_info, draw):
        super().__init__()
        self.type_info, self.draw = type_info, draw
        self.variables: dict = {}
        self.definitions: list[str] = []

    def enter_argument(self, node, *_):
        input_type = self.type_info.get_input_type()
        if input_type is None or isinstance(node.value, graphql.VariableNode) or self.draw(st.booleans()):
            return None
        name = f"v{len(self.variables)}"
        self.variables[name] = graphql.value_from_ast_untyped(node.value)
        self.definitions.append(f"${name}: {input_type}")
        return node.__class__(name=node.name, value=graphql.VariableNode(name=graphql.NameNode(value=name)))

    enter_object_field = enter_argument


def _field(text: str) -> graphql.FieldNode:
    return graphql.parse(f"{{ {text} }}").definitions[0].selection_set.selections[0]


# A child that always fails at once (a negative page size), by the type of its parent.
FAILING_CHILD = {"RegisteredModel": _field("failing: versions(first: -1) { totalCount }"),
                 "ModelVersion": _field("failing: activities(first: -1) { totalCount }")}


def with_aliased_copies(document: graphql.DocumentNode, draw) -> graphql.DocumentNode:
    """The operation's root fields twice, the copies aliased (two branches loading the same rows),
    some originals with a child that fails: its error must stay in its branch."""
    operation = document.definitions[0]
    roots = [node for node in operation.selection_set.selections if isinstance(node, graphql.FieldNode)]
    copies, originals = [], []
    for n, node in enumerate(roots):
        attributes = {key: getattr(node, key) for key in node.keys}
        copies.append(graphql.FieldNode(**{**attributes, "alias": graphql.NameNode(value=f"again{n}")}))
        named = graphql.get_named_type(SCHEMA.query_type.fields[node.name.value].type).name
        if named in FAILING_CHILD and node.selection_set and draw(st.booleans()):
            attributes["selection_set"] = graphql.SelectionSetNode(
                selections=(*node.selection_set.selections, FAILING_CHILD[named]))
        originals.append(graphql.FieldNode(**attributes))
    others = [node for node in operation.selection_set.selections if not isinstance(node, graphql.FieldNode)]
    selections = graphql.SelectionSetNode(selections=(*originals, *others, *copies))
    return graphql.DocumentNode(definitions=(operation.__class__(**{
        **{key: getattr(operation, key) for key in operation.keys}, "selection_set": selections}),))


def ground(document: graphql.DocumentNode, draw, seed: Seed, copies: bool = True) -> tuple[str, dict]:
    """`document` with most literals replaced by domain values (most names by one model's), its root
    fields sometimes asked twice, then some values hoisted into variables."""
    leaves = seed.values.setdefault("leaves", domain_leaves(seed))
    focus = st.just(draw(st.sampled_from(seed.names)))  # most names in a document are one model's
    leaves = {**leaves, "name": st.one_of(focus, focus, leaves["name"])}
    type_info = graphql.TypeInfo(SCHEMA)
    document = graphql.visit(document, graphql.TypeInfoVisitor(type_info, Substitution(type_info, draw, leaves)))
    if copies and document.definitions[0].operation == graphql.OperationType.QUERY and draw(st.booleans()):
        document = with_aliased_copies(document, draw)
    type_info = graphql.TypeInfo(SCHEMA)
    hoisting = Hoisting(type_info, draw)
    document = graphql.visit(document, graphql.TypeInfoVisitor(type_info, hoisting))
    text = graphql.print_ast(document)
    if hoisting.definitions:
        head, _, rest = text.partition("{")
        text = f"{head.strip() or 'query'}({', '.join(hoisting.definitions)}) {{{rest}"
    return text, hoisting.variables


# Any root fields, or those that look one model up by name (where grounding hits rows most).
QUERIES = hypothesis_graphql.queries(SDL, custom_scalars=DATETIME_LITERALS, print_ast=lambda document: document) | \
    hypothesis_graphql.queries(SDL, fields=["registeredModel", "modelVersion", "modelVersionByAlias", "latestVersions"],
                               custom_scalars=DATETIME_LITERALS, print_ast=lambda document: document)
MUTATIONS = hypothesis_graphql.mutations(SDL, custom_scalars=DATETIME_LITERALS, print_ast=lambda document: document)
# For the invalid requests: DateTime literals that are no date (filters, where they occur, more often),
# and documents with one schema violation.
ODD_OPERATIONS = hypothesis_graphql.from_schema(SDL, custom_scalars=ODD_DATETIME_LITERALS, print_ast=lambda d: d) | \
    hypothesis_graphql.queries(SDL, fields=["registeredModels", "modelVersions"], custom_scalars=ODD_DATETIME_LITERALS,
                               print_ast=lambda d: d)
NEGATIVE_OPERATIONS = hypothesis_graphql.from_schema(SDL, custom_scalars=ODD_DATETIME_LITERALS,
                                                     mode=hypothesis_graphql.Mode.NEGATIVE)


def send_generated(fuzzer: Fuzzer, document: graphql.DocumentNode, draw, seed: Seed) -> None:
    """The document as generated, then grounded in the seeded registry."""
    fuzzer.graphql(graphql.print_ast(document))
    text, variables = ground(document, draw, seed)
    fuzzer.graphql(text, variables)


@pytest.fixture(scope="module")
def generic_url(store):
    """A server without query plans, to compare the planned server's answers with."""
    settings = Settings(database_url=store.url, local_user=LOCAL_ADMIN, query_plans=False, webhook_dispatch=False)
    with serving(create_app(settings, store=store)) as url:
        yield url


@fuzz_settings(share=0.3, documents_per_example=2)
@given(data=st.data())
def test_generated_queries_never_fail_internally(fuzzer, gql, executor, generic_url, data):
    """Valid generated queries, with random and with real names, IDs and cursors: data or clean
    errors; with query plans, the very answer graphql-core's executor gives."""
    seed = fuzzer.seeded(gql)
    document = data.draw(QUERIES, label="query")
    send_generated(fuzzer, document, data.draw, seed)
    if executor == "plans":
        text, variables = ground(document, data.draw, seed)
        payload = {"query": text, "variables": variables}
        planned = fuzzer.http.post("/graphql", json=payload).json()
        generic = httpx.post(f"{generic_url}/graphql", json=payload, timeout=30).json()
        if answered(planned) != answered(generic):
            fail("planned and generic answers differ", f"REQUEST\n{_clip(json.dumps(payload))}\n"
                                                        f"PLANNED\n{_clip(json.dumps(planned))}\n"
                                                        f"GENERIC\n{_clip(json.dumps(generic))}")


def answered(body: dict) -> tuple:
    """The data, in order, and the codes of the errors. Which errors are reported once a
    null has propagated depends on which sibling field failed first (graphql-core cancels
    the rest), so their number and paths may differ between runs of either executor."""
    codes = {(error.get("extensions") or {}).get("code") for error in body.get("errors") or ()}
    return json.dumps(body.get("data")), codes


@fuzz_settings(share=0.3, documents_per_example=2)
@given(data=st.data())
def test_generated_mutations_never_fail_internally(fuzzer, gql, data):
    """Valid generated mutations over the seeded registry: payloads with userErrors or clean errors."""
    seed = fuzzer.seeded(gql)
    send_generated(fuzzer, data.draw(MUTATIONS, label="mutation"), data.draw, seed)


# --- Invalid requests --------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT32 | HUGE_INTS | st.floats() | TEXT | SURROGATE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT | st.sampled_from(["name", "key", "not"]), inner,
                                                              max_size=3),
    max_leaves=8)
TOKENS = ["{", "}", "(", ")", "[", "]", ":", "$", "!", "=", "@", "...", "|", "&", ",", "query", "mutation",
          "fragment", "on", "subscription", "null", "true", '"', '"""', "\\u0000", "\\uD800", "#", "0", "-0",
          "99999999999999999999", "1e400", "registeredModels", "registeredModel", "modelVersions", "node", "nodes",
          "viewer", "createRegisteredModel", "input", "name", "first", "totalCount", "nodes", "id", "__typename",
          "__schema", "__type", "edges", "filter", "not", "and", "$v", "Int", "String!", "\x00", "\ud800", "\ufeff"]
ODD_DOCUMENTS = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join) | st.text(
    st.characters(codec=None) | ODD_CHARACTERS, max_size=60)
CONTENT_TYPES = ["text/plain", "application/graphql", "application/x-www-form-urlencoded", "multipart/form-data",
                 "multipart/form-data; boundary=x", "", "APPLICATION/JSON", "application/json; charset=utf-16",
                 "application/json; charset=latin-1", "application/json;", "application/jsonx", "*/*",
                 "application/graphql-response+json"]
SIMPLE = "{ viewer { isAuthenticated } registeredModels { totalCount } }"


WRONG_LITERALS = st.one_of(
    st.sampled_from(["2147483648", "-2147483649", "99999999999999999999", "0"]).map(lambda v: graphql.IntValueNode(value=v)),
    st.sampled_from(["1.5", "1e400", "-0.0"]).map(lambda v: graphql.FloatValueNode(value=v)),
    (BAD_DATETIMES | TEXT).map(lambda v: graphql.StringValueNode(value=v)),
    st.sampled_from(["NOPE", "PRODUCTION", "CAN_MANAGE"]).map(lambda v: graphql.EnumValueNode(value=v)),
    st.booleans().map(lambda v: graphql.BooleanValueNode(value=v)),
    st.sampled_from([graphql.NullValueNode(), graphql.ListValueNode(values=()), graphql.ObjectValueNode(fields=())]))


class Corruption(graphql.Visitor):
    """Replaces some scalar and enum literals by literals of another type (or no date, or out of range)."""

    def __init__(self, draw):
        super().__init__()
        self.draw = draw

    def enter_string_value(self, node, *_):
        return self.draw(WRONG_LITERALS) if self.draw(st.integers(0, 3)) == 0 else None

    enter_int_value = enter_enum_value = enter_boolean_value = enter_string_value


def mangle(text: str, draw) -> str:
    """`text` truncated, cut, with junk inserted or a slice repeated, once to three times."""
    for _ in range(draw(st.integers(1, 3))):
        i, j = sorted(draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=2)))
        kind = draw(st.sampled_from(["truncate", "cut", "insert", "repeat"]))
        if kind == "truncate":
            text = text[:j]
        elif kind == "cut":
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(ODD_DOCUMENTS) + text[i:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


def with_odd_text(value, draw):
    """`value` with a lone surrogate, a NUL or a noncharacter added to each of its strings, or not."""
    if isinstance(value, str) and draw(st.booleans()):
        return value + draw(st.sampled_from(["\ud800", "\udfff", "\x00", "\uffff", "\U0010ffff"]))
    if isinstance(value, list):
        return [with_odd_text(item, draw) for item in value]
    if isinstance(value, dict):
        return {key: with_odd_text(item, draw) for key, item in value.items()}
    return value


def typed_values(type_, key: str | None, leaves: dict, depth: int = 0) -> st.SearchStrategy:
    """JSON for a variable of `type_`, with the domain's values or lone surrogates; input objects to depth 3."""
    if isinstance(type_, graphql.GraphQLNonNull):
        return typed_values(type_.of_type, key, leaves, depth).filter(lambda v: v is not None)
    if isinstance(type_, graphql.GraphQLList):
        return st.none() | st.lists(typed_values(type_.of_type, key, leaves, depth), max_size=3)
    if isinstance(type_, graphql.GraphQLEnumType):
        return st.none() | st.sampled_from(list(type_.values))
    if isinstance(type_, graphql.GraphQLInputObjectType):
        required = {n: f for n, f in type_.fields.items() if graphql.is_required_input_field(f)}
        optional = {n: f for n, f in type_.fields.items() if n not in required} if depth < 3 else {}
        return st.none() | st.fixed_dictionaries(
            {n: typed_values(f.type, n, leaves, depth + 1) for n, f in required.items()},
            optional={n: typed_values(f.type, n, leaves, depth + 1) for n, f in optional.items()})
    leaf = leaf_strategy(key, type_.name, leaves)
    return st.none() | (leaf | SURROGATE_TEXT if type_.name in ("String", "ID") else leaf)


@lru_cache
def variable_types(operation: str) -> dict:
    document = graphql.parse(OPERATIONS[operation])
    return {d.variable.name.value: graphql.type_from_ast(SCHEMA, d.type)
            for d in document.definitions[0].variable_definitions}


@st.composite
def odd_variables(draw, seed: Seed):
    """A playground operation with variables of the right type (odd values) or of any type."""
    operation = draw(st.sampled_from(sorted(OPERATIONS)))
    leaves = seed.values.setdefault("leaves", domain_leaves(seed))
    variables = {}
    for name, type_ in variable_types(operation).items():
        if draw(st.booleans()):
            variables[name] = draw(typed_values(type_, name, leaves) | HUGE_INTS)
        elif draw(st.booleans()):
            variables[name] = draw(JSON_VALUES)
    if draw(st.booleans()):
        variables.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=2)))
    return OPERATIONS[operation], variables


@st.composite
def deep_bodies(draw) -> bytes:
    """Deeply nested filters, lists, literals and bodies (built as text: too deep for json.dumps)."""
    depth = draw(st.integers(10, 5000) | st.integers(1000, 200_000))
    kind = draw(st.sampled_from(["not", "and", "list", "literal", "body"]))
    if kind == "body":
        return ("[" * depth + "]" * depth).encode() if draw(st.booleans()) else (
            '{"query": "' + SIMPLE + '", "variables": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode()
    if kind == "literal":
        document = "{ registeredModels(filter: " + "{not: " * depth + "{}" + "}" * depth + ") { totalCount } }"
        return json.dumps({"query": document}).encode()
    if kind == "list":
        operation, variables = OPERATIONS["create_model"], '{"name": "deep", "tags": ' + "[" * depth + "]" * depth + "}"
    else:
        operation = OPERATIONS["search_versions"]
        inner = '{"not": ' * depth + "{}" + "}" * depth if kind == "not" else (
            '{"and": [' * depth + '{"stage": ["NONE"]}' + "]}" * depth)
        variables = '{"filter": ' + inner + "}"
    return ('{"query": ' + json.dumps(operation) + ', "variables": ' + variables + "}").encode()


@st.composite
def bad_bodies(draw) -> bytes:
    """A body that is not a GraphQL request: not JSON, the wrong JSON, odd numbers, invalid UTF-8."""
    kind = draw(st.sampled_from(["bytes", "json", "query", "variables", "operationName", "numbers", "utf8"]))
    if kind == "bytes":
        return draw(st.binary(max_size=100))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode() if draw(st.booleans()) else draw(st.sampled_from(
            [b"1", b"null", b"true", b'"x"', b"1e400", b"NaN", b"-Infinity", b"[]", b"{}"]))
    if kind in ("query", "variables", "operationName", "numbers"):
        body = {"query": draw(JSON_VALUES) if kind == "query" else "query Q($first: Int) { a: viewer { isAuthenticated }"
                " registeredModels(first: $first) { totalCount } } query R { viewer { isAuthenticated } }"}
        body[kind if kind != "numbers" else "variables"] = (
            draw(JSON_VALUES) if kind != "numbers" else {"first": None})
        text = json.dumps(body)
        if kind == "numbers":
            text = text.replace("null", draw(st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "1.0", "-0",
                                                               "1.5", "123456789012345678901234567890", "0x10"])))
        return text.encode()
    return b'{"query": "{ registeredModel(name: \\"' + draw(st.binary(min_size=1, max_size=8)) + b'\\") { id } }"}'


@fuzz_settings(share=0.15)
@given(data=st.data())
def test_invalid_documents_are_refused_with_a_code(fuzzer, gql, data):
    """Documents with a schema violation, wrong literals, mangled or made of noise: coded errors."""
    fuzzer.seeded(gql)
    kind = data.draw(st.sampled_from(["negative", "wrong literals", "mangled", "noise"]), label="kind")
    if kind == "negative":
        fuzzer.graphql(data.draw(NEGATIVE_OPERATIONS))
    elif kind == "wrong literals":
        fuzzer.graphql(graphql.print_ast(graphql.visit(data.draw(ODD_OPERATIONS), Corruption(data.draw))))
    elif kind == "mangled":
        fuzzer.graphql(mangle(graphql.print_ast(data.draw(ODD_OPERATIONS)), data.draw))
    else:
        fuzzer.graphql(data.draw(ODD_DOCUMENTS), data.draw(st.none() | JSON_VALUES))


@fuzz_settings(share=0.15)
@given(data=st.data())
def test_odd_variables_are_refused_or_handled_cleanly(fuzzer, gql, data):
    """Variables of the wrong type, huge numbers, lone surrogates, NULs, unknown names: a coded
    error or a userError, never an INTERNAL."""
    seed = fuzzer.seeded(gql)
    if data.draw(st.booleans(), label="playground operation"):
        fuzzer.graphql(*data.draw(odd_variables(seed)))
        return
    text, variables = ground(data.draw(QUERIES | MUTATIONS), data.draw, seed, copies=False)
    for name in variables:
        change = data.draw(st.sampled_from(["keep", "replace", "odd text"]))
        if change == "replace":
            variables[name] = data.draw(JSON_VALUES | HUGE_INTS)
        elif change == "odd text":
            variables[name] = with_odd_text(variables[name], data.draw)
    fuzzer.graphql(text, variables)


@fuzz_settings(share=0.1)
@given(data=st.data())
def test_malformed_requests_are_refused_as_bad_requests(fuzzer, gql, data):
    """Bodies that are no GraphQL request (not JSON, the wrong JSON, too deep, invalid UTF-8),
    the wrong content types, and odd GETs: a 4xx with a JSON error, never a 5xx."""
    fuzzer.seeded(gql)
    kind = data.draw(st.sampled_from(["body", "deep", "content-type", "get"]), label="kind")
    if kind == "body":
        fuzzer.send("POST", data.draw(bad_bodies()), {"content-type": "application/json"})
    elif kind == "deep":
        fuzzer.send("POST", data.draw(deep_bodies()), {"content-type": "application/json"})
    elif kind == "content-type":
        content_type = data.draw(st.sampled_from(CONTENT_TYPES) | st.text(st.characters(min_codepoint=32)
                                                                          .filter(lambda c: c != "\x7f")))
        body = data.draw(st.sampled_from([json.dumps({"query": SIMPLE}).encode(), SIMPLE.encode(),
                                          b"query=" + SIMPLE.encode()]))
        fuzzer.send("POST", body, {"content-type": content_type.strip().encode("utf-8", "surrogatepass")})
    else:
        params = data.draw(st.fixed_dictionaries({"query": ODD_DOCUMENTS | st.sampled_from([SIMPLE, OPERATIONS[
            "create_model"]])}, optional={"variables": TEXT | JSON_VALUES.map(json.dumps) | st.integers(1, 5000).map(
                lambda depth: "[" * depth + "]" * depth), "operationName": TEXT | SURROGATE_TEXT}))
        query = "&".join(f"{k}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in params.items())
        fuzzer.send("GET", None, {"accept": "application/json"}, f"?{query}")


# --- Filter strings, and large or aliased documents ------------------------------------------------

FILTER_ATTRIBUTES = ["name", "run_id", "source_path", "version_number", "current_stage", "alias", "tags.team",
                     "tag.`my key`", 'tags."k"', "tags.", "tags", "foo", "NAME", "version_number.x"]
FILTER_OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "like", "ILIKE", "IN", "NOT IN", "not in", "==", "<>",
                    "~", "", "AND"]
PATTERN_TEXT = st.text(st.sampled_from(["%", "_", "\\", "a", "é", "'", '"', " ", "\x00"]), max_size=20)


@st.composite
def filter_values(draw) -> str:
    kind = draw(st.sampled_from(["quoted", "pattern", "long", "integer", "huge", "list", "raw"]))
    if kind == "quoted":
        quote_mark = draw(st.sampled_from(["'", '"']))
        return quote_mark + draw(TEXT).replace(quote_mark, "") + quote_mark
    if kind == "pattern":
        return "'" + draw(PATTERN_TEXT).replace("'", "") + "'"
    if kind == "long":
        text = draw(st.sampled_from(["%", "a", "é", "\\%"])) * draw(st.sampled_from([9_999, 10_001, 50_001]))
        return f"'{text}'"
    if kind == "integer":
        return str(draw(INT32 | HUGE_INTS))
    if kind == "huge":
        return draw(st.sampled_from(["99999999999999999999999", "-99999999999999999999999", "1e999", "0x10", "1.5"]))
    if kind == "list":
        items = draw(st.lists(filter_values(), max_size=3)) + ["'x'"] * draw(st.sampled_from([0, 1, 999, 1001]))
        return "(" + ", ".join(items) + ")"
    return draw(TEXT)


# Mostly comparisons that parse, so that what is past the parser is reached too.
WELL_FORMED = st.sampled_from([("name", "LIKE"), ("name", "ILIKE"), ("name", "IN"), ("run_id", "NOT IN"),
                               ("source_path", "LIKE"), ("tags.team", "LIKE"), ("version_number", ">="),
                               ("version_number", "="), ("name", "=")])


@st.composite
def clauses(draw) -> str:
    if draw(st.integers(0, 3)):
        attribute, operator = draw(WELL_FORMED)
    else:
        attribute, operator = draw(st.sampled_from(FILTER_ATTRIBUTES)), draw(st.sampled_from(FILTER_OPERATORS))
    return f"{attribute} {operator} {draw(filter_values())}"


@st.composite
def filter_strings(draw) -> str:
    count = draw(st.integers(1, 3) | st.sampled_from([100, 101, 600]))
    chosen = [draw(clauses())] * count if count > 3 else [draw(clauses()) for _ in range(count)]
    return f" {draw(st.sampled_from(['AND', 'and', 'AND', 'OR']))} ".join(chosen)


@st.composite
def typed_filters(draw, depth: int = 0):
    """A ModelVersionFilter: nested and/or/not past the limits, long lists, odd patterns."""
    kind = draw(st.sampled_from(["leaf", "leaf", "and", "or", "not"] if depth < 14 else ["leaf"]))
    if kind == "leaf":
        field = draw(st.sampled_from(["name", "runId", "source"]))
        op = draw(st.sampled_from(["eq", "ne", "like", "ilike", "in", "notIn"]))
        value = [draw(TEXT)] * draw(st.sampled_from([0, 1, 1001])) if op in ("in", "notIn") else draw(
            PATTERN_TEXT | st.sampled_from(["%" * 10_001, "a\\"]))
        return {field: {op: value}}
    if kind == "not":
        return {"not": draw(typed_filters(depth + 1))}
    return {kind: draw(st.lists(typed_filters(depth + 1), max_size=3)) + [{"name": {"ne": "x"}}] * draw(
        st.sampled_from([0, 100, 101]))}


SEARCHES = ["query($q: String) { registeredModels(query: $q) { totalCount nodes { name } } }",
            "query($q: String) { modelVersions(query: $q, first: 5) { totalCount nodes { version } } }",
            'query($q: String) { registeredModel(name: "fraud-detector") { versions(first: 5) { totalCount } } '
            "modelVersions(query: $q, last: 2) { nodes { version } } }"]


@fuzz_settings(share=0.1)
@given(data=st.data())
def test_generated_filters_never_fail_internally(fuzzer, gql, data):
    """Filter strings and typed filters of any shape and size: results, or INVALID_ARGUMENT."""
    fuzzer.seeded(gql)
    if data.draw(st.booleans(), label="filter string"):
        fuzzer.graphql(data.draw(st.sampled_from(SEARCHES)), {"q": data.draw(filter_strings())})
    else:
        fuzzer.graphql("query($f: ModelVersionFilter) { modelVersions(filter: $f) { totalCount } }",
                       {"f": data.draw(typed_filters())})


@st.composite
def large_documents(draw, seed: Seed) -> tuple[str, dict]:
    """Many aliases of a field, many ids, pages near the limits, padding, repeated fragments."""
    kind = draw(st.sampled_from(["aliases", "ids", "pages", "padding", "fragments", "mutations"]))
    count = draw(st.sampled_from([1, 10, 11, 99, 100, 101, 199, 200, 201]))
    if kind == "aliases":
        field = draw(st.sampled_from(['registeredModel(name: "fraud-detector") { tags { value } versions { '
                                      "nodes { tags { key value } } } }", "__schema { types { name } }",
                                      'modelVersion(name: "fraud-detector", version: 1) { comments { body } }',
                                      "nodes(ids: $ids) { id }"]))
        return "query($ids: [ID!] = []) { " + " ".join(f"a{n}: {field}" for n in range(count)) + " }", {}
    if kind == "ids":
        ids = [draw(st.sampled_from(seed.ids + FORGED_IDS)) for _ in range(3)] * count
        return "query($i: [ID!]!) { nodes(ids: $i) { id ... on RegisteredModel { versions(first: 1000) { " \
               "totalCount } } ... on ModelVersion { tags { value } } } }", {"i": ids}
    if kind == "pages":
        sizes = [draw(PAGE_SIZES | st.sampled_from([100, 316, 317])) for _ in range(3)]
        return ("query($a: Int, $b: Int = %d) { registeredModels(first: $a) { nodes { versions(first: $b) { nodes { "
                "activities(first: %d) { nodes { id } } } } } } }" % (sizes[1], sizes[2])), {"a": sizes[0]}
    if kind == "padding":
        return "{ viewer { isAuthenticated } } #" + "x" * draw(st.sampled_from([1, 99_999, 100_001, 900_000])), {}
    if kind == "fragments":
        spreads = " ".join(f"a{n}: registeredModels {{ ...M }}" for n in range(min(count, 200)))
        return f"{{ {spreads} }} fragment M on RegisteredModelConnection {{ nodes {{ name tags {{ value }} }} }}", {}
    fields = " ".join(f'm{n}: setRegisteredModelTag(input: {{name: "fraud-detector", key: "k{n % 3}", value: $v}}) '
                      "{ userErrors { code } }" for n in range(min(count, 12)))
    return f"mutation($v: String!) {{ {fields} }}", {"v": "v" * draw(st.sampled_from([1, 100_000, 200_001]))}


@fuzz_settings(share=0.05)
@given(data=st.data())
def test_large_and_aliased_documents_never_fail_internally(fuzzer, gql, data):
    """Documents near and past every limit: answered, or refused with the limit's code."""
    seed = fuzzer.seeded(gql)
    fuzzer.graphql(*data.draw(large_documents(seed)))
