"""What a purchase project may name — kinds of contract, procedures, kinds of buyer, legal
options, reasons for not including a social consideration — with the French labels users read."""

from __future__ import annotations

from enum import StrEnum

from services.domain.reservations import Reservation
from services.sourcing.market import law


class BuyerKind(StrEnum):
    ETAT = "etat"
    COLLECTIVITE = "collectivite"
    ETABLISSEMENT_PUBLIC = "etablissement_public"
    ENTITE_ADJUDICATRICE = "entite_adjudicatrice"
    ENTREPRISE = "entreprise"


BUYER_KIND_LABELS = {
    BuyerKind.ETAT: "État et ses établissements publics administratifs",
    BuyerKind.COLLECTIVITE: "Collectivité territoriale",
    BuyerKind.ETABLISSEMENT_PUBLIC: "Établissement public (hôpital, bailleur social…)",
    BuyerKind.ENTITE_ADJUDICATRICE: "Entité adjudicatrice (réseaux : eau, énergie, transports)",
    BuyerKind.ENTREPRISE: "Entreprise privée (hors Code de la commande publique)",
}


class ContractKind(StrEnum):
    SERVICES = "services"
    FOURNITURES = "fournitures"
    TRAVAUX = "travaux"


CONTRACT_KIND_LABELS = {
    ContractKind.SERVICES: "Services",
    ContractKind.FOURNITURES: "Fournitures",
    ContractKind.TRAVAUX: "Travaux",
}


class Procedure(StrEnum):
    ADAPTEE = "procedure_adaptee"
    AO_OUVERT = "appel_offres_ouvert"
    AO_RESTREINT = "appel_offres_restreint"
    NEGOCIATION = "procedure_avec_negociation"
    DIALOGUE = "dialogue_competitif"
    AUTRE = "autre"


PROCEDURE_LABELS = {
    Procedure.ADAPTEE: "Procédure adaptée (MAPA)",
    Procedure.AO_OUVERT: "Appel d'offres ouvert",
    Procedure.AO_RESTREINT: "Appel d'offres restreint",
    Procedure.NEGOCIATION: "Procédure avec négociation",
    Procedure.DIALOGUE: "Dialogue compétitif",
    Procedure.AUTRE: "Autre procédure",
}


class OptionCode(StrEnum):
    RESERVE_DISABILITY = "reserve_L2113_12"
    RESERVE_INSERTION = "reserve_L2113_13"
    CLAUSE = "clause_L2112_2"
    CRITERION = "criterion_L2152_7"
    NONE = "none"


# The reservation each reserving option makes.
RESERVATIONS = {
    OptionCode.RESERVE_DISABILITY: Reservation.DISABILITY,
    OptionCode.RESERVE_INSERTION: Reservation.INSERTION,
}
OPTION_ARTICLES = {
    OptionCode.RESERVE_DISABILITY: law.RESERVATION_DISABILITY["article"],
    OptionCode.RESERVE_INSERTION: law.RESERVATION_INSERTION["article"],
    OptionCode.CLAUSE: law.SOCIAL_CLAUSE["article"],
    OptionCode.CRITERION: law.SOCIAL_CRITERION["article"],
    OptionCode.NONE: "",
}
OPTION_LABELS = {
    OptionCode.RESERVE_DISABILITY: law.RESERVATION_DISABILITY["label"],
    OptionCode.RESERVE_INSERTION: law.RESERVATION_INSERTION["label"],
    OptionCode.CLAUSE: law.SOCIAL_CLAUSE["label"],
    OptionCode.CRITERION: law.SOCIAL_CRITERION["label"],
    OptionCode.NONE: "Aucune considération sociale",
}
OPTION_REQUIRES = {
    OptionCode.RESERVE_DISABILITY: (
        "Réserver le marché ou un lot aux entreprises adaptées (EA, EATT), aux ESAT et structures "
        "équivalentes ; au moins 50 % de travailleurs handicapés (R2113-7) ; mentionner la "
        "réservation et l'article L2113-12 dans l'avis de publicité."
    ),
    OptionCode.RESERVE_INSERTION: (
        "Réserver le marché ou un lot aux SIAE (EI, AI, ACI, ETTI, EITI) et structures "
        "équivalentes ; au moins 50 % de personnes défavorisées (R2113-7) ; mentionner la "
        "réservation et l'article L2113-13 dans l'avis de publicité."
    ),
    OptionCode.CLAUSE: (
        "Inscrire dans le cahier des charges une condition d'exécution en lien avec l'objet du "
        "marché : un nombre d'heures d'insertion à réaliser, dimensionné avec le calculateur, et "
        "son suivi (facilitateur, justificatifs) pendant l'exécution."
    ),
    OptionCode.CRITERION: (
        "Annoncer dans les documents de la consultation un critère d'attribution lié à l'objet "
        "du marché (performance en matière d'insertion, R2152-7), sa pondération et la façon "
        "dont les offres seront notées."
    ),
    OptionCode.NONE: (
        "Aucune démarche ; quand une considération sociale est attendue (loi Climat et "
        "Résilience ou seuil d'heures de l'organisation), une justification documentée est "
        "obligatoire et figure au bilan de l'organisation."
    ),
}


