"""The folding and ranking of place names both autocompletions use."""

from __future__ import annotations

from services.common.text import EXACT, PREFIX, WORD_PREFIX, fold, name_rank, rank_by_name


def test_fold_reads_names_as_people_type_them() -> None:
    for typed in ("St-Étienne", "saint etienne", "SAINT-ÉTIENNE", "st etienne", "Saint–Etienne"):
        assert fold(typed) == "saint etienne"
    assert fold("Ste-Foy-lès-Lyon") == fold("sainte foy les lyon")
    assert fold("L'Haÿ-les-Roses") == "l hay les roses"
    assert fold("Stains") == "stains"  # a word that only starts like « st » stays itself


def test_rank_exact_then_prefix_then_population() -> None:
    places = [("Bourg-en-Bresse", 41_000), ("Bourg", 2_244), ("Le Bourg", 500), ("Bourges", 64_000)]
    found = rank_by_name("bourg", places, lambda p: (fold(p[0]), p[1]), 10)
    assert [p[0] for p in found] == ["Bourg", "Bourges", "Bourg-en-Bresse", "Le Bourg"]
    assert name_rank("bourg", "bourg") == EXACT
    assert name_rank("bourg", "bourges") == PREFIX
    assert name_rank("bourg", "le bourg") == WORD_PREFIX
    assert name_rank("bourg", "strasbourg") is None
    assert rank_by_name("bourg", places, lambda p: (fold(p[0]), p[1]), 2) == found[:2]


def test_fold_keeps_ligatures_and_every_dash() -> None:
    assert fold("Cœuvres-et-Valsery") == "coeuvres et valsery"
    assert fold("Saint—Denis") == fold("Saint-Denis") == "saint denis"
