"""``gateway.trustedProxies``: behind a load balancer, failed logins are counted against the
address it forwards in X-Forwarded-For; from any other peer that header is ignored."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from openclaw.errors import ConfigError
from openclaw.gateway.proxies import ClientAddress
from openclaw.gateway.settings import GatewaySettings
from openclaw.testing import FakeUpstream
from test_gateway_support import GatewayHarness, running_gateway

LB = ["10.0.0.0/8", "127.0.0.1"]


def test_no_trusted_proxies_means_the_peer() -> None:
    clients = ClientAddress()
    assert not clients.enabled
    assert clients.resolve("127.0.0.1", ["6.6.6.6"]) == "127.0.0.1"
    assert clients.resolve(None, ["6.6.6.6"]) == "unknown"


def test_untrusted_peer_cannot_choose_its_address() -> None:
    assert ClientAddress(LB).resolve("203.0.113.9", ["6.6.6.6"]) == "203.0.113.9"


def test_rightmost_untrusted_hop_is_the_client() -> None:
    clients = ClientAddress(LB)
    assert clients.resolve("10.1.2.3", ["198.51.100.7"]) == "198.51.100.7"
    # the client wrote "6.6.6.6" itself; our balancer appended the address it saw
    assert clients.resolve("10.1.2.3", ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7"
    assert clients.resolve("10.1.2.3", ["6.6.6.6, 198.51.100.7, 10.9.9.9"]) == "198.51.100.7"
    assert clients.resolve("10.1.2.3", ["6.6.6.6", "198.51.100.7"]) == "198.51.100.7"  # two headers
    assert clients.resolve("10.1.2.3", ["10.0.0.5, 10.0.0.4"]) == "10.0.0.5"  # all trusted: leftmost
    assert clients.resolve("10.1.2.3", ["garbage, 10.0.0.4"]) == "10.0.0.4"  # malformed: stop there
    assert clients.resolve("10.1.2.3", ["[2001:db8::1]:443"]) == "2001:db8::1"
    assert clients.resolve("::ffff:10.1.2.3", ["198.51.100.7:5000"]) == "198.51.100.7"
    assert clients.resolve("10.1.2.3", []) == "10.1.2.3"


def test_bad_entries_fail_at_start_up() -> None:
    from openclaw.config.schema import GatewaySection

    with pytest.raises(ConfigError, match="not-an-ip"):
        GatewaySettings.build(GatewaySection(trusted_proxies=["not-an-ip"]), {"OPENCLAW_GATEWAY_TOKEN": "t"})
    built = GatewaySettings.build(GatewaySection(trusted_proxies=LB), {"OPENCLAW_GATEWAY_TOKEN": "t"})
    assert built.trusted_proxies == tuple(LB)


async def _failures_until_locked(gw: GatewayHarness, forwarded: str) -> int:
    """Bad logins sent with this X-Forwarded-For until the gateway answers 429 (max 10)."""
    headers = {"Authorization": "Bearer wrong", "X-Forwarded-For": forwarded}
    async with aiohttp.ClientSession() as session:
        for sent in range(1, 11):
            async with session.get(gw.url + "/v1/models", headers=headers) as r:
                if r.status == 429:
                    return sent
                assert r.status == 401
    return 0


async def test_lockout_follows_the_forwarded_address(home: Path, upstream: FakeUpstream) -> None:
    extra = {"gateway": {"trustedProxies": ["127.0.0.1/32"]}}
    async with running_gateway(home, upstream, extra) as gw:
        assert await _failures_until_locked(gw, "198.51.100.7") == 6  # maxFailures 5, then locked
        # another client behind the same balancer is not locked out with it
        async with aiohttp.ClientSession() as session:
            headers = {**gw.auth(), "X-Forwarded-For": "198.51.100.8"}
            async with session.get(gw.url + "/v1/models", headers=headers) as r:
                assert r.status == 200
            headers = {**gw.auth(), "X-Forwarded-For": "198.51.100.7"}
            async with session.get(gw.url + "/v1/models", headers=headers) as r:
                assert r.status == 429


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(home: Path, upstream: FakeUpstream) -> None:
    extra = {"gateway": {"trustedProxies": ["10.0.0.0/8"]}}
    async with running_gateway(home, upstream, extra) as gw:
        assert await _failures_until_locked(gw, "198.51.100.7") == 6
        async with aiohttp.ClientSession() as session:  # a new forwarded address changes nothing
            headers = {**gw.auth(), "X-Forwarded-For": "198.51.100.8"}
            async with session.get(gw.url + "/v1/models", headers=headers) as r:
                assert r.status == 429
