"""Text helpers that carry no domain: slugs, and the folding and ranking of place names."""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")
# How people abbreviate place names: « St-Étienne », « Ste Foy ».
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# The months as French dates write them (« 1er décembre 2026 »), January first.
FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
EXACT, PREFIX, WORD_PREFIX = 0, 1, 2


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: « Saint-Étienne » → « saint-etienne »."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


# Place names are folded on every autocompletion: kept, with room for every commune's name.
@lru_cache(maxsize=1 << 17)
def fold(text: str) -> str:
    """A name as it compares: no accents, case, hyphens or apostrophes, « st » read « saint ».
    « St-Étienne », « saint etienne » and « SAINT-ÉTIENNE » all fold to « saint etienne »."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    spaced = "".join(
        char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char)
    )
    words = spaced.encode("ascii", "ignore").decode().split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def name_rank(query: str, name: str) -> int | None:
    """How well a folded `name` answers a folded `query`: _LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
    EXACT, PREFIX (the name starts with
        it), WORD_PREFIX (a later word does), or None."""
    if not query:
        return None
    if name == query:
        return EXACT
    if name.startswith(query):
        return PREFIX
    if f" {query}" in name:
        return WORD_PREFIX
    return None


def rank_by_name(
    query: str, items: Iterable[T], key: Callable[[T], tuple[str, int]], limit: int
) -> list[T]:
    """The `limit` best of `items` for `query`: exact names first, then names starting with it,
    then names with a word starting with it; within each, the most populous first.
    `key` gives an item's folded name and its population."""
    folded = fold(query)
    scored = []
    for position, item in enumerate(items):
        name, population = key(item)
        rank = name_rank(folded, name)
        if rank is not None:
            scored.append((rank, -population, len(name), position, item))
    return [entry[-1] for entry in heapq.nsmallest(limit, scored, key=lambda e: e[:4])]
