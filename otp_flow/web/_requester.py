"""Who is asking: the key the pages count per-requester limits under.

A requester key is any callable ``scope -> str``. The default, ``ClientAddress``, is the client's
IP address as the server saw it. ``X-Forwarded-For`` and ``Forwarded`` are believed only when
the connection comes from one of ``trusted_proxies`` (addresses or CIDR networks), and then as
uvicorn's proxy-headers rules read them: walk the list right to left, skipping trusted hops; the
first untrusted address is the client (when every hop is trusted, the leftmost one). Anyone can
write those headers, so believing them from anywhere else would let a bot pick a fresh key per
request.

IPv6 addresses are grouped by their /64: one subscriber usually holds a whole /64, and counting
single addresses would give a bot 2**64 keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

from otp_flow._requesters import trusted_networks

__all__ = ["ClientAddress", "RequesterKey", "client_ip"]

#: ``scope -> key``; the key must be 1-200 characters (it becomes part of a store key).
RequesterKey = Callable[[MutableMapping[str, Any]], str]

_UNKNOWN = "unknown"
_MAX_HOPS = 32  # a longer header is not walked further (bounded work per request)

IPAddress = IPv4Address | IPv6Address


class ClientAddress:
    """The default requester key: the client address, through ``trusted_proxies`` only."""

    def __init__(self, *, trusted_proxies: Iterable[str] = ()) -> None:
        if isinstance(trusted_proxies, str):
            raise ValueError("trusted_proxies must be a list of addresses or networks")
        self.trusted = trusted_networks(trusted_proxies)

    def __call__(self, scope: Mapping[str, Any]) -> str:
        address = self.address(scope)
        if address is None:
            # A unix socket or a test transport: one key for all of them (the proxy in front).
            client = scope.get("client")
            return str(client[0])[:200] if client and client[0] else _UNKNOWN
        return _grouped(address)

    def address(self, scope: Mapping[str, Any]) -> IPAddress | None:
        """The client's own IP address (not grouped), through trusted proxies; None when the
        connection has no IP address."""
        client = scope.get("client")
        address = _address(client[0]) if client else None
        if address is not None and self.trusted and self._is_trusted(address):
            address = self._through_proxies(scope, address)
        return address

    def _is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted)

    def _through_proxies(self, scope: Mapping[str, Any], proxy: IPAddress) -> IPAddress:
        hops = _forwarded_hops(scope)
        if not hops:
            return proxy
        last = proxy
        for hop in reversed(hops[-_MAX_HOPS:]):
            address = _address(hop)
            if address is None:
                return last  # garbage from a trusted hop: count it as that hop
            if not self._is_trusted(address):
                return address
            last = address
        return last  # every hop trusted: the leftmost


def client_ip(requester: RequesterKey, scope: Mapping[str, Any]) -> str | None:
    """The client's IP address as ``requester`` believes it (the default key: through its
    trusted proxies; any other key: the connection's address), for a challenge provider's
    ``remoteip``; None when there is none."""
    if isinstance(requester, ClientAddress):
        address = requester.address(scope)
    else:
        client = scope.get("client")
        address = _address(client[0]) if client else None
    return str(address) if address is not None else None


def _forwarded_hops(scope: Mapping[str, Any]) -> list[str]:
    """The ``for`` addresses of ``Forwarded`` (preferred) or ``X-Forwarded-For``, in order."""
    forwarded: list[str] = []
    x_forwarded_for: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"forwarded":
            forwarded.append(value.decode("latin-1"))
        elif name == b"x-forwarded-for":
            x_forwarded_for.append(value.decode("latin-1"))
    if forwarded:
        hops = []
        for element in ",".join(forwarded).split(","):
            for pair in element.split(";"):
                key, _, value = pair.strip().partition("=")
                if key.lower() == "for":
                    hops.append(value.strip().strip('"'))
        return hops
    return [hop.strip() for hop in ",".join(x_forwarded_for).split(",") if hop.strip()]


def _address(text: str) -> IPAddress | None:
    """An IP address from a header or the ASGI scope, with brackets and any port removed."""
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:4711
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:4711
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _grouped(address: IPAddress) -> str:
    if isinstance(address, IPv6Address):
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)