class JustificationReason(StrEnum):
    NO_INCLUSIVE_OFFER = "absence_offre_inclusive"
    INTELLECTUAL = "prestation_intellectuelle_ou_technique"
    TOO_SHORT = "duree_trop_courte"
    URGENCY = "urgence"
    LOW_LABOUR = "part_main_oeuvre_faible"
    SUBSEQUENT = "marche_subsequent_ou_reconduction"
    OTHER = "autre"


JUSTIFICATION_LABELS = {
    JustificationReason.NO_INCLUSIVE_OFFER: "Absence d'offre inclusive sur le territoire",
    JustificationReason.INTELLECTUAL: "Prestation intellectuelle ou hautement technique",
    JustificationReason.TOO_SHORT: "Durée d'exécution trop courte",
    JustificationReason.URGENCY: "Urgence",
    JustificationReason.LOW_LABOUR: "Part de main-d'œuvre trop faible",
    JustificationReason.SUBSEQUENT: "Marché subséquent ou reconduction d'un marché existant",
    JustificationReason.OTHER: "Autre motif",
}
JUSTIFICATION_HELP = {
    JustificationReason.NO_INCLUSIVE_OFFER: (
        "Citez le sourcing mené (profondeur de marché, structures interrogées, dates)."
    ),
    JustificationReason.INTELLECTUAL: (
        "Expliquez pourquoi aucune tâche du marché ne peut être confiée à des personnes en insertion."
    ),
    JustificationReason.TOO_SHORT: "Indiquez la durée et pourquoi un parcours d'insertion n'y tient pas.",
    JustificationReason.URGENCY: "Décrivez l'urgence et sa cause, avec les dates.",
    JustificationReason.LOW_LABOUR: "Donnez la part de main-d'œuvre estimée et sa source.",
    JustificationReason.SUBSEQUENT: (
        "Citez l'accord-cadre ou le marché reconduit et ses considérations sociales."
    ),
    JustificationReason.OTHER: "Expliquez le motif en détail.",
}
# A justification's text says enough to be read by someone else, later.
MIN_JUSTIFICATION_CHARS = 20

HOURS_DEFAULTS = {"labour_share_percent": 50, "insertion_rate_percent": 5, "hourly_cost_eur": 30}

# Loi Climat et Résilience: European thresholds 2026–2027, € HT, per kind of buyer.
_THRESHOLDS = law.EUROPEAN_THRESHOLDS_2026_2027
SUPPLIES_AND_SERVICES_THRESHOLDS = {
    BuyerKind.ETAT: _THRESHOLDS["fournitures_et_services_etat"],
    BuyerKind.COLLECTIVITE: _THRESHOLDS["fournitures_et_services_autres_acheteurs"],
    BuyerKind.ETABLISSEMENT_PUBLIC: _THRESHOLDS["fournitures_et_services_autres_acheteurs"],
    BuyerKind.ENTITE_ADJUDICATRICE: _THRESHOLDS["fournitures_et_services_entites_adjudicatrices"],
}
WORKS_THRESHOLD = _THRESHOLDS["travaux"]


def climate_threshold(buyer_kind: BuyerKind, contract_kind: ContractKind) -> int | None:
    """The European threshold from which the law asks social considerations, or None when the
    buyer is not subject to it (a private company)."""
    if buyer_kind == BuyerKind.ENTREPRISE:
        return None
    if contract_kind == ContractKind.TRAVAUX:
        return WORKS_THRESHOLD
    return SUPPLIES_AND_SERVICES_THRESHOLDS[buyer_kind]


def vocabulary() -> dict[str, object]:
    return {
        "contract_kinds": [{"code": k, "label": v} for k, v in CONTRACT_KIND_LABELS.items()],
        "procedures": [{"code": k, "label": v} for k, v in PROCEDURE_LABELS.items()],
        "buyer_kinds": [{"code": k, "label": v} for k, v in BUYER_KIND_LABELS.items()],
        "option_codes": [
            {"code": c, "article": OPTION_ARTICLES[c], "label": OPTION_LABELS[c]}
            for c in OptionCode
        ],
        "justification_reasons": [
            {"code": r, "label": JUSTIFICATION_LABELS[r], "help": JUSTIFICATION_HELP[r]}
            for r in JustificationReason
        ],
        "hours_defaults": HOURS_DEFAULTS,
        "climate_thresholds": {
            "period": "2026-2027",
            "text": law.CLIMATE_LAW["text"],
            "by_buyer_kind": [
                {
                    "buyer_kind": b,
                    "subject": b != BuyerKind.ENTREPRISE,
                    "threshold_eur": {c: climate_threshold(b, c) for c in ContractKind},
                }
                for b in BuyerKind
            ],
        },
    }
