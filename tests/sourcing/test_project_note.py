"""The sourcing note PDF of a purchase project, rendered from its JSON view and read back with
Poppler (pdftotext, pdftoppm) as a person's viewer would show it."""

from __future__ import annotations

import copy
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from services.common.pdf import FRENCH_TIME
from services.sourcing.projects.note import render_note
from tests.common.pdf_support import page_count, pdf_text, render_pages
from tests.sourcing.projects_support import Projects, buyer, projects

__all__ = ["projects"]

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 15, 4, tzinfo=FRENCH_TIME)
JUSTIFICATION = (
    "Le sourcing du 12 novembre 2026 a interrogé les 4 entreprises d'insertion du département : "
    "aucune ne peut assurer la maintenance des équipements de désenfumage, qui exige "
    "l’habilitation « SSIAP 2 » que ces structures n’ont pas."
)
OBJECT = " ".join(
    [
        "Nettoyage quotidien et vitrerie trimestrielle de douze bâtiments municipaux (hôtel de "
        "ville, médiathèques, écoles élémentaires et maternelles, centres de santé), y compris "
        "la fourniture des consommables, le tri des déchets et la maintenance des équipements de "
        "désenfumage ; horaires décalés, interventions d'urgence sous quatre heures, "
        "reprise du personnel en place (article L1224-1 du Code du travail) et plan de "
        "progrès environnemental (produits écolabellisés, réduction des consommations d'eau)."
    ]
    * 14
)


def _decision(
    number: int, summary: str, options: list[dict[str, Any]], justification: Any, at: str
) -> dict[str, Any]:
    return {
        "id": number,
        "options": options,
        "summary": summary,
        "justification": justification,
        "warnings": [],
        "decided_at": at,
        "decided_by": "acheteuse@montreuil.fr",
    }


def montreuil_view() -> dict[str, Any]:
    """A 500,000 € services project of the Ville de Montreuil in the 93, decided « none » with
    a justification after a first decision for a social clause on lot 2."""
    latest = _decision(
        12,
        "Aucune considération sociale (motif : prestation intellectuelle ou hautement technique)",
        [{"code": "none", "article": "", "label": "Aucune considération sociale", "lot": None}],
        {
            "reason": "prestation_intellectuelle_ou_technique",
            "reason_label": "Prestation intellectuelle ou hautement technique",
            "text": JUSTIFICATION,
        },
        "2026-11-27T13:30:00+00:00",
    )
    earlier = _decision(
        9,
        "Clause sociale d'exécution (L2112-2) sur le lot 2",
        [
            {
                "code": "clause_L2112_2",
                "article": "L2112-2",
                "label": "Clause sociale d'exécution : heures d'insertion",
                "lot": 2,
            }
        ],
        None,
        "2026-11-20T08:05:00+00:00",
    )
    return {
        "id": 42,
        "organisation": {
            "id": 7,
            "name": "Ville de Montreuil",
            "siren": "219300480",
            "siret": "21930048000015",
            "buyer_kind": "collectivite",
            "buyer_kind_label": "Collectivité territoriale",
        },
        "title": "Nettoyage des bâtiments municipaux 2027–2030",
        "object": OBJECT,
        "cpv": ["90911200", "90911300"],
        "sectors": ["nettoyage-de-locaux-16"],
        "sector_labels": ["Nettoyage de locaux"],
        "place": {"level": "departement", "code": "93", "label": "Seine-Saint-Denis (93)"},
        "contract_kind": "services",
        "contract_kind_label": "Services",
        "estimated_amount_eur": 500000,
        "duration_months": 48,
        "procedure": "appel_offres_ouvert",
        "procedure_label": "Appel d'offres ouvert",
        "lots": [
            {"number": 1, "title": "Nettoyage des locaux", "estimated_amount_eur": 350000},
            {"number": 2, "title": "Vitrerie", "estimated_amount_eur": 90000},
            {"number": 3, "title": "Maintenance du désenfumage", "estimated_amount_eur": None},
        ],
        "hours_parameters": {
            "labour_share_percent": 50,
            "insertion_rate_percent": 5,
            "hourly_cost_eur": 30,
        },
        "status": "decided",
        "version": 5,
        "evaluation": {
            "evaluated_at": "2026-11-27T13:29:12+00:00",
            "sources": [
                "Annuaire Marché inclusif, index de recherche interrogé le 27/11/2026 : "
                "structures dont une activité déclarée sert ce domaine sur ce territoire "
                "(17 trouvée(s)).",
                "Code de la commande publique : articles L2113-12, L2113-13, R2113-7, L2112-2, "
                "L2152-7, R2152-7 ; seuils européens 2026–2027.",
            ],
            "market": {
                "domain": {"sectors": ["nettoyage-de-locaux-16"]},
                "territory": ["departement 93"],
                "eligible_suppliers": 17,
                "local_suppliers": 11,
                "by_family": {"insertion": 12, "handicap": 5},
                "by_kind": {"EI": 6, "ACI": 4, "ETTI": 2, "EA": 3, "ESAT": 2},
                "undeclared_suppliers": 9,
                "undeclared_by_kind": {"ESAT": 5, "AI": 4},
                "summary": "17 fournisseur(s) inclusif(s) déclarent ce domaine dans le "
                "Seine-Saint-Denis.",
                "options": [],
                "law": {},
            },
            "options": [
                {
                    "code": "reserve_L2113_12",
                    "article": "L2113-12",
                    "label": "Marché ou lot réservé aux entreprises adaptées et ESAT",
                    "available": True,
                    "eligible_suppliers": 5,
                    "requires": "Au moins 50 % de travailleurs handicapés (R2113-7).",
                    "why": "5 structures éligibles servent ce besoin.",
                },
                {
                    "code": "reserve_L2113_13",
                    "article": "L2113-13",
                    "label": "Marché ou lot réservé aux SIAE",
                    "available": True,
                    "eligible_suppliers": 12,
                    "requires": "Mentionner la réservation et l'article L2113-13 dans l'avis.",
                    "why": "12 structures éligibles servent ce besoin.",
                },
                {
                    "code": "clause_L2112_2",
                    "article": "L2112-2",
                    "label": "Clause sociale d'exécution",
                    "available": True,
                    "eligible_suppliers": None,
                    "requires": "Un nombre d'heures d'insertion dans le cahier des charges.",
                    "why": "Toujours possible ; 4\u202f166,7 heures d'insertion.",
                },
                {
                    "code": "criterion_L2152_7",
                    "article": "L2152-7",
                    "label": "Critère d'attribution social",
                    "available": True,
                    "eligible_suppliers": None,
                    "requires": "Annoncer le critère et sa pondération.",
                    "why": "Toujours possible.",
                },
                {
                    "code": "none",
                    "article": "",
                    "label": "Aucune considération sociale",
                    "available": True,
                    "eligible_suppliers": None,
                    "requires": "Une justification documentée est obligatoire.",
                    "why": "Possible, mais une considération sociale est attendue.",
                },
            ],
            "insertion_hours": {
                "amount_eur": 500000,
                "labour_share_percent": 50,
                "insertion_rate_percent": 5,
                "hourly_cost_eur": 30,
                "hours": 416.7,
                "formula": "500 000 € × 50 % × 5 % ÷ 30 €/h = 416.7 h",
            },
            "climate_law": {
                "applies": True,
                "threshold_eur": 216000,
                "text": "Loi Climat et Résilience, art. 35 : au plus tard le 22 août 2026…",
            },
            "hours_threshold": 400,
            "social_consideration_expected": True,
            "expected_because": [
                "La loi Climat et Résilience s'applique : le montant atteint le seuil européen "
                "de 216\u202f000 € HT.",
            ],
        },
        "decision": latest,
        "decisions": [latest, earlier],
        "need_id": None,
        "created_by": "acheteuse@montreuil.fr",
        "created_at": "2026-11-20T08:00:00+00:00",
        "updated_at": "2026-11-27T13:30:00+00:00",
        "awarded_on": None,
    }


