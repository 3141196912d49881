"""Where webhooks may send: `http`/`https` URLs whose host resolves to a public address.

The decision is made on the address a connection is about to be opened to (the gateway's
outbound transport asks `refusal` for each resolved address, and connects to the address
it checked), so a name that resolves to a public address when a webhook is made and to
an internal one later (DNS rebinding) is refused when it matters. Loopback, private,
link-local (cloud metadata services live at 169.254.169.254), shared, multicast, reserved
and unspecified addresses are refused unless an allowed network contains them
(REGISTRY_WEBHOOK_ALLOWED_NETWORKS: intranet receivers, tests).
"""
import ipaddress
from urllib.parse import urlsplit

from resolvers.errors import invalid

MAX_URL = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(specs) -> tuple[Network, ...]:
    """'10.0.0.0/8', '127.0.0.1', '::1' -> networks; ValueError names a bad one."""
    networks = []
    for spec in specs:
        try:
            networks.append(ipaddress.ip_network(spec.strip(), strict=False))
        except ValueError:
            raise ValueError(f"REGISTRY_WEBHOOK_ALLOWED_NETWORKS: {spec!r} is not an address or a network "
                             "such as 10.0.0.0/8") from None
    return tuple(networks)


class AddressPolicy:
    def __init__(self, allowed: tuple[Network, ...] = ()):
        self.allowed = allowed

    def refusal(self, address: Address) -> str | None:
        """Why a webhook may not connect to `address`; None if it may."""
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
            address = mapped
        if any(address in network for network in self.allowed):
            return None
        if address.is_global and not address.is_multicast:
            return None
        return f"{address} is a {_kind(address)} address"


def _kind(address: Address) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (cloud metadata services live there)"
    if address.is_private:
        return "private"
    if address.is_multicast:
        return "multicast"
    return "non-public"


ALLOW_HINT = "; a receiver inside your network must be allowed with REGISTRY_WEBHOOK_ALLOWED_NETWORKS"


def checked_url(url: str, policy: AddressPolicy, *field: str) -> str:
    """The URL, if a webhook may have it: refused at once when its host is an address
    (or `localhost`) the policy refuses; a name is checked on each connection."""
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise invalid(f"A webhook URL has at most {MAX_URL} characters and no spaces.", *field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise invalid("The webhook URL is not a URL.", *field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("A webhook URL is http:// or https:// with a host.", *field)
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    refused = policy.refusal(address)
    if refused:
        raise invalid(f"Webhooks may not send to {parts.hostname}: {refused}{ALLOW_HINT}.", *field)
    return url
