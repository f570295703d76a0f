from __future__ import annotations

import pytest

from services.catalog.imports.identifiers import finess_problem, siret_problem
from tests.support import luhn


@pytest.mark.parametrize(
    "siret",
    ["80746931700018", "75187049400026", "35600000000049"],  # the last: La Poste, fails Luhn
)
def test_valid_sirets(siret: str) -> None:
    assert siret_problem(siret) is None


@pytest.mark.parametrize(
    ("siret", "reason"),
    [
        ("12345678901234", "Luhn"),
        ("8074693170001", "14 chiffres"),
        ("8074693170001A", "14 chiffres"),
        ("80746931700019", "Luhn"),
    ],
)
def test_invalid_sirets(siret: str, reason: str) -> None:
    problem = siret_problem(siret)
    assert problem is not None and reason in problem


def test_la_poste_really_fails_luhn() -> None:
    assert not luhn("35600000000049")


@pytest.mark.parametrize("finess", ["010001261", "2A0002861", "2B0003537", "970100001"])
def test_valid_finess(finess: str) -> None:
    assert finess_problem(finess) is None


@pytest.mark.parametrize("finess", ["01000126", "2C0002861", "A10001261", "0100012610"])
def test_invalid_finess(finess: str) -> None:
    assert finess_problem(finess) is not None
