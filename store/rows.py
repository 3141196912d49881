"""Reading rows into model instances without peewee's per-value row processing.

peewee builds each instance through a cursor wrapper that converts every value and sets
it through the field descriptors, about 10 µs a row once a join is involved; a models page
reads some 1,300 rows. For integer and text columns the database driver already returns
the Python value, so `instances()` fills each instance's data straight from the row tuple
(converting only the columns that need it, such as SQLite's 0/1 booleans) and links the
joined instances the way peewee does.
"""
from functools import lru_cache
from itertools import repeat
from operator import attrgetter

from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, Metadata, Model, TextField

# Columns whose values come back from both drivers as the Python value they stand for.
_AS_STORED = (IntegerField, BigIntegerField, CharField, TextField)


def _as_stored(field) -> bool:
    if isinstance(field, ForeignKeyField):
        return _as_stored(field.rel_field)
    return isinstance(field, _AS_STORED)


@lru_cache(maxsize=None)
def _layout(model: type[Model]) -> tuple[tuple[str, ...], tuple]:
    """The model's field names in select order, and (index, converter) for the columns
    whose values need one."""
    fields = model._meta.sorted_fields
    converters = tuple((i, f.python_value) for i, f in enumerate(fields) if not _as_stored(f))
    return tuple(f.name for f in fields), converters


def instances(query, model: type[Model], *links: ForeignKeyField) -> list:
    """The rows of `query` (a peewee query or a cursor), which selects every column of
    `model` and then of each model the `links` lead to, in that order: `links[0]` is a
    foreign key of `model`, each next one a foreign key of the model the previous one
    points at. Each row becomes one instance per model, the later ones attached to the
    earlier ones through the links."""
    models = [model, *(link.rel_model for link in links)]
    layouts = [_layout(m) for m in models]
    widths = [len(names) for names, _ in layouts]
    cursor = model._meta.database.execute(query) if hasattr(query, "sql") else query
    if len(cursor.description) != sum(widths):
        raise ValueError(f"the query selects {len(cursor.description)} columns, not those of {models}")
    result = []
    for row in cursor.fetchall():
        start, previous = 0, None
        for current, (names, converters), width, link in zip(models, layouts, widths, (None, *links)):
            data = dict(zip(names, row[start:start + width]))
            for index, convert in converters:
                value = row[start + index]
                if value is not None:
                    data[names[index]] = convert(value)
            start += width
            instance = current.__new__(current)
            instance.__data__, instance._dirty, instance.__rel__ = data, set(), {}
            if previous is None:
                result.append(instance)
            else:
                previous.__rel__[link.name] = instance
            previous = instance
    return result


def attribute_column(objects: list, name: str) -> list:
    """getattr(o, name) for each object; for rows of one table, read from their data
    dicts without a call of peewee's field descriptor per value."""
    kinds = set(map(type, objects))
    if len(kinds) == 1:
        meta = getattr(kinds.pop(), "_meta", None)
        field = meta.fields.get(name) if isinstance(meta, Metadata) else None
        if field is not None and not isinstance(field, ForeignKeyField):
            return list(map(dict.get, map(attrgetter("__data__"), objects), repeat(name)))
    return list(map(attrgetter(name), objects))
