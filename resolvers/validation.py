"""The registry's rules for names and values (REFERENCE.md, Names and values).

Each check raises INVALID_ARGUMENT naming the input field at fault, and returns the
value as it is to be stored.
"""
import re
import unicodedata
from urllib.parse import unquote

from resolvers.errors import invalid

MAX_NAME = 256
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 100_000
MAX_ALIAS = 255
MAX_TEXT = 65_535
MAX_RUN_ID = 255
MAX_IDEMPOTENCY_KEY = 255
MAX_PAGE = 1000
DEFAULT_PAGE = 50

# Control (Cc), format (Cf: bidi overrides, zero-width), private-use, unassigned, and
# separators: characters that make one name look like another.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs"}
URI_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
SOURCE_SCHEMES = frozenset({
    "s3", "s3a", "s3n", "gs", "wasb", "wasbs", "abfs", "abfss", "adl", "hdfs", "viewfs", "dbfs", "file",
    "runs", "models", "mlflow-artifacts", "http", "https", "ftp", "sftp",
})
TAG_KEY = re.compile(r"[/\w.\- :]*")
ALIAS = re.compile(r"[\w\-]*")
RESERVED_VERSION_ALIAS = re.compile(r"[vV][0-9]+")
MAX_VERSION_NUMBER = 2**31 - 1
STAGES = ("NONE", "STAGING", "PRODUCTION", "ARCHIVED")


def nfc(name: str) -> str:
    """Names are stored and looked up in Unicode's composed form (NFC), so 'é' typed as one
    character or as 'e' and an accent is one name."""
    return unicodedata.normalize("NFC", name)


def _hidden_character(text: str) -> str | None:
    """The first character that does not show as itself (control, format, bidi, zero-width,
    separators other than the space), as U+XXXX."""
    for char in text:
        if char != " " and unicodedata.category(char) in HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def model_name(name: str, *field: str) -> str:
    """The name as stored (NFC). Look-alike names are refused: no characters that do not
    show (newlines, tabs, bidi overrides, zero-width), no spaces around it."""
    field = field or ("input", "name")
    name = nfc(name)
    trimmed = name.strip()
    if not trimmed:
        raise invalid("A model name must not be empty.", *field)
    if trimmed != name:
        raise invalid(f"A model name may not start or end with white space: {name!r}.", *field)
    hidden = _hidden_character(name)
    if hidden:
        raise invalid(f"A model name may not contain control, format or invisible characters ({hidden}).", *field)
    if len(name) > MAX_NAME:
        raise invalid(f"A model name has at most {MAX_NAME} characters; got {len(name)}.", *field)
    if "/" in name or ":" in name:
        raise invalid(f"A model name may not contain '/' or ':': {name!r}.", *field)
    if trimmed.startswith("./") or ".." in trimmed or trimmed in (".",):
        raise invalid(f"A model name may not be a path ('..', './'): {name!r}.", *field)
    return name


def tag_key(key: str, *field: str) -> str:
    if not key:
        raise invalid("A tag key must not be empty.", *field)
    if len(key) > MAX_TAG_KEY:
        raise invalid(f"A tag key has at most {MAX_TAG_KEY} characters; got {len(key)}.", *field)
    if not TAG_KEY.fullmatch(key):
        raise invalid(
            f"Invalid tag key {key!r}: use letters, digits and _ - . / : or spaces.", *field
        )
    return key


def tag_value(value: str, *field: str) -> str:
    if len(value) > MAX_TAG_VALUE:
        raise invalid(f"A tag value has at most {MAX_TAG_VALUE} characters; got {len(value)}.", *field)
    return value


def tags(entries, *field: str) -> dict[str, str]:
    """Validated (key, value) pairs as a dict; a key given twice is an error."""
    result: dict[str, str] = {}
    for index, (key, value) in enumerate(entries or ()):
        at = (*field, str(index))
        tag_key(key, *at, "key")
        tag_value(value, *at, "value")
        if key in result:
            raise invalid(f"Tag key {key!r} is given more than once.", *at, "key")
        result[key] = value
    return result


