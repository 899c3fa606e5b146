"""The client's address, as sign-in throttling and the login audit count it.

The peer address, unless the peer is a trusted reverse proxy (`FAIRWEIGH_TRUSTED_PROXIES`): then X-Forwarded-For is
read from the right, skipping the trusted proxies that appended to it, and the first address that is not one of them
is the client's. Entries to its left were written by the client itself and are never believed. A header that cannot
be parsed leaves the proxy's own address, so a forged header can only throttle the sender's own proxy, never
someone else's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(request: web.Request, proxies: Sequence[Network]) -> str:
    peer = request.remote or "unknown"
    current = _address(peer)
    if current is None or not proxies or not _trusted(current, proxies):
        return peer
    hops = [hop for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)
