"""Parsed documents by query text, and what was worked out for them, bounded by bytes.

strawberry's parser and validation caches are bounded by entries: 800 distinct 0.9 MB
documents (padding in a comment costs no tokens) kept 774 MB. Here every cached document
weighs its text plus its syntax tree (about 400 bytes a token, as much again for what is
derived from it: validation, a query plan, checks), the cache holds at most MAX_BYTES of
that, and a document heavier than MAX_DOCUMENT_BYTES is parsed for its request alone.

What is derived from a document (`remember`) lives in the document's entry and leaves
with it, so no other cache can keep an evicted document alive."""
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

from graphql import DocumentNode, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_BYTES = 32_000_000
MAX_DOCUMENT_BYTES = 1_000_000
# A text this long is padding, not a query (5,000 tokens take far less): caching it would
# pin blocks the allocator could otherwise reuse for the next large body.
MAX_CACHED_TEXT = 100_000
BYTES_PER_TOKEN = 800


@dataclass
class _Entry:
    document: DocumentNode
    weight: int
    facts: dict = field(default_factory=dict)


def weight_of(text: str, document: DocumentNode) -> int:
    tokens, token = 0, document.loc.start_token if document.loc else None
    while token is not None:
        tokens, token = tokens + 1, token.next
    return len(text) + BYTES_PER_TOKEN * tokens


class DocumentCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_document_bytes: int = MAX_DOCUMENT_BYTES):
        self.max_bytes = max_bytes
        self.max_document_bytes = max_document_bytes
        self.used = 0
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()  # (text, parse options) -> entry
        self._by_node: dict[int, tuple[Any, _Entry]] = {}  # id of the document or an operation -> entry
        self._lock = threading.Lock()  # each test server runs its own event loop thread

    def parse(self, text: str, **options) -> DocumentNode:
        key = (text, tuple(sorted(options.items())))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry.document
        if len(text) > MAX_CACHED_TEXT:
            # Without locations: its tokens link both ways, a cycle that would keep the
            # text alive until the garbage collector next runs, long after the request.
            return parse(text, no_location=True, **options)
        document = parse(text, **options)
        weight = weight_of(text, document)
        if weight <= self.max_document_bytes:
            self._insert(key, _Entry(document, weight))
        return document

    def remember(self, node, what, make: Callable[[], Any]):
        """What `make()` gives for `node` (a cached document or one of its operations),
        kept as `what` while the document is cached; made anew for any other node."""
        with self._lock:
            found = self._by_node.get(id(node))
            entry = found[1] if found is not None and found[0] is node else None
            if entry is not None and (id(node), what) in entry.facts:
                return entry.facts[id(node), what][1]
        value = make()
        if entry is not None:
            entry.facts[id(node), what] = (node, value)
        return value

    def remembered(self, what) -> list[tuple[Any, Any]]:
        """(node, value) for each cached node that has a `what`."""
        with self._lock:
            return [fact for entry in self._entries.values()
                    for (_, kind), fact in entry.facts.items() if kind == what]

    def __len__(self) -> int:
        return len(self._entries)

    def _insert(self, key: tuple, entry: _Entry) -> None:
        nodes = [entry.document, *(d for d in entry.document.definitions if isinstance(d, OperationDefinitionNode))]
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self.used += entry.weight
            for node in nodes:
                self._by_node[id(node)] = (node, entry)
            while self.used > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.used -= evicted.weight
                for node in [evicted.document, *evicted.document.definitions]:
                    found = self._by_node.get(id(node))
                    if found is not None and found[0] is node:
                        del self._by_node[id(node)]


# One per process: every schema's requests share it, so its bound is the process's.
DOCUMENTS = DocumentCache()


class CachedDocuments(SchemaExtension):
    """Parsing and validation through DOCUMENTS (in place of strawberry's ParserCache and
    ValidationCache)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = DOCUMENTS.parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document, rules = context.schema._schema, context.graphql_document, context.validation_rules
        context.pre_execution_errors = DOCUMENTS.remember(
            document, ("validation", schema, rules), lambda: validate_document(schema, document, rules))
        yield
