"""The OETH deduction and the contribution estimate against figures computed by hand, to the
cent: uncapped, capped at 50 % (rate below 3 %) and at 75 % (rate of 3 % or more), attested
labour cost against the estimate, and the estimate of the contribution for two sizes."""

from __future__ import annotations

from decimal import Decimal

from services.sourcing.oeth.contribution import estimate
from services.sourcing.oeth.deduction import Contract, LabourSource, deduction

# Attested: 16 000 € invoiced, 10 000 € of labour. Not attested: 5 000 € and 1 234,57 €.
CONTRACTS = [
    Contract(1_600_000, attested_labour_cents=1_000_000),
    Contract(500_000),
    Contract(123_457),
]
SHARE = Decimal("0.6")
# Labour: 10 000 + 5 000 × 0,6 = 3 000 + 1 234,57 × 0,6 = 740,742 → 740,74 = 13 740,74 €.
LABOUR = 1_374_074
# 30 %: 3 000,00 + 900,00 + 222,22 (740,74 × 0,3 = 222,222) = 4 122,22 €.
DEDUCTIBLE = 412_222


def test_each_contract_gives_30_percent_of_its_labour_cost_attested_or_estimated() -> None:
    result = deduction(CONTRACTS, SHARE, Decimal("2.5"), 10_000_000)
    assert [(c.labour_cents, c.source, c.deductible_cents) for c in result.contracts] == [
        (1_000_000, LabourSource.ATTESTATION, 300_000),
        (300_000, LabourSource.ESTIMATE, 90_000),
        (74_074, LabourSource.ESTIMATE, 22_222),
    ]
    assert (result.labour_cents, result.deductible_cents) == (LABOUR, DEDUCTIBLE)
    assert result.estimated


def test_uncapped_below_3_percent() -> None:
    # Rate 2,5 %: cap 50 % of 100 000 € = 50 000 €, far above 4 122,22 €.
    result = deduction(CONTRACTS, SHARE, Decimal("2.5"), 10_000_000)
    assert result.cap_share == Decimal("0.50") and result.cap_cents == 5_000_000
    assert (result.deduction_cents, result.capped) == (DEDUCTIBLE, False)
    assert result.contribution_after_cents == 10_000_000 - DEDUCTIBLE == 9_587_778


def test_capped_at_50_percent_of_the_gross_contribution_below_3_percent() -> None:
    # Rate 2,99 %, gross 4 321,33 €: cap 2 160,665 → 2 160,67 €; after 2 160,66 €.
    result = deduction(CONTRACTS, SHARE, Decimal("2.99"), 432_133)
    assert result.cap_share == Decimal("0.50")
    assert (result.cap_cents, result.deduction_cents, result.capped) == (216_067, 216_067, True)
    assert result.contribution_after_cents == 216_066


def test_capped_at_75_percent_from_3_percent() -> None:
    # Rate exactly 3 %, same gross: cap 3 240,9975 → 3 241,00 €; after 1 080,33 €.
    result = deduction(CONTRACTS, SHARE, Decimal("3"), 432_133)
    assert result.cap_share == Decimal("0.75")
    assert (result.cap_cents, result.deduction_cents, result.capped) == (324_100, 324_100, True)
    assert result.contribution_after_cents == 108_033
    # With 10 000 € of gross contribution the 75 % cap (7 500 €) leaves 4 122,22 € whole.
    loose = deduction(CONTRACTS, SHARE, Decimal("4.2"), 1_000_000)
    assert (loose.cap_cents, loose.deduction_cents, loose.capped) == (750_000, DEDUCTIBLE, False)


def test_an_attestation_replaces_the_estimate() -> None:
    estimated = deduction([Contract(2_000_000)], Decimal("0.5"), Decimal("1"), 5_000_000)
    attested = deduction(
        [Contract(2_000_000, attested_labour_cents=1_450_050)],
        Decimal("0.5"),
        Decimal("1"),
        5_000_000,
    )
    # 20 000 € × 50 % × 30 % = 3 000 €; attested 14 500,50 € × 30 % = 4 350,15 €.
    assert (estimated.deduction_cents, estimated.estimated) == (300_000, True)
    assert (attested.deduction_cents, attested.estimated) == (435_015, False)


def test_without_rate_or_contribution_the_cap_is_not_applied() -> None:
    no_rate = deduction(CONTRACTS, SHARE, None, 1_000_000)
    assert (no_rate.cap_share, no_rate.cap_cents, no_rate.deduction_cents) == (None, None, None)
    no_gross = deduction(CONTRACTS, SHARE, Decimal("1"), None)
    assert no_gross.cap_share == Decimal("0.50") and no_gross.deduction_cents is None
    assert no_gross.deductible_cents == DEDUCTIBLE and no_gross.contribution_after_cents is None


def test_a_credit_note_never_makes_a_negative_labour_cost() -> None:
    result = deduction([Contract(-50_000), Contract(100_000)], Decimal("0.5"), Decimal("1"), None)
    assert [c.labour_cents for c in result.contracts] == [0, 50_000]
    assert result.deductible_cents == 15_000


def test_contribution_estimate_of_a_company_of_120() -> None:
    # 2025: obligation ⌊6 % × 120⌋ = ⌊7,2⌋ = 7; missing 7 − 3,5 = 3,5;
    # 3,5 × 400 × 11,88 € = 16 632,00 €.
    found = estimate(2025, Decimal(120), Decimal("3.5"))
    assert found.status == "estimated" and found.rules_year == 2025
    assert (found.obligation, found.missing, found.coefficient) == (7, Decimal("3.5"), 400)
    assert found.smic_hourly_cents == 1188
    assert found.gross_cents == 1_663_200
    assert found.formula is not None and "16632,00 €" in found.formula


def test_contribution_estimate_of_a_company_of_800() -> None:
    # 2024: obligation ⌊6 % × 800,5⌋ = ⌊48,03⌋ = 48; missing 48 − 20,25 = 27,75;
    # 27,75 × 600 × 11,88 € = 197 802,00 €.
    found = estimate(2024, Decimal("800.5"), Decimal("20.25"))
    assert (found.obligation, found.missing, found.coefficient) == (48, Decimal("27.75"), 600)
    assert found.gross_cents == 19_780_200
    # 300 employees, nobody employed: ⌊18⌋ × 500 × 11,88 € = 106 920,00 €.
    assert estimate(2025, Decimal(300), None).gross_cents == 10_692_000
    # The bands: under 250 → 400, 250 → 500, 750 → 600.
    assert estimate(2025, Decimal("249.99"), None).coefficient == 400
    assert estimate(2025, Decimal(250), None).coefficient == 500
    assert estimate(2025, Decimal(750), None).coefficient == 600
    # More beneficiaries than required: nothing is due.
    assert estimate(2025, Decimal(100), Decimal(7)).gross_cents == 0


def test_a_year_without_known_rules_or_a_small_company_has_no_estimate() -> None:
    unknown = estimate(2031, Decimal(120), Decimal(1))
    assert unknown.status == "missing" and unknown.gross_cents is None
    assert "2031" in unknown.explanation and "contribution brute" in unknown.explanation
    small = estimate(2025, Decimal(19), Decimal(0))
    assert small.status == "missing" and "Moins de 20 salariés" in small.explanation
    assert estimate(2025, None, None).status == "missing"
