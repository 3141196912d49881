"""Remembering what was worked out for a parsed document, by the document's identity.

strawberry's parser cache hands every request with the same query text the same AST
objects, so facts derived from them (a query plan, a check of the literals) hold for the
next request with that text. Entries keep their node alive, so an id is never taken by a
newer node while its entry lasts."""
from collections import OrderedDict
from typing import Any, Callable


class ByDocument:
    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def get(self, node, make: Callable[[], Any]):
        """What `make()` gave for this very node, made now if it is not remembered."""
        entry = self.entries.get(id(node))
        if entry is not None and entry[0] is node:
            self.entries.move_to_end(id(node))
            return entry[1]
        value = make()
        self.entries[id(node)] = (node, value)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value
