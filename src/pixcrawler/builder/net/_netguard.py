"""Refuse private, loopback and link-local targets (SSRF guard) unless explicitly allowed."""

import asyncio
import ipaddress
import socket
from collections import defaultdict
from urllib.parse import urljoin, urlsplit

import httpx

from pixcrawler.errors import BadRequestError, NetworkError, PolicyError

_ALLOWED_SCHEMES = frozenset({"http", "https"})
#: Said with every refusal. Where the downloads run decides, never who asked: a distributed
#: job's client cannot lift the guard for its workers (the setting is not part of the job).
PRIVATE_NETWORK_HINT = (
    "allow with PIXCRAWLER_ALLOW_PRIVATE_NETWORK=1 set where downloads run "
    "(on the workers for a distributed job)"
)
# IPv6 ranges whose low 32 bits are an IPv4 address a gateway forwards to: IPv4-compatible
# (::a.b.c.d), NAT64 well-known and local-use prefixes. Python calls several of them global.
_IPV4_CARRIERS = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def is_public_address(address: str) -> bool:
    """True when ``address`` is a globally routable unicast IP (not 10/8, 127/8, 169.254/16).

    An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by
    the IPv4 address, where its packets end up.
    """
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) > 1 and any(ip in carrier for carrier in _IPV4_CARRIERS):  # not :: or ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def split_host(url: str) -> tuple[str, int]:
    """Return ``(host, port)`` of an http(s) URL or raise :class:`BadRequestError`.

    The URL must also be one httpx can send (no control bytes, at most 64 KiB): refused here,
    it is a permanent "bad url" row rather than an exception escaping the request.
    """
    try:
        httpx.URL(url)
        parts = urlsplit(url)
        port = parts.port
    except (httpx.InvalidURL, ValueError) as exc:
        raise BadRequestError(f"bad url ({exc})", url=url) from exc
    if parts.scheme not in _ALLOWED_SCHEMES or not parts.hostname:
        raise BadRequestError("bad url (not http/https)", url=url)
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def redirect_target(current: str, location: str) -> str:
    """The absolute URL a ``Location`` header sends ``current`` to; a malformed one is refused.

    Raises:
        BadRequestError: "bad url (...)" for a Location no request can be made to.
    """
    try:
        target = urljoin(current, location)
    except ValueError as exc:
        raise BadRequestError(f"bad url (redirect Location: {exc})", url=current) from exc
    split_host(target)
    return target


class NetworkGuard:
    """Resolves each host once and refuses it when any of its addresses is not public.

    Checking every address (not just the first) stops a name that resolves to both a public and
    a private address. The small window between our lookup and httpx's own (DNS rebinding) is a
    known limit; run workers behind an egress firewall when that matters.
    """

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}

    async def check(self, url: str) -> None:
        """Raise :class:`PolicyError` if ``url`` targets a non-public address."""
        host, port = split_host(url)
        if self.allow_private:
            return
        if host not in self._verdicts:
            self._verdicts[host] = await self._refusal(url, host, port)
        refusal = self._verdicts[host]
        if refusal is not None:
            raise PolicyError(refusal, url=url)

    async def _refusal(self, url: str, host: str, port: int) -> str | None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise NetworkError(f"dns failure ({exc.strerror or exc})", url=url) from exc
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                return f"private network address refused ({address}); {PRIVATE_NETWORK_HINT}"
        return None


class HostSlots:
    """At most ``limit`` requests at once to any one host: the per-host politeness limit."""

    def __init__(self, limit: int) -> None:
        self._slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(limit)
        )

    def slot(self, url: str) -> asyncio.Semaphore:
        """The semaphore of ``url``'s host; raises :class:`BadRequestError` for a bad URL."""
        host, _ = split_host(url)
        return self._slots[host]
