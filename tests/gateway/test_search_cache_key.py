"""The search cache's key: one search, however it is spelt, has one key; two searches never
share one."""

from __future__ import annotations

import pytest

from services.gateway.search_cache import CachedAnswer, cache_key, canonical_query


@pytest.mark.parametrize(
    "spelt",
    [
        "q=jardin&department=69",
        "department=69&q=jardin",
        "q=jardin&department=69&sort=pertinence&page=1&per_page=20",
        "page=01&q=jardin&department=69",
        "department=69&department=69&q=jardin",
        "q=jardin&department=69&kind=&family=",
        "q=jardin&department=+69+",
    ],
)
def test_one_search_one_key(spelt: str) -> None:
    assert canonical_query(spelt) == "department=69&q=jardin"
    assert cache_key(spelt) == cache_key("q=jardin&department=69")


def test_repeated_and_comma_separated_lists_are_one() -> None:
    assert cache_key("kind=EI&kind=EA") == cache_key("kind=EI,EA") == cache_key("kind=EI,EA,EI")


def test_values_are_read_as_the_service_reads_them() -> None:
    assert canonical_query("qpv=yes&lat=45&lng=4.80&radius_km=010") == canonical_query(
        "qpv=true&lat=45.0&lng=4.8&radius_km=10"
    )
    assert canonical_query("q=") == canonical_query("") == ""


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("q=jardin", "q=Jardin"),
        ("q=jardin", "q=jardin&page=2"),
        ("kind=EI,EA", "kind=EA,EI"),  # a list's order is kept: results explain the first
        ("q=jardin", "q=jardin&inconnu=1"),  # refused by the service, never the valid answer
        ("page=abc", "page=1"),
        ("q=a&q=b", "q=b"),
        ("department=69", "commune=69"),
        ("sort=nom", ""),
    ],
)
def test_different_searches_have_different_keys(one: str, other: str) -> None:
    assert cache_key(one) != cache_key(other)


def test_a_stored_answer_reads_back_whole() -> None:
    answer = CachedAnswer([(b"content-type", b"application/json")], b'{"total": 1}\n{}')
    assert CachedAnswer.decode(answer.encode()) == answer
