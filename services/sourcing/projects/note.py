"""The sourcing note of a purchase project: the PDF a buyer attaches to its procurement file.

It says what was bought, what the market of inclusive suppliers looked like and when, which
legal options were open and what each requires, the insertion hours, whether the loi Climat et
Résilience applies, and what the buyer decided and why. Built from the project's JSON view
(GET /v1/projects/{id}) alone, so the note shows exactly what the buyer read on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.common.pdf import (
    FRENCH_TIME,
    Column,
    Document,
    euros,
    french_date,
    french_datetime,
    number,
    percent,
)
from services.domain.kinds import FAMILY_LABELS, KIND_LABELS, Family, Kind

PLACE_LEVELS = {"departement": "Département", "commune": "Commune", "region": "Région"}
STATUS_LABELS = {
    "draft": "En préparation (aucune décision)",
    "decided": "Décision enregistrée",
    "awarded": "Attribué",
}
METHOD = (
    "Les structures éligibles sont celles de l'annuaire dont une activité déclarée couvre le "
    "domaine du besoin (secteurs, ou secteurs correspondant aux codes CPV) et le lieu "
    "d'exécution. Les structures des types retenus implantées sur le territoire qui n'ont encore "
    "déclaré aucune activité sont comptées à part : ce qu'elles vendent n'est pas connu. Une "
    "réservation (L2113-12, L2113-13) est présentée comme disponible à partir de 3 structures "
    "éligibles, en deçà de quoi elle risque l'infructuosité. Les heures d'insertion sont "
    "estimées par : montant × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé."
)


def _text(value: Any, default: str = "—") -> str:
    if value is None or value == "" or value == []:
        return default
    return str(value)


def _kind_label(code: str) -> str:
    try:
        return f"{code} — {KIND_LABELS[Kind(code)]}"
    except ValueError:
        return code


def _family_label(code: str) -> str:
    try:
        return FAMILY_LABELS[Family(code)]
    except ValueError:
        return code


def _counts(counts: Mapping[str, Any], label: Any) -> list[list[str]]:
    return [
        [label(code), number(n)]
        for code, n in sorted(counts.items(), key=lambda item: (-int(item[1]), item[0]))
    ]


def _identity(organisation: Mapping[str, Any]) -> str:
    if organisation.get("siret"):
        siret = str(organisation["siret"])
        return f"SIRET {siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    if organisation.get("siren"):
        siren = str(organisation["siren"])
        return f"SIREN {siren[:3]} {siren[3:6]} {siren[6:]}"
    return "—"


def _header(doc: Document, view: Mapping[str, Any], today: datetime) -> None:
    organisation = view.get("organisation") or {}
    doc.title("Note de sourcing", _text(view.get("title"), "Projet d'achat"))
    doc.key_values(
        [
            ("Acheteur", _text(organisation.get("name"))),
            ("Identifiant", _identity(organisation)),
            ("Type d'acheteur", _text(organisation.get("buyer_kind_label"))),
            ("Projet", f"n° {_text(view.get('id'))}"),
            (
                "État du projet",
                STATUS_LABELS.get(str(view.get("status")), _text(view.get("status"))),
            ),
            ("Date de la note", french_date(today)),
        ]
        + ([("Besoin déposé", f"n° {view['need_id']}")] if view.get("need_id") else [])
    )


def _need(doc: Document, view: Mapping[str, Any]) -> None:
    doc.heading("1. Le besoin")
    place = view.get("place") or {}
    amount = view.get("estimated_amount_eur")
    cpv = view.get("cpv") or []
    sectors = view.get("sector_labels") or view.get("sectors") or []
    pairs = [
        ("Codes CPV", ", ".join(cpv) or "—"),
        ("Secteurs", "\n".join(sectors) or "—"),
        (
            "Lieu d'exécution",
            f"{PLACE_LEVELS.get(str(place.get('level')), 'Lieu')} : "
            f"{_text(place.get('label') or place.get('code'))}",
        ),
        ("Nature du marché", _text(view.get("contract_kind_label") or view.get("contract_kind"))),
        ("Montant estimé", euros(amount, "HT") if amount is not None else "—"),
        ("Durée", f"{view['duration_months']} mois" if view.get("duration_months") else "—"),
        ("Procédure envisagée", _text(view.get("procedure_label") or view.get("procedure"))),
    ]
    awarded_on = view.get("awarded_on")
    if awarded_on:
        pairs.append(("Attribué le", french_date(awarded_on)))
    doc.key_values(pairs)
    doc.heading("Objet du marché", level=2)
    doc.paragraph(_text(view.get("object"), "Objet non renseigné."))
    lots = view.get("lots") or []
    doc.heading("Allotissement", level=2)
    if not lots:
        doc.paragraph("Marché non alloti.", muted=True)
        return
    doc.table(
        [
            Column("Lot", 0.5, "RIGHT"),
            Column("Intitulé", 4),
            Column("Montant estimé", 1.4, "RIGHT"),
        ],
        [
            [
                str(lot.get("number", index)),
                _text(lot.get("title")),
                euros(lot["estimated_amount_eur"], "HT")
                if lot.get("estimated_amount_eur") is not None
                else "non estimé",
            ]
            for index, lot in enumerate(lots, start=1)
        ],
    )


def _market(doc: Document, evaluation: Mapping[str, Any]) -> None:
    market = evaluation.get("market") or {}
    evaluated_at = evaluation.get("evaluated_at")
    when = f" au {french_date(evaluated_at)}" if evaluated_at else ""
    doc.heading(f"2. Profondeur du marché{when}")
    if market.get("summary"):
        doc.paragraph(str(market["summary"]))
    doc.key_values(
        [
            ("Fournisseurs inclusifs éligibles", number(market.get("eligible_suppliers") or 0)),
            ("dont implantés sur le territoire", number(market.get("local_suppliers") or 0)),
            (
                "Structures sans activité déclarée",
                f"{number(market.get('undeclared_suppliers') or 0)} (comptées à part : "
                "implantées sur le territoire, leur offre n'est pas encore connue)",
            ),
        ],
        key_width=0.4,
    )
    doc.heading("Fournisseurs éligibles par famille", level=2)
    doc.table(
        [Column("Famille", 4), Column("Structures", 1, "RIGHT")],
        _counts(market.get("by_family") or {}, _family_label),
        empty="Aucun fournisseur inclusif éligible trouvé.",
    )
    doc.heading("Fournisseurs éligibles par type de structure", level=2)
    doc.table(
        [Column("Type de structure", 4), Column("Structures", 1, "RIGHT")],
        _counts(market.get("by_kind") or {}, _kind_label),
        empty="Aucun fournisseur inclusif éligible trouvé.",
    )
    undeclared = market.get("undeclared_by_kind") or {}
    if undeclared:
        doc.heading("Structures sans activité déclarée, par type", level=2)
        doc.table(
            [Column("Type de structure", 4), Column("Structures", 1, "RIGHT")],
            _counts(undeclared, _kind_label),
        )


def _options(doc: Document, evaluation: Mapping[str, Any]) -> None:
    doc.heading("3. Options juridiques")
    options = evaluation.get("options") or []
    doc.table(
        [
            Column("Article", 1.1),
            Column("Option", 2.1),
            Column("Disponible", 1.3),
            Column("Pourquoi", 2.5),
            Column("Ce qu'elle demande", 2.9),
        ],
        [
            [
                _text(option.get("article")),
                _text(option.get("label")),
                ("Oui" if option.get("available") else "Non")
                + (
                    f" ({number(option['eligible_suppliers'])} éligibles)"
                    if option.get("eligible_suppliers") is not None
                    else ""
                ),
                _text(option.get("why")),
                _text(option.get("requires")),
            ]
            for option in options
        ],
        empty="Aucune option évaluée.",
    )


def _hours(doc: Document, view: Mapping[str, Any], evaluation: Mapping[str, Any]) -> None:
    """The calculator's inputs as it echoed them (else the project's parameters), and its
    result, written out the French way."""
    hours = {**(view.get("hours_parameters") or {}), **(evaluation.get("insertion_hours") or {})}
    doc.heading("4. Heures d'insertion")
    amount, share = hours.get("amount_eur"), hours.get("labour_share_percent")
    rate, cost = hours.get("insertion_rate_percent"), hours.get("hourly_cost_eur")
    result = hours.get("hours")
    pairs = []
    if amount is not None:
        pairs.append(("Montant retenu", euros(amount, "HT")))
    if share is not None:
        pairs.append(("Part de main-d'œuvre", percent(share)))
    if rate is not None:
        pairs.append(("Taux d'insertion", percent(rate)))
    if cost is not None:
        pairs.append(("Coût horaire chargé", f"{euros(cost)}/h"))
    if (
        amount is not None
        and share is not None
        and rate is not None
        and cost
        and result is not None
    ):
        pairs.append(
            (
                "Calcul",
                f"{euros(amount)} × {percent(share)} × {percent(rate)} ÷ {euros(cost)}/h "
                f"= {number(result, 1)} h",
            )
        )
    elif hours.get("formula"):
        pairs.append(("Calcul", str(hours["formula"])))
    if result is not None:
        pairs.append(("Heures d'insertion", f"{number(result, 1)} h"))
    doc.key_values(pairs)
    doc.paragraph(
        "Estimation du volume d'heures qu'une clause sociale d'exécution (L2112-2) peut "
        "demander : montant × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé.",
        muted=True,
    )


def _climate(doc: Document, evaluation: Mapping[str, Any]) -> None:
    climate = evaluation.get("climate_law") or {}
    doc.heading("5. Loi Climat et Résilience et considération sociale attendue")
    threshold = climate.get("threshold_eur")
    organisation_threshold = evaluation.get("hours_threshold")
    doc.key_values(
        [
            (
                "Obligation Climat et Résilience",
                "S'applique" if climate.get("applies") else "Ne s'applique pas",
            ),
            ("Seuil européen retenu", euros(threshold, "HT") if threshold else "sans objet"),
            (
                "Seuil d'heures de l'organisation",
                f"{number(organisation_threshold)} h" if organisation_threshold else "aucun",
            ),
            (
                "Considération sociale attendue",
                "Oui" if evaluation.get("social_consideration_expected") else "Non",
            ),
        ],
        key_width=0.4,
    )
    if climate.get("text"):
        doc.paragraph(str(climate["text"]), muted=True)
    because = evaluation.get("expected_because") or []
    if because:
        doc.bullets(str(reason) for reason in because)


def _chosen(decision: Mapping[str, Any]) -> list[list[str]]:
    return [
        [
            _text(option.get("article")),
            _text(option.get("label") or option.get("code")),
            f"Lot {option['lot']}" if option.get("lot") is not None else "Tout le marché",
        ]
        for option in decision.get("options") or []
    ]


def _decision(doc: Document, view: Mapping[str, Any]) -> None:
    doc.heading("6. Décision de l'acheteur")
    decision = view.get("decision")
    if not decision:
        doc.notice("Aucune décision enregistrée à la date de la note.", strong="Décision :")
        return
    doc.notice(_text(decision.get("summary")), strong="Décision :")
    doc.key_values(
        [
            (
                "Décidée le",
                french_datetime(decision["decided_at"]) if decision.get("decided_at") else "—",
            ),
            ("Par", _text(decision.get("decided_by"))),
        ]
    )
    doc.table(
        [Column("Article", 1), Column("Option retenue", 5), Column("Portée", 1.4)],
        _chosen(decision),
        empty="Aucune option enregistrée.",
    )
    justification = decision.get("justification")
    if justification:
        doc.heading("Justification", level=2)
        doc.key_values(
            [
                ("Motif", _text(justification.get("reason_label") or justification.get("reason"))),
                ("Explication", _text(justification.get("text"))),
            ],
            key_width=0.2,
        )
    warnings = decision.get("warnings") or []
    if warnings:
        doc.heading("Avertissements", level=2)
        doc.bullets(str(warning) for warning in warnings)


def _history(doc: Document, view: Mapping[str, Any]) -> None:
    decisions = view.get("decisions") or []
    doc.heading("7. Historique des décisions")
    rows = []
    for decision in decisions:
        justification = decision.get("justification")
        rows.append(
            [
                french_datetime(decision["decided_at"]) if decision.get("decided_at") else "—",
                _text(decision.get("decided_by")),
                _text(decision.get("summary")),
                f"{_text(justification.get('reason_label') or justification.get('reason'))} : "
                f"{_text(justification.get('text'))}"
                if justification
                else "—",
            ]
        )
    doc.table(
        [
            Column("Date", 1.3),
            Column("Par", 2.0),
            Column("Décision", 2.1),
            Column("Justification", 2.6),
        ],
        rows,
        empty="Aucune décision enregistrée.",
    )


def _sources(doc: Document, evaluation: Mapping[str, Any]) -> None:
    doc.heading("8. Sources et méthode")
    sources = evaluation.get("sources") or []
    if sources:
        doc.bullets(str(source) for source in sources)
    doc.paragraph(METHOD, muted=True)
    doc.paragraph(
        "Les chiffres de l'annuaire évoluent à mesure que les structures déclarent leurs "
        "activités : ils valent à la date d'évaluation indiquée ci-dessus.",
        muted=True,
    )


def render_note(view: dict[str, Any], now: datetime | None = None) -> bytes:
    """The sourcing note of a project, as PDF bytes, from its ProjectView JSON."""
    today = now or datetime.now(FRENCH_TIME)
    organisation = view.get("organisation") or {}
    evaluation = view.get("evaluation") or {}
    title = _text(view.get("title"), "Projet d'achat")
    doc = Document(
        title=f"Note de sourcing — {title}",
        author=_text(organisation.get("name"), "Marché inclusif"),
        subject="Note de sourcing d'un projet d'achat : marché inclusif, options juridiques, décision",
        keywords=["note de sourcing", "achat inclusif", "clause sociale", "marché réservé"],
        footer=f"Note de sourcing — projet n° {_text(view.get('id'))}",
        generated_at=today,
    )
    _header(doc, view, today)
    _need(doc, view)
    _market(doc, evaluation)
    _options(doc, evaluation)
    _hours(doc, view, evaluation)
    _climate(doc, evaluation)
    _decision(doc, view)
    _history(doc, view)
    _sources(doc, evaluation)
    return doc.render()
