"""Relay global object IDs: opaque, made from a type name and a primary key, so they
survive a rename. The API hands out no other identifiers, in responses or in activity
payloads."""
import base64
import binascii


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything this API did not hand out."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        number = int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    # Keys are 64-bit: anything larger could only be forged, and overflows the driver.
    return (type_name, number) if 0 < number < 2**63 else None


def pk_of(type_name: str, global_id: str) -> int | None:
    """The primary key in a global ID of `type_name`; None for any other ID."""
    decoded = from_global_id(global_id)
    return decoded[1] if decoded and decoded[0] == type_name else None
