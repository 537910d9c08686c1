"""Who the client is: the connection's peer, or what a trusted reverse proxy says it forwarded.

Rate limits and failed-authentication throttling key on this address, so it must not be something a
client can choose. `X-Forwarded-For` is believed only when the connection comes from one of
`IMPACT_TRUSTED_PROXIES`; the client is then the nearest address in the chain that is not a trusted
proxy (proxies append, so everything left of it may be forged).

An ASGI server may already have rewritten the peer from `X-Forwarded-For` (uvicorn does by default for
connections from 127.0.0.1 and ::1, `--forwarded-allow-ips`). The real peer is then lost; when no proxy
is trusted here, such requests are all counted as one client, `FORWARDED_UNVERIFIED`, instead of as
whoever the header names.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SCOPE_KEY = "impact.client_address"
UNKNOWN = "unknown"
# Requests whose peer the ASGI server replaced with an X-Forwarded-For entry nobody here trusts.
FORWARDED_UNVERIFIED = "forwarded-unverified"
# Distinct (peer, X-Forwarded-For) pairs whose client address `ClientAddress` remembers, each of at most
# `REMEMBERED_MAX_BYTES` (a peer and a few proxies: under 1 MB in all).
ADDRESSES_REMEMBERED = 4096
REMEMBERED_MAX_BYTES = 200

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(value: str | Iterable[str]) -> list[Network]:
    """`10.0.0.1, 192.168.0.0/16, ::1` → networks; a clear error names a wrong entry."""
    items = value.split(",") if isinstance(value, str) else value
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"IMPACT_TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR network (e.g. 10.0.0.0/8)"
            ) from None
    return networks


def parse_ip(value: str) -> Address | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1`)."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def forwarded_header(scope: Scope) -> bytes:
    """Every `X-Forwarded-For` header of the request, joined by commas (as one header would hold them)."""
    return b",".join(value for name, value in scope.get("headers", []) if name.lower() == b"x-forwarded-for")


def chain_of(forwarded: bytes) -> list[str]:
    """Every entry of `forwarded` (`forwarded_header`), leftmost (claimed origin) first."""
    return [part.strip() for part in forwarded.decode("latin-1").split(",") if part.strip()]


class TrustedProxies:
    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = list(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, chain: list[str]) -> str:
        """The client address for a connection from `peer` carrying `chain` (X-Forwarded-For)."""
        peer_ip = parse_ip(peer)
        hops = [parse_ip(hop) for hop in chain]
        if peer_ip is not None and peer_ip in hops:
            # The ASGI server already replaced the peer by a forwarded entry (or a client names itself):
            # believe it only if we trust proxies and every hop after it is one of them.
            last = len(hops) - 1 - hops[::-1].index(peer_ip)
            if not self.networks or not all(self.trusts(hop) for hop in hops[last + 1 :]):
                return FORWARDED_UNVERIFIED
            hops = hops[: last + 1]
        elif not self.trusts(peer_ip):
            return str(peer_ip) if peer_ip is not None else peer
        elif not hops:
            return str(peer_ip)
        # Proxies append: walk from the nearest hop, the first that is not one of our proxies is the client.
        for hop in reversed(hops):
            if hop is None:
                return FORWARDED_UNVERIFIED  # garbage in the chain: nothing left of it can be believed
            if not self.trusts(hop):
                return str(hop)
        return str(hops[0])


class ClientAddress:
    """Puts the client address in the scope (`client_address(scope)`) for everything inside it."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted
        self._warned = False
        # The same peers and chains come again and again: each resolved once (parsing addresses costs µs), the
        # most recent `ADDRESSES_REMEMBERED` remembered, keyed by the header's bytes. Only short chains: a
        # client writes its own X-Forwarded-For, and a long one must not be kept (resolved each time instead).
        self._resolved = functools.lru_cache(maxsize=ADDRESSES_REMEMBERED)(self._resolve)

    def _resolve(self, peer: str, forwarded: bytes) -> str:
        return self.trusted.client(peer, chain_of(forwarded))

    def resolve(self, peer: str, forwarded: bytes) -> str:
        """The client address of a connection from `peer` carrying `forwarded` (`forwarded_header`)."""
        if len(peer) + len(forwarded) > REMEMBERED_MAX_BYTES:
            return self._resolve(peer, forwarded)
        return self._resolved(peer, forwarded)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            address = self.resolve(peer[0] if peer else UNKNOWN, forwarded_header(scope))
            if address == FORWARDED_UNVERIFIED and not self._warned:
                self._warned = True
                log.warning(
                    "the ASGI server rewrote the client address from X-Forwarded-For, but IMPACT_TRUSTED_PROXIES "
                    "trusts no proxy: such requests share one rate limit. Behind a reverse proxy, set "
                    "IMPACT_TRUSTED_PROXIES to its address; otherwise run uvicorn with --forwarded-allow-ips ''"
                )
            scope[SCOPE_KEY] = address
        await self.app(scope, receive, send)


def client_address(scope: Scope) -> str:
    """The client address `ClientAddress` resolved, or the peer when it did not run (unit tests)."""
    address = scope.get(SCOPE_KEY)
    if isinstance(address, str):
        return address
    peer = scope.get("client")
    return str(peer[0]) if peer else UNKNOWN


def limit_key(address: str) -> str:
    """What limits count by: the address, or its /64 for IPv6 (one subscriber holds a whole /64)."""
    ip = parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address
