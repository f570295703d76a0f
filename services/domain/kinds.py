"""The vocabulary of inclusive suppliers: the ten kinds, their families, the kinds of service."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    EI = "EI"
    AI = "AI"
    ACI = "ACI"
    ETTI = "ETTI"
    EITI = "EITI"
    GEIQ = "GEIQ"
    SEP = "SEP"
    EA = "EA"
    EATT = "EATT"
    ESAT = "ESAT"


class Family(StrEnum):
    INSERTION = "insertion"
    HANDICAP = "handicap"


class PrestaType(StrEnum):
    DISP = "DISP"
    PREST = "PREST"
    BUILD = "BUILD"


KIND_LABELS: dict[Kind, str] = {
    Kind.EI: "Entreprise d'insertion",
    Kind.AI: "Association intermédiaire",
    Kind.ACI: "Atelier et chantier d'insertion",
    Kind.ETTI: "Entreprise de travail temporaire d'insertion",
    Kind.EITI: "Entreprise d'insertion par le travail indépendant",
    Kind.GEIQ: "Groupement d'employeurs pour l'insertion et la qualification",
    Kind.SEP: "Produits et services réalisés en prison",
    Kind.EA: "Entreprise adaptée",
    Kind.EATT: "Entreprise adaptée de travail temporaire",
    Kind.ESAT: "Établissement et service d'aide par le travail",
}

FAMILY_LABELS: dict[Family, str] = {
    Family.INSERTION: "Insertion",
    Family.HANDICAP: "Handicap",
}

PRESTA_TYPE_LABELS: dict[PrestaType, str] = {
    PrestaType.DISP: "Mise à disposition / intérim",
    PrestaType.PREST: "Prestation de service",
    PrestaType.BUILD: "Fabrication et commercialisation de biens",
}

HANDICAP_KINDS = frozenset({Kind.EA, Kind.EATT, Kind.ESAT})
# Structures of insertion by economic activity proper (the SIAE of the Code du travail).
SIAE_KINDS = frozenset({Kind.EI, Kind.AI, Kind.ACI, Kind.ETTI, Kind.EITI})


def family_of(kind: Kind) -> Family:
    return Family.HANDICAP if kind in HANDICAP_KINDS else Family.INSERTION
