"""Domain errors: the expected failures a client is told about as `userErrors`; and the
store's StoreUnavailable, which the schema tells as a retryable UNAVAILABLE."""
from store.database import StoreUnavailable

__all__ = ["RegistryError", "StoreUnavailable", "invalid", "not_found"]


class RegistryError(Exception):
    """An expected failure with a stable code.

    `code` is one of the contract's ErrorCode values; `field` is the path to the input
    field at fault (e.g. ("input", "tags", "0", "key")), or None when no single field is.
    """

    def __init__(self, code: str, message: str, field: tuple[str, ...] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def invalid(message: str, *field: str) -> RegistryError:
    return RegistryError("INVALID_ARGUMENT", message, field or None)


def not_found(message: str, *field: str) -> RegistryError:
    return RegistryError("NOT_FOUND", message, field or None)
