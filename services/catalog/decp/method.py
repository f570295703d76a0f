"""The published method of the public ranking: categories of buyer, size bands, the order.

Everything the ranking computes reads its parameters from here, and `GET /v1/public-buyers/method`
publishes the same values: what is published is what is applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = "1.1"
PUBLISHED_ON = "2026-11-30"
MIN_CONTRACTS_TO_RANK = 5


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    prefixes: tuple[str, ...]
    rule: str


# Read in this order: the first category whose prefix starts the buyer's SIREN is its category.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "etat",
        "État et établissements publics nationaux",
        ("1",),
        "SIREN commençant par 1",
    ),
    Category(
        "intercommunalite",
        "Intercommunalité ou syndicat",
        ("200", "24", "25"),
        "SIREN commençant par 200, 24 ou 25",
    ),
    Category("commune", "Commune", ("21",), "SIREN commençant par 21"),
    Category("departement", "Département", ("22",), "SIREN commençant par 22"),
    Category("region", "Région", ("23",), "SIREN commençant par 23"),
    Category("sante", "Établissement public de santé", ("26",), "SIREN commençant par 26"),
    Category(
        "autre",
        "Autre acheteur soumis au code de la commande publique",
        ("",),
        "tout autre SIREN (établissements publics locaux, sociétés, associations…)",
    ),
)
CATEGORY_LABELS = {c.code: c.label for c in CATEGORIES}


def category_of(siren: str) -> str:
    for category in CATEGORIES:
        if siren.startswith(category.prefixes):
            return category.code
    return "autre"


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min_contracts: int
    max_contracts: int | None


BANDS: tuple[Band, ...] = (
    Band("1-9", "1 à 9 marchés", 1, 9),
    Band("10-49", "10 à 49 marchés", 10, 49),
    Band("50-199", "50 à 199 marchés", 50, 199),
    Band("200+", "200 marchés et plus", 200, None),
)
BAND_LABELS = {b.code: b.label for b in BANDS}


def band_of(contracts: int) -> str:
    for band in BANDS:
        if contracts >= band.min_contracts and (
            band.max_contracts is None or contracts <= band.max_contracts
        ):
            return band.code
    return BANDS[0].code


def share(part: float, whole: float) -> float:
    """A share rounded to four decimals (0.1234 = 12.34 %), 0 when there is nothing."""
    return round(part / whole, 4) if whole else 0.0


def order_key(row: Any) -> tuple[float, float, int, str]:
    """Social share, then social amount share (both descending), then contracts (descending),
    then SIRET: the order of the ranking; shares compare rounded as published."""
    return (
        -share(row.with_social, row.contracts),
        -share(row.social_amount_eur, row.amount_eur),
        -row.contracts,
        row.siret,
    )


SOCIAL_KINDS = {
    "clause_sociale": "Clause sociale",
    "critere_social": "Critère social",
    "marche_reserve": "Marché réservé",
}

SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "Les données",
        "Les données essentielles de la commande publique (DECP, schéma 2.x, arrêtés du "
        "22 décembre 2022) que chaque acheteur publie pour ses marchés de 40 000 € HT et plus. "
        "Un marché compte l'année de sa date de notification, pour son montant HT notifié ; les "
        "modifications ultérieures ne sont pas lues. Une ligne sans SIRET d'acheteur valide, "
        "sans montant ou sans date de notification lisible est écartée et signalée à l'import.",
    ),
    (
        "Considération sociale",
        "Un marché a une considération sociale s'il déclare une clause sociale, un critère "
        "social ou un marché réservé. La part sociale d'un acheteur est le nombre de ses "
        "marchés avec considération sociale divisé par le nombre de ses marchés de l'année ; la "
        "part sociale en montant fait de même avec les montants.",
    ),
    (
        "Achats inclusifs",
        "Un marché est inclusif si l'un de ses titulaires ou de ses sous-traitants déclarés est "
        "une structure du catalogue (SIAE, EA, ESAT…), reconnue par son SIRET, sinon par son "
        "SIREN (un autre établissement de la même entreprise). Le montant compté est celui du "
        "marché entier ; un marché compte une fois par famille et par type de structure "
        "partenaire.",
    ),
    (
        "Catégorie d'acheteur",
        "La catégorie se déduit de la numérotation du SIREN de l'acheteur (règle indicative : "
        "la numérotation publique n'est pas une nomenclature juridique) : 1 pour l'État et ses "
        "établissements publics nationaux, 21 commune, 22 département, 23 région, 200, 24 ou 25 "
        "intercommunalité ou syndicat, 26 établissement public de santé, sinon autre acheteur.",
    ),
    (
        "Classement",
        "Les acheteurs sont comparés à taille égale, par tranche du nombre de marchés notifiés "
        "dans l'année : le rang d'un acheteur est sa place parmi les acheteurs de sa tranche "
        "(dans la région ou la catégorie choisie, le cas échéant), jamais parmi toutes les "
        "tailles ; le classement se lit tranche par tranche, de la plus grande à la plus petite. "
        f"En dessous de {MIN_CONTRACTS_TO_RANK} marchés, un acheteur est listé sans rang. "
        "L'ordre dans une tranche : part sociale décroissante, puis part sociale en montant, "
        "puis nombre de marchés, puis SIRET. La région d'un acheteur est celle où s'exécutent le plus "
        "de ses marchés de l'année (à égalité, le plus petit code) ; son nom est le dernier "
        "publié, sinon « Acheteur » suivi de son SIRET.",
    ),
)

SOURCES: tuple[str, ...] = (
    "Données essentielles de la commande publique (DECP), fichiers consolidés publiés sur "
    "data.gouv.fr, Licence Ouverte 2.0",
    "Catalogue Marché inclusif : structures d'insertion et du handicap (ASP, FINESS/DREES)",
    "Code officiel géographique de l'INSEE (départements et régions)",
)


def published(last_import: str | None) -> dict[str, Any]:
    sources = list(SOURCES)
    if last_import:
        sources.insert(1, f"Dernier import des DECP : {last_import}")
    return {
        "version": VERSION,
        "published_on": PUBLISHED_ON,
        "sections": [{"title": title, "text": text} for title, text in SECTIONS],
        "categories": [{"code": c.code, "label": c.label, "rule": c.rule} for c in CATEGORIES],
        "bands": [
            {
                "code": b.code,
                "label": b.label,
                "min_contracts": b.min_contracts,
                "max_contracts": b.max_contracts,
            }
            for b in BANDS
        ],
        "min_contracts_to_rank": MIN_CONTRACTS_TO_RANK,
        "sources": sources,
    }
