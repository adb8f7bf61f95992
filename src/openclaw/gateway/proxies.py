"""The client's address behind a load balancer: ``gateway.trustedProxies``.

The address that failed logins are counted against (see :mod:`.auth`) is the TCP peer, unless the
peer is a trusted proxy (an IP or CIDR listed in ``gateway.trustedProxies``). Then the
``X-Forwarded-For`` chain is read from the right (the hop nearest to us) and the first address that
is *not* a trusted proxy is the client; hops a client wrote itself (further left) are never
believed, because only trusted proxies vouch for what they append. If every hop is trusted, the
leftmost is the client. A malformed hop ends the walk at the last address known to be good.

``X-Forwarded-For`` from a peer that is not trusted is ignored: anyone could otherwise pick the
address their failures are counted against and never be locked out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from ..errors import ConfigError

__all__ = ["ClientAddress", "parse_networks"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: Iterable[str], where: str = "gateway.trustedProxies") -> tuple[_Network, ...]:
    """IPs and CIDRs (``10.0.0.0/8``, ``127.0.0.1``, ``::1``); a bad entry is a ConfigError."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f'{where}: "{entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8).'
            ) from None
    return tuple(networks)


def _address(text: str) -> _Address | None:
    """An address from a peer or a forwarded hop (``[::1]:8080`` and ``1.2.3.4:5`` forms too)."""
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address


class ClientAddress:
    """``resolve(peer, forwarded_for)`` -> the address failures are counted against."""

    def __init__(self, trusted: Sequence[str] = ()) -> None:
        self._networks = parse_networks(trusted)
        self.enabled = bool(self._networks)  # no trusted proxies: the peer, no header read

    def _trusted(self, address: _Address) -> bool:
        return any(address in network for network in self._networks)

    def resolve(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """``forwarded_for``: every ``X-Forwarded-For`` header value, in order."""
        if not self.enabled or not forwarded_for or not peer:
            return peer or "unknown"  # the common case costs nothing
        current = _address(peer)
        if current is None or not self._trusted(current):
            return peer
        hops = [hop for value in forwarded_for for hop in value.split(",")]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # malformed: trust nothing further left
            current = address
            if not self._trusted(address):
                break
        return str(current)