def test_the_note_carries_the_need_the_options_and_the_justified_decision(
    tmp_path: Path,
) -> None:
    pdf = render_note(montreuil_view(), now=NOW)
    assert pdf.startswith(b"%PDF-")

    pages = render_pages(pdf, tmp_path)
    assert len(pages) == page_count(pdf) >= 3
    text = pdf_text(pdf)
    by_page = text.split("\f")
    # The long object wraps from the first page to the second.
    assert "Objet du marché" in by_page[0]
    assert "Nettoyage quotidien et vitrerie" in by_page[0] and "Nettoyage quotidien" in by_page[1]
    # The page with the decision, legible, for a reviewer to look at.
    decided = next(i for i, page in enumerate(by_page) if "6. Décision de l'acheteur" in page)
    legible = render_pages(pdf, tmp_path / "legible", resolution=100)
    (ROOT / "var").mkdir(exist_ok=True)
    shutil.copy(legible[decided], ROOT / "var" / "note-de-sourcing-decision.png")

    flat = " ".join(text.split())
    assert "Note de sourcing" in flat and "Ville de Montreuil" in flat
    assert "SIRET 219 300 480 00015" in flat
    assert "Date de la note 30 novembre 2026" in flat
    assert (
        "500 000 € HT" in flat and "350 000 € HT" in flat and "Maintenance du désenfumage" in flat
    )
    assert "Seine-Saint-Denis (93)" in flat and "90911200" in flat
    assert "L2113-13" in flat and "L2113-12" in flat and "L2152-7" in flat
    assert "500 000 € × 50 % × 5 % ÷ 30 €/h = 416,7 h" in flat
    assert "Profondeur du marché au 27 novembre 2026" in flat
    assert "EI — Entreprise d'insertion" in flat and "AI — Association intermédiaire" in flat
    assert "ESAT — Établissement et service d'aide par le travail" in flat
    assert "S'applique" in flat and "216 000 € HT" in flat
    # The decision, its justification word for word, and the history of both decisions.
    assert "Aucune considération sociale (motif : prestation intellectuelle" in flat
    assert JUSTIFICATION in flat
    assert "27 novembre 2026 à 14 h 30" in flat
    assert "Clause sociale d'exécution" in flat and "(L2112-2) sur le lot 2" in flat
    assert "20 novembre 2026 à 9 h 05" in flat
    assert "Page 1 / " in flat and f"Page {len(pages)} / {len(pages)}" in flat
    for char in "éèàçœ€«»’":
        assert char in text, char
    assert "\ufffd" not in text


