"""The RSE summary of a year of spend, as PDF: the figures a CSRD/RSE report quotes (inclusive
share of spend and of suppliers), each breakdown as a table, the years, the categories bought
from no inclusive supplier where some exist, and how it was all computed. Built from the
dashboard's JSON alone, so the summary says exactly what the dashboard shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.common.pdf import FRENCH_TIME, Column, Document, euros, french_date, number, percent

MATCH_METHOD = (
    "Chaque fournisseur du fichier est rapproché de l'annuaire des structures inclusives : par "
    "son SIRET, sinon par son SIREN (un autre établissement de la même entreprise) ; un "
    "rapprochement par nom et code postal n'est qu'une suggestion, comptée seulement quand "
    "l'acheteur l'a confirmée. Un fournisseur rapproché compte comme inclusif, avec le type, "
    "la famille, la région et la situation QPV/ZRR qu'avait sa structure au moment de l'import."
)
FIGURES_METHOD = (
    "Les montants sont hors taxes, avoirs déduits. La part inclusive de la dépense est la "
    "dépense auprès des fournisseurs inclusifs divisée par la dépense totale de l'année ; la "
    "part des fournisseurs compte chaque fournisseur une fois. Les répartitions par famille, "
    "type, région et QPV/ZRR portent sur la dépense inclusive, rapportée à la dépense totale ; "
    "une structure à la fois en QPV et en ZRR compte dans les deux lignes."
)
GAPS_METHOD = (
    "Un manque est une catégorie d'achat, associée par l'acheteur à un secteur, achetée sans "
    "aucun fournisseur inclusif dans un département de ses sites (ou celui du site indiqué sur "
    "la ligne), alors que la recherche de Marché inclusif y trouve des structures pour ce "
    "secteur. Une ligne sans site compte dans chaque département des sites."
)
SOURCES = (
    "Sources : le fichier de dépenses importé par l'organisation ; l'annuaire Marché inclusif "
    "(SIAE conventionnées, entreprises adaptées, ESAT du fichier FINESS) ; la géographie "
    "administrative de l'INSEE ; les quartiers prioritaires 2024 et les communes en ZRR (2022)."
)


def _share(value: Any) -> str:
    return percent(round(float(value or 0) * 100, 1))


def _breakdown(doc: Document, title: str, header: str, rows: Sequence[Mapping[str, Any]]) -> None:
    doc.heading(title, level=2)
    doc.table(
        [
            Column(header, 3.2),
            Column("Dépense inclusive HT", 1.6, "RIGHT"),
            Column("Fournisseurs", 1.1, "RIGHT"),
            Column("Part du total", 1.1, "RIGHT"),
        ],
        [
            [str(r["label"]), euros(r["spend_eur"]), number(r["suppliers"]), _share(r["share"])]
            for r in rows
        ],
        empty="Aucune dépense inclusive.",
    )


def _by_label(doc: Document, title: str, header: str, rows: Sequence[Mapping[str, Any]]) -> None:
    doc.heading(title, level=2)
    doc.table(
        [
            Column(header, 2.8),
            Column("Dépense HT", 1.4, "RIGHT"),
            Column("dont inclusive", 1.4, "RIGHT"),
            Column("Part", 0.9, "RIGHT"),
            Column("Fournisseurs (inclusifs)", 1.4, "RIGHT"),
        ],
        [
            [
                str(r["label"]),
                euros(r["spend_eur"]),
                euros(r["inclusive_eur"]),
                _share(r["inclusive_share"]),
                f"{number(r['suppliers'])} ({number(r['inclusive_suppliers'])})",
            ]
            for r in rows
        ],
    )


def render_summary(
    dashboard: Mapping[str, Any], organisation: Mapping[str, Any], now: datetime | None = None
) -> bytes:
    """The summary of the dashboard's year, as PDF bytes."""
    today = now or datetime.now(FRENCH_TIME)
    year = dashboard["year"]
    name = str(organisation.get("name") or "Organisation")
    doc = Document(
        title=f"Achats inclusifs {year} — {name}",
        author=name,
        subject="Synthèse RSE des achats auprès de fournisseurs inclusifs",
        keywords=["achats inclusifs", "RSE", "CSRD", "SIAE", "entreprise adaptée", "ESAT"],
        footer=f"Achats inclusifs {year} — {name}",
        generated_at=today,
    )
    doc.title(f"Achats inclusifs {year}", name)
    filters = dashboard.get("filters") or {}
    pairs = [
        ("Organisation", name),
        ("SIREN", str(organisation.get("siren") or "—")),
        ("Année", str(year)),
        ("Import des dépenses", french_date(dashboard["as_of"]) if dashboard.get("as_of") else "—"),
        ("Date de la synthèse", french_date(today)),
    ]
    if filters.get("category") is not None:
        pairs.append(("Catégorie", str(filters["category"]) or "(sans catégorie)"))
    if filters.get("buying_entity") is not None:
        pairs.append(("Entité acheteuse", str(filters["buying_entity"]) or "(sans entité)"))
    doc.key_values(pairs)

    totals = dashboard["totals"]
    doc.heading("1. Chiffres clés")
    doc.key_values(
        [
            ("Dépense totale HT", euros(totals["spend_eur"])),
            ("Dépense auprès de fournisseurs inclusifs", euros(totals["inclusive_eur"])),
            ("Part inclusive de la dépense", _share(totals["inclusive_share"])),
            ("Fournisseurs", number(totals["suppliers"])),
            ("Fournisseurs inclusifs", number(totals["inclusive_suppliers"])),
            ("Part inclusive des fournisseurs", _share(totals["inclusive_supplier_share"])),
            ("Lignes de dépense", number(totals["lines"])),
        ],
        key_width=0.5,
    )

    doc.heading("2. Répartition de la dépense inclusive")
    _breakdown(doc, "Par famille", "Famille", dashboard["by_family"])
    _breakdown(doc, "Par type de structure", "Type de structure", dashboard["by_kind"])
    _breakdown(doc, "Par région de la structure", "Région", dashboard["by_region"])
    _breakdown(
        doc, "Quartiers prioritaires et zones rurales", "Territoire", dashboard["by_territory"]
    )

    doc.heading("3. Par catégorie d'achat et par entité")
    _by_label(doc, "Par catégorie d'achat", "Catégorie", dashboard["by_category"])
    _by_label(doc, "Par entité acheteuse", "Entité", dashboard["by_buying_entity"])

    doc.heading("4. D'une année à l'autre")
    doc.table(
        [
            Column("Année", 0.8),
            Column("Dépense HT", 1.5, "RIGHT"),
            Column("dont inclusive", 1.5, "RIGHT"),
            Column("Part", 0.9, "RIGHT"),
            Column("Fournisseurs (inclusifs)", 1.5, "RIGHT"),
        ],
        [
            [
                str(y["year"]),
                euros(y["spend_eur"]),
                euros(y["inclusive_eur"]),
                _share(y["inclusive_share"]),
                f"{number(y['suppliers'])} ({number(y['inclusive_suppliers'])})",
            ]
            for y in dashboard["years"]
        ],
    )

    doc.heading("5. Catégories sans fournisseur inclusif là où il en existe")
    doc.table(
        [
            Column("Catégorie", 2),
            Column("Secteur", 2),
            Column("Département", 1.6),
            Column("Dépense HT", 1.3, "RIGHT"),
            Column("Structures trouvées", 1.1, "RIGHT"),
        ],
        [
            [
                str(g["category"]),
                str(g["sector_label"]),
                str(g["department_label"]),
                euros(g["spend_eur"]),
                number(g["available"]),
            ]
            for g in dashboard.get("gaps") or []
        ],
        empty="Aucun manque : chaque catégorie associée à un secteur a un fournisseur inclusif "
        "sur ses territoires, ou aucune structure n'y est trouvée.",
    )
    unmapped = dashboard.get("unmapped_categories") or 0
    if unmapped:
        doc.paragraph(
            f"{number(unmapped)} catégorie(s) d'achat ne sont associées à aucun secteur : "
            "elles ne sont pas examinées.",
            muted=True,
        )

    doc.heading("6. Méthode et sources")
    doc.paragraph(MATCH_METHOD)
    doc.paragraph(FIGURES_METHOD)
    doc.paragraph(GAPS_METHOD)
    doc.paragraph(SOURCES, muted=True)
    return doc.render()
