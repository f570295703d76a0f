"""The estimate of an employer's gross OETH contribution from the published rules of a year:
the obligation (6 % of the headcount, rounded down), the beneficiaries missing, a coefficient
by the company's size, and the hourly minimum wage (SMIC) of the year.

A year whose rules are not recorded here gets no figure but a French explanation: the tool
never guesses a minimum wage.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

OBLIGATION_SHARE = Decimal("0.06")
SUBJECT_FROM = Decimal(20)


@dataclass(frozen=True)
class SizeBand:
    low: int
    below: int | None
    coefficient: int

    @property
    def label(self) -> str:
        if self.below is None:
            return f"de {self.low} salariés et plus"
        return f"de {self.low} à moins de {self.below} salariés"


# The coefficient applied to the SMIC for each beneficiary missing, by the employer's headcount
# (Code du travail D5212-20: from 20 to under 250, from 250 to under 750, 750 and more).
SIZE_BANDS = (
    SizeBand(20, 250, 400),
    SizeBand(250, 750, 500),
    SizeBand(750, None, 600),
)


@dataclass(frozen=True)
class YearRules:
    year: int
    # The gross hourly SMIC in force on 31 December of the year the contribution is due for.
    smic_hourly_cents: int
    smic_in_force_since: str


RULES: dict[int, YearRules] = {
    rules.year: rules
    for rules in (
        # Décret n° 2024-951 du 23 octobre 2024; no revaluation on 1 January 2025.
        YearRules(2024, 1188, "1er novembre 2024"),
        YearRules(2025, 1188, "1er novembre 2024"),
    )
}


@dataclass(frozen=True)
class Estimate:
    year: int
    status: str  # "estimated" or "missing"
    explanation: str
    gross_cents: int | None = None
    rules_year: int | None = None
    headcount: Decimal | None = None
    beneficiaries: Decimal | None = None
    obligation: int | None = None
    missing: Decimal | None = None
    coefficient: int | None = None
    band: str | None = None
    smic_hourly_cents: int | None = None
    formula: str | None = None


def band_of(headcount: Decimal) -> SizeBand:
    return next(b for b in reversed(SIZE_BANDS) if headcount >= b.low)


def _euros(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}".replace(".", ",") + " €"


def _count(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def estimate(year: int, headcount: Decimal | None, beneficiaries: Decimal | None) -> Estimate:
    """The gross contribution of `year` by the rules of that year, or why there is none."""
    rules = RULES.get(year)
    if rules is None:
        known = ", ".join(str(y) for y in sorted(RULES))
        return Estimate(
            year,
            "missing",
            f"Les règles de l'année {year} (SMIC horaire au 31 décembre) ne sont pas "
            f"enregistrées dans l'outil (années connues : {known}) : saisissez la contribution "
            "brute de votre déclaration.",
        )
    if headcount is None:
        return Estimate(
            year, "missing", "Saisissez votre effectif d'assujettissement pour l'estimer."
        )
    if headcount < SUBJECT_FROM:
        return Estimate(
            year,
            "missing",
            "Moins de 20 salariés : l'entreprise ne doit pas de contribution au titre de "
            "l'obligation d'emploi.",
            rules_year=rules.year,
            headcount=headcount,
        )
    present = beneficiaries if beneficiaries is not None else Decimal(0)
    obligation = int((headcount * OBLIGATION_SHARE).to_integral_value(rounding=ROUND_DOWN))
    missing = max(Decimal(0), Decimal(obligation) - present)
    band = band_of(headcount)
    gross = int(
        (missing * band.coefficient * rules.smic_hourly_cents).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    formula = (
        f"obligation = 6 % × {_count(headcount)} salariés, arrondi à l'entier inférieur = "
        f"{obligation} ; manquants = {obligation} − {_count(present)} = {_count(missing)} ; "
        f"contribution brute = {_count(missing)} × {band.coefficient} × {_euros(rules.smic_hourly_cents)} "
        f"(SMIC horaire brut en vigueur au 31 décembre {rules.year}, depuis le "
        f"{rules.smic_in_force_since}) = {_euros(gross)}"
    )
    return Estimate(
        year,
        "estimated",
        f"Estimation selon les règles de {rules.year} : coefficient {band.coefficient} pour "
        f"une entreprise {band.label}.",
        gross_cents=gross,
        rules_year=rules.year,
        headcount=headcount,
        beneficiaries=present,
        obligation=obligation,
        missing=missing,
        coefficient=band.coefficient,
        band=band.label,
        smic_hourly_cents=rules.smic_hourly_cents,
        formula=formula,
    )