def alias(name: str, *field: str) -> str:
    """An alias to set: reserved names (latest, v1, V2...) are refused."""
    alias_syntax(name, *field)
    if name.lower() == "latest" or RESERVED_VERSION_ALIAS.fullmatch(name):
        raise invalid(f"Alias {name!r} is reserved: 'latest' and 'v<number>' name versions already.", *field)
    return name


def alias_syntax(name: str, *field: str) -> str:
    if not name:
        raise invalid("An alias must not be empty.", *field)
    if len(name) > MAX_ALIAS:
        raise invalid(f"An alias has at most {MAX_ALIAS} characters; got {len(name)}.", *field)
    if not ALIAS.fullmatch(name):
        raise invalid(f"Invalid alias {name!r}: use letters, digits, '_' and '-' only.", *field)
    return name


def alias_target(alias: str) -> tuple[str, str | int]:
    """What an alias names when resolved: ("latest", alias) for the highest live version
    (any case), ("version", N) for `vN`, else ("alias", alias)."""
    if alias.lower() == "latest":
        return "latest", alias
    if RESERVED_VERSION_ALIAS.fullmatch(alias):
        number = int(alias[1:])
        # No version is numbered past a 32-bit integer; such a number would not even bind.
        return "version", number if number <= MAX_VERSION_NUMBER else 0
    return "alias", alias


def text(value: str | None, what: str, *field: str) -> str | None:
    if value is not None and len(value) > MAX_TEXT:
        raise invalid(f"A {what} has at most {MAX_TEXT} characters; got {len(value)}.", *field)
    return value


def version_number(version: int, *field: str) -> int:
    if version < 1:
        raise invalid(f"A version number is an integer from 1; got {version}.", *field)
    return version


def source(uri: str, *field: str) -> str:
    """A location a frontend may turn into a link: a path, or a URI whose scheme is a
    storage one (never `javascript:`, `data:` and the like)."""
    if not uri or not uri.strip():
        raise invalid("A source must not be empty.", *field)
    if len(uri) > MAX_TEXT:
        raise invalid(f"A source has at most {MAX_TEXT} characters; got {len(uri)}.", *field)
    # Browsers drop control characters in a link (`java\tscript:`) and spaces before it.
    hidden = _hidden_character(uri) or (uri != uri.strip() and "surrounding white space")
    if hidden:
        raise invalid(f"A source may not contain control or invisible characters ({hidden}).", *field)
    scheme = URI_SCHEME.match(uri)
    if scheme and scheme[1].lower() not in SOURCE_SCHEMES and not WINDOWS_DRIVE.match(uri):
        raise invalid(f"A source's URI scheme is one of {', '.join(sorted(SOURCE_SCHEMES))}, or none (a path); "
                      f"got {scheme[1]!r}.", *field)
    # Decode until stable so that %2e%2e (or %252e%252e) cannot smuggle a '..' segment.
    decoded, previous = uri, None
    while decoded != previous:
        previous, decoded = decoded, unquote(decoded)
    if ".." in re.split(r"[/\\]", decoded):
        raise invalid(f"A source may not contain a '..' path segment: {uri!r}.", *field)
    return uri


def short_text(value: str | None, what: str, limit: int, *field: str) -> str | None:
    if value is not None and len(value) > limit:
        raise invalid(f"A {what} has at most {limit} characters; got {len(value)}.", *field)
    return value


def page_size(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise invalid(f"`{name}` must not be negative; got {value}.", name)
    if value > MAX_PAGE:
        raise invalid(f"`{name}` is at most {MAX_PAGE}; got {value}.", name)
    return value


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored or searched, or None: a NUL (PostgreSQL refuses one) or
    a lone surrogate (not Unicode; no driver can encode it)."""
    if "\x00" in text:
        return "Text may not contain a NUL (\\u0000) character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (no lone surrogates such as \\ud800)."
    return None


def refuse_unstorable(value, field: tuple) -> None:
    """Find the first unstorable text, wherever it is in the input."""
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            raise invalid(problem, *field)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unstorable(item, (*field, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            refuse_unstorable(item, (*field, str(index)))
