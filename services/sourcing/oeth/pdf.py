"""The supplier's yearly attestation as a PDF, in the fields of the regulatory model: who issues
it and to whom, the year, the contracts and the four amounts (price excl. VAT, the costs taken
off, the labour cost, the 30 % deduction before the cap), then who issued it, when, its number.
Built from the attestation's JSON view alone, so the PDF shows what the API answers."""

from __future__ import annotations

from typing import Any

from services.common.pdf import Column, Document, euros, french_date, french_datetime
from services.domain.kinds import KIND_LABELS, Kind

LEGAL_BASIS = (
    "Attestation annuelle prévue par l'article D5212-7 du Code du travail, selon le modèle fixé "
    "par l'arrêté du 19 novembre 2020, pour la déduction de la contribution annuelle au titre "
    "de l'obligation d'emploi des travailleurs handicapés (articles L5212-10-1 et D5212-22)."
)


def _kind(code: str) -> str:
    try:
        return f"{KIND_LABELS[Kind(code)]} ({code})"
    except ValueError:
        return code


def _or_dash(value: Any) -> str:
    return str(value) if value not in (None, "") else "—"


def render_attestation(view: dict[str, Any]) -> bytes:
    """The attestation as PDF bytes, from its AttestationView JSON."""
    structure, client = view["structure"], view["client"]
    year = view["year"]
    amount, labour = float(view["amount_excl_vat_eur"]), float(view["labour_cost_eur"])
    doc = Document(
        title=f"Attestation OETH {year} — {client['name']}",
        author=structure["name"],
        subject="Attestation annuelle de sous-traitance pour la déduction de la contribution OETH",
        keywords=["OETH", "attestation", "entreprise adaptée", "ESAT", str(year)],
        footer=f"Attestation n° {view['number']}",
    )
    doc.title(
        f"Attestation annuelle {year}",
        "Achats auprès d'une entreprise adaptée ou d'un ESAT — déduction de la contribution OETH",
    )
    doc.paragraph(LEGAL_BASIS, muted=True)
    issue = [
        ("Numéro", f"{view['number']} (version {view['version']})"),
        ("Année", str(year)),
        ("Émise le", french_datetime(view["issued_at"])),
        ("Émise par", f"{view['issued_by']}, pour {structure['name']}"),
    ]
    if view.get("replaces"):
        issue.append(("Remplace", f"la version {int(view['version']) - 1} de cette attestation"))
    if view.get("status") == "replaced":
        issue.append(("État", "remplacée par une version plus récente"))
    doc.key_values(issue)
    doc.heading("Le fournisseur")
    doc.key_values(
        [
            ("Raison sociale", structure["name"]),
            ("SIRET", _or_dash(structure.get("siret"))),
            ("Type", _kind(structure["kind"])),
            ("Adresse", _or_dash(structure.get("address"))),
        ]
    )
    doc.heading("L'entreprise cliente")
    doc.key_values(
        [
            ("Raison sociale", client["name"]),
            ("SIREN", client["siren"]),
            ("Adresse", _or_dash(client.get("address"))),
        ]
    )
    doc.heading("Contrats et factures de l'année")
    doc.table(
        [
            Column("Facture / contrat", 1.1),
            Column("Objet", 2.2),
            Column("Date", 1.0),
            Column("Montant HT", 1.1, "RIGHT"),
            Column("Main-d'œuvre", 1.1, "RIGHT"),
        ],
        [
            (
                _or_dash(c.get("reference")),
                c["description"],
                french_date(c["invoiced_on"]) if c.get("invoiced_on") else "—",
                euros(c["amount_excl_vat_eur"]),
                euros(c["labour_cost_eur"]),
            )
            for c in view["contracts"]
        ],
    )
    doc.heading("Montants attestés")
    doc.key_values(
        [
            (
                "Montant 1 — prix hors taxes",
                f"{euros(amount)} : fournitures, travaux ou prestations des contrats réglés "
                f"par l'entreprise cliente au cours de l'année {year}",
            ),
            (
                "Montant 2 — coûts déduits",
                f"{euros(round(amount - labour, 2))} : matières premières, produits, matériaux, "
                "sous-traitance, consommations intermédiaires, frais de vente et de "
                "commercialisation",
            ),
            (
                "Montant 3 — coût de la main-d'œuvre",
                f"{euros(labour)} (montant 1 − montant 2)",
            ),
            (
                "Montant 4 — déduction avant plafonnement",
                f"{euros(view['deductible_eur'])} (30 % du montant 3)",
            ),
        ],
        key_width=0.38,
    )
    doc.notice(
        "L'entreprise cliente applique elle-même le plafond (50 % ou 75 % de sa contribution "
        "brute selon son taux d'emploi, article D5212-22).",
        strong="Plafond :",
    )
    return doc.render()
