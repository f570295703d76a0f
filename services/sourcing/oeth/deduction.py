"""The OETH deduction for purchases from EA, ESAT and disabled self-employed workers (TIH):
30 % of each contract's labour cost, capped by a share of the gross contribution.

Pure functions on integer cents, so that every figure can be checked by hand to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

DEDUCTIBLE_SHARE = Decimal("0.30")
# The cap depends on the employer's disability-employment rate: below 3 %, or from 3 % on.
RATE_THRESHOLD = Decimal("3")
LOW_RATE_CAP = Decimal("0.50")
HIGH_RATE_CAP = Decimal("0.75")


class LabourSource(StrEnum):
    ATTESTATION = "attestation"
    ESTIMATE = "estimate"


def share_of(cents: int, share: Decimal) -> int:
    """`share` of an amount in cents, rounded half up to the cent."""
    return int((Decimal(cents) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Contract:
    """A contract with a supplier that opens the deduction: its amount excl. VAT and, when the
    supplier attested it, its labour cost."""

    amount_cents: int
    attested_labour_cents: int | None = None


@dataclass(frozen=True)
class ContractDeduction:
    labour_cents: int
    source: LabourSource
    deductible_cents: int


def labour_cost(contract: Contract, labour_share: Decimal) -> tuple[int, LabourSource]:
    """The attested labour cost, else the amount × the buyer's labour share (an estimate); a
    credit note (negative amount) never makes a negative labour cost."""
    if contract.attested_labour_cents is not None:
        return max(0, contract.attested_labour_cents), LabourSource.ATTESTATION
    return max(0, share_of(contract.amount_cents, labour_share)), LabourSource.ESTIMATE


def contract_deduction(contract: Contract, labour_share: Decimal) -> ContractDeduction:
    labour, source = labour_cost(contract, labour_share)
    return ContractDeduction(labour, source, share_of(labour, DEDUCTIBLE_SHARE))


def cap_share(rate: Decimal | None) -> Decimal | None:
    """50 % of the gross contribution below a 3 % rate, 75 % from 3 %; unknown without a rate."""
    if rate is None:
        return None
    return LOW_RATE_CAP if rate < RATE_THRESHOLD else HIGH_RATE_CAP


@dataclass(frozen=True)
class Deduction:
    contracts: list[ContractDeduction]
    labour_cents: int
    deductible_cents: int
    cap_share: Decimal | None
    cap_cents: int | None
    # None while the cap is unknown (no rate or no gross contribution): it cannot be applied.
    deduction_cents: int | None
    capped: bool
    contribution_after_cents: int | None
    estimated: bool


def deduction(
    contracts: Sequence[Contract],
    labour_share: Decimal,
    rate: Decimal | None,
    gross_contribution_cents: int | None,
) -> Deduction:
    """The deduction of a year: each contract's 30 %, summed, then capped."""
    lines = [contract_deduction(c, labour_share) for c in contracts]
    labour = sum(line.labour_cents for line in lines)
    deductible = sum(line.deductible_cents for line in lines)
    share = cap_share(rate)
    cap = (
        share_of(gross_contribution_cents, share)
        if share is not None and gross_contribution_cents is not None
        else None
    )
    amount = min(deductible, cap) if cap is not None else None
    return Deduction(
        contracts=lines,
        labour_cents=labour,
        deductible_cents=deductible,
        cap_share=share,
        cap_cents=cap,
        deduction_cents=amount,
        capped=cap is not None and deductible > cap,
        contribution_after_cents=(
            gross_contribution_cents - amount
            if amount is not None and gross_contribution_cents is not None
            else None
        ),
        estimated=any(line.source == LabourSource.ESTIMATE for line in lines),
    )