def test_a_note_without_decision_lots_or_market(tmp_path: Path) -> None:
    view = montreuil_view()
    view.update(decision=None, decisions=[], lots=[], status="draft")
    market = view["evaluation"]["market"]
    market.update(
        eligible_suppliers=0,
        local_suppliers=0,
        by_family={},
        by_kind={},
        undeclared_suppliers=0,
        undeclared_by_kind={},
        summary="0 fournisseur(s) inclusif(s) déclarent ce domaine dans le Seine-Saint-Denis.",
    )
    view["object"] = "Entretien des espaces verts."

    pdf = render_note(view, now=NOW)

    assert len(render_pages(pdf, tmp_path)) == page_count(pdf) >= 1
    flat = " ".join(pdf_text(pdf).split())
    assert "Aucune décision enregistrée à la date de la note" in flat
    assert "Marché non alloti" in flat
    assert "Aucun fournisseur inclusif éligible trouvé" in flat
    assert "Justification" not in flat.replace("Justification", "", 1)


def test_a_sparse_or_hostile_view_still_renders() -> None:
    """What the user typed is text, never markup; a view lacking optional parts renders."""
    view = copy.deepcopy(montreuil_view())
    view["title"] = "<b>Titre</b> & <script>alert(1)</script> \x00\x07 ≥ 3 → « ok »"
    view["object"] = "x" * 3000
    del view["evaluation"]
    view["decision"]["justification"]["text"] = "<para>non fermé & \u202f1\u202f000 €"

    pdf = render_note(view, now=NOW)

    flat = " ".join(pdf_text(pdf).split())
    assert "<b>Titre</b> & <script>alert(1)</script>" in flat
    assert "≥ 3 -> « ok »" in flat
    assert "<para>non fermé & 1 000 €" in flat


def test_a_decision_per_lot_shows_each_option_its_lot_and_the_warnings() -> None:
    view = montreuil_view()
    decision = {
        "id": 13,
        "options": [
            {
                "code": "reserve_L2113_13",
                "article": "L2113-13",
                "label": "Marché ou lot réservé aux SIAE",
                "lot": 1,
            },
            {
                "code": "clause_L2112_2",
                "article": "L2112-2",
                "label": "Clause sociale d'exécution",
                "lot": 2,
            },
        ],
        "summary": "Lot 1 réservé aux SIAE (L2113-13) ; clause sociale (L2112-2) sur le lot 2",
        "justification": None,
        "warnings": ["La réservation L2113-13 n'était pas disponible à la date de l'évaluation."],
        "decided_at": "2026-11-28T09:00:00+00:00",
        "decided_by": "acheteuse@montreuil.fr",
    }
    view.update(decision=decision, decisions=[decision, *view["decisions"]])

    flat = " ".join(pdf_text(render_note(view, now=NOW)).split())

    assert "L2113-13 Marché ou lot réservé aux SIAE Lot 1" in flat
    assert "L2112-2 Clause sociale d'exécution Lot 2" in flat
    assert "Avertissements • La réservation L2113-13 n'était pas disponible" in flat
    assert "28 novembre 2026 à 10 h 00" in flat
    assert "Motif" not in flat


def test_the_note_of_a_project_declared_through_the_api(projects: Projects, tmp_path: Path) -> None:
    """The real view, as the sourcing service builds it, renders and carries the decision."""
    who = buyer("acheteuse-note")
    organisation = projects.organisation(who, name="Ville de Montreuil")["id"]
    view = projects.project(
        who,
        organisation,
        lots=[{"title": "Nettoyage", "estimated_amount_eur": 400_000}, {"title": "Vitrerie"}],
    )
    recorded = projects.decide(
        who,
        view["id"],
        "none",
        justification={"reason": "autre", "text": JUSTIFICATION},
    )
    assert recorded.status_code == 201, recorded.text

    answer = projects.sourcing.get(f"/v1/projects/{view['id']}/note.pdf", headers=who)

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert render_note(recorded.json()).startswith(b"%PDF-")
    pages = render_pages(answer.content, tmp_path)
    assert len(pages) == page_count(answer.content)
    flat = " ".join(pdf_text(answer.content).split())
    assert "Ville de Montreuil" in flat and "500 000 € HT" in flat
    assert "Seine-Saint-Denis (93)" in flat and "L2113-13" in flat
    assert "Autre motif" in flat and JUSTIFICATION in flat
    assert "Aucune considération sociale" in flat and "Vitrerie" in flat
    assert "Page 1 / " in flat
