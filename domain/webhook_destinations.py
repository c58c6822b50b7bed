"""Where a webhook may send: http(s) to public addresses, checked when saved and when sent.

A tenant's admin chooses the URL, so without this check the servers would POST wherever
it points: their own loopback, the cloud's metadata service (link-local), the private
network behind them. The name is resolved here and every address it resolves to is
checked; the sender then connects to one of exactly these addresses, so a name that
resolves differently a moment later (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

MAX_URL_LENGTH = 2000
_DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(Exception):
    """A URL no webhook may have: the message says why, for the person who gave it."""


class UnresolvedDestination(Exception):
    """The URL's host name does not resolve (now): nothing to connect to."""


@dataclass(frozen=True)
class Destination:
    url: httpx.URL
    host: str  # as the request names it (Host header, TLS server name)
    port: int
    addresses: tuple[str, ...]  # checked, in the resolver's order


def parsed(url: str) -> httpx.URL:
    """The URL if it can be a webhook's (http or https, with a host), else RefusedDestination."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedDestination(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        found = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise RefusedDestination("The URL is not a valid URL.") from error
    if found.scheme not in _DEFAULT_PORTS:
        raise RefusedDestination("The URL must start with http:// or https://.")
    if not found.host:
        raise RefusedDestination("The URL must name a host.")
    return found


def shown(url: str) -> str:
    """The URL as logs may show it: without the credentials it may carry."""
    try:
        return str(httpx.URL(url).copy_with(userinfo=b""))
    except (httpx.InvalidURL, ValueError):
        return "(not a URL)"


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64, 6to4), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def refusal(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    address = _embedded_ipv4(address)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "a reserved address"
    return None


async def _resolved(host: str, port: int) -> list[str]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [str(literal)]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvedDestination(f"{host} does not resolve: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def destination(url: str, *, allow_private: bool) -> Destination:
    """The URL with the addresses to connect to, each checked (unless `allow_private`).

    RefusedDestination when it is no webhook URL or any address it resolves to is not
    public; UnresolvedDestination when its host does not resolve.
    """
    found = parsed(url)
    host = found.raw_host.decode("ascii")
    port = found.port or _DEFAULT_PORTS[found.scheme]
    addresses = await _resolved(host, port)
    if not addresses:
        raise UnresolvedDestination(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:
            why = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
            if why is not None:
                shown = found.host if found.host == address else f"{found.host} ({address})"
                raise RefusedDestination(
                    f"The URL points to {why}, {shown}; webhooks go to public addresses only."
                )
    return Destination(url=found, host=host, port=port, addresses=tuple(addresses))
