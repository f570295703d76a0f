"""Behind a trusted proxy (the website, a load balancer) the visitor's address counts, and only
there: a client cannot choose its address by sending X-Forwarded-For itself."""

from __future__ import annotations

from starlette.types import Scope

from services.gateway.quota_middleware import client_address


def scope(peer: str, forwarded: str | None = None) -> Scope:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 5000), "headers": headers}


def test_without_trusted_proxies_the_peer_counts() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), ["127.0.0.1"]) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_visitor_counts() -> None:
    assert client_address(scope("127.0.0.1", "198.51.100.1"), ["127.0.0.1"]) == "198.51.100.1"


def test_a_chain_of_proxies_in_a_trusted_network() -> None:
    forwarded = "10.9.9.9, 198.51.100.7, 172.28.0.5"
    trusted = ["172.28.0.0/16"]
    # The nearest address that is not a trusted proxy: what the client prepended is ignored.
    assert client_address(scope("172.28.0.3", forwarded), trusted) == "198.51.100.7"


def test_a_trusted_proxy_without_the_header_counts_itself() -> None:
    assert client_address(scope("127.0.0.1"), ["127.0.0.1"]) == "127.0.0.1"
