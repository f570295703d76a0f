"""Synthetic DECP files (schema 2.x fields), JSON or CSV, written contract by contract.

Buyers carry Luhn-valid SIRETs whose SIREN follows the public numbering (communes 21…,
départements 22…, régions 23…, intercommunalités 200…/24…, hôpitaux 26…, État 1…, others), so
that every category occurs; their sizes are skewed so that every size band occurs. Years
2023–2026, mixed social considerations, awardees and subcontractors some of which are SIRETs of
the given catalog structures (or other establishments of their SIREN), and a few malformed
contracts (bad buyer SIRET, missing amount, unreadable date). The same seed and size give the
same contracts in both formats."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

YEARS = (2023, 2024, 2025, 2026)
# (SIREN prefix, weight) — the categories of the published method, and a few others.
BUYER_PREFIXES = (
    ("21", 40),
    ("22", 6),
    ("23", 2),
    ("200", 10),
    ("24", 4),
    ("26", 8),
    ("11", 6),
    ("13", 4),
    ("77", 5),
    ("30", 5),
)
# Where contracts are executed: (typeCode, code, home département).
PLACES = (
    ("Code commune", "93048", "93"),
    ("Code postal", "93100", "93"),
    ("Code département", "93", "93"),
    ("Code commune", "75056", "75"),
    ("Code postal", "75011", "75"),
    ("Code commune", "69123", "69"),
    ("Code postal", "69003", "69"),
    ("Code commune", "13055", "13"),
    ("Code département", "13", "13"),
    ("Code commune", "35238", "35"),
    ("Code postal", "35000", "35"),
    ("Code commune", "59350", "59"),
    ("Code postal", "59000", "59"),
    ("Code commune", "33063", "33"),
    ("Code commune", "2A004", "2A"),
    ("Code postal", "20000", "2A"),
    ("Code commune", "97411", "974"),
    ("Code région", "84", "69"),
    ("Code région", "11", "75"),
)
PLACES_BY_DEPARTMENT: dict[str, list[tuple[str, str, str]]] = {}
for _place in PLACES:
    PLACES_BY_DEPARTMENT.setdefault(_place[2], []).append(_place)
HOME_DEPARTMENTS = sorted(PLACES_BY_DEPARTMENT)
CPV = ("90910000", "77310000", "55520000", "79530000", "45000000", "30190000", "98341000")
SOCIAL = (
    ((), 58),
    (("Pas de considération sociale",), 14),
    (("Clause sociale",), 14),
    (("Critère social",), 5),
    (("Marché réservé",), 4),
    (("Clause sociale", "Critère social"), 3),
    (("Clause sociale", "Marché réservé"), 2),
)
_SOCIAL_CUM = list(accumulate(w for _, w in SOCIAL))
_PREFIX_CUM = list(accumulate(w for _, w in BUYER_PREFIXES))
CSV_COLUMNS = (
    "id",
    "acheteur.id",
    "acheteur.nom",
    "nature",
    "objet",
    "codeCPV",
    "procedure",
    "lieuExecution.code",
    "lieuExecution.typeCode",
    "dureeMois",
    "dateNotification",
    "datePublicationDonnees",
    "montant",
    "formePrix",
    "titulaire.id",
    "titulaire.typeIdentifiant",
    "sousTraitant.id",
    "sousTraitant.typeIdentifiant",
    "considerationsSociales",
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits[::-1]):
        value = int(char) * (2 if index % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def _complete(digits: str) -> str:
    """`digits` and the one check digit that makes them pass Luhn."""
    return next(digits + str(d) for d in range(10) if _luhn_ok(digits + str(d)))


def _siren(rng: random.Random, prefix: str) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(8 - len(prefix)))
    return _complete(body)


def _siret(rng: random.Random, siren: str) -> str:
    return _complete(siren + f"{rng.randrange(1, 9999):04d}")


def _broken(siret: str) -> str:
    """The same SIRET with a wrong check digit."""
    last = (int(siret[-1]) + 1) % 10
    return siret[:-1] + str(last)


class _Buyer:
    def __init__(self, rng: random.Random, number: int) -> None:
        prefix = rng.choices([p for p, _ in BUYER_PREFIXES], cum_weights=_PREFIX_CUM)[0]
        self.siret = _siret(rng, _siren(rng, prefix))
        self.home = rng.choice(HOME_DEPARTMENTS)
        roll = rng.random()
        # Some publish no name; some changed it (the newer name goes with newer contracts).
        self.names: tuple[str | None, str | None] = (
            (None, None)
            if roll < 0.15
            else (f"Ancien nom acheteur {number}", f"Acheteur public n° {number}")
            if roll < 0.3
            else (f"Acheteur public n° {number}", f"Acheteur public n° {number}")
        )


def _company(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.03:
        return {"typeIdentifiant": "TVA", "id": f"FR{rng.randrange(10**10, 10**11)}"}
    return {"typeIdentifiant": "SIRET", "id": _siret(rng, _siren(rng, rng.choice("3456789")))}


def _partner(rng: random.Random, catalog: Sequence[str], chance: float) -> dict[str, str]:
    roll = rng.random()
    if catalog and roll < chance:
        return {"typeIdentifiant": "SIRET", "id": rng.choice(catalog)}
    if catalog and roll < chance * 1.4:  # another establishment of a catalog structure
        siren = rng.choice(catalog)[:9]
        return {"typeIdentifiant": "SIRET", "id": _siret(rng, siren)}
    return _company(rng)


def generate(
    count: int, seed: int = 0, catalog_sirets: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """`count` contracts in the JSON shape of schema 2.x (plus `acheteur.nom`)."""
    rng = random.Random(seed)
    catalog = [s for s in catalog_sirets if s and len(s) == 14]
    buyers = [_Buyer(rng, n) for n in range(1, max(12, count // 40) + 1)]
    # Skewed sizes: a few buyers notify hundreds of contracts, most a handful.
    buyer_cum = list(accumulate(1 / (i + 1) ** 0.9 for i in range(len(buyers))))
    for index in range(count):
        buyer = rng.choices(buyers, cum_weights=buyer_cum)[0]
        year = rng.choice(YEARS)
        notified = date(year, 1, 1) + timedelta(days=rng.randrange(0, 365))
        place = rng.choice(PLACES_BY_DEPARTMENT[buyer.home] if rng.random() < 0.8 else list(PLACES))
        social = rng.choices([s for s, _ in SOCIAL], cum_weights=_SOCIAL_CUM)[0]
        titulaires = [_partner(rng, catalog, 0.05) for _ in range(1 + (rng.random() < 0.2))]
        subcontracts = [
            {
                "acteSousTraitance": {
                    "id": n + 1,
                    "sousTraitant": _partner(rng, catalog, 0.3),
                    "dureeMois": 6,
                    "dateNotification": (notified + timedelta(days=30)).isoformat(),
                    "datePublicationDonnees": (notified + timedelta(days=40)).isoformat(),
                    "montant": round(rng.uniform(5_000, 60_000), 2),
                    "variationPrix": "Ferme",
                }
            }
            for n in range(rng.random() < 0.1)
        ]
        name = buyer.names[0] if year < 2025 else buyer.names[1]
        record: dict[str, Any] = {
            "id": f"{year}{index:09d}",
            "acheteur": {"id": buyer.siret} | ({"nom": name} if name else {}),
            "nature": "Marché",
            "objet": f"Marché n° {index} : prestations",
            "codeCPV": rng.choice(CPV),
            "techniques": {"technique": ["Sans objet"]},
            "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
            "marcheInnovant": False,
            "ccag": "Fournitures courantes et services",
            "offresRecues": rng.randrange(1, 9),
            "attributionAvance": False,
            "typeGroupementOperateurs": "Pas de groupement",
            "sousTraitanceDeclaree": bool(subcontracts),
            "procedure": rng.choice(("Procédure adaptée", "Appel d'offres ouvert")),
            "lieuExecution": {"code": place[1], "typeCode": place[0]},
            "dureeMois": rng.choice((6, 12, 24, 36, 48)),
            "dateNotification": notified.isoformat(),
            "datePublicationDonnees": (notified + timedelta(days=10)).isoformat(),
            "montant": round(10 ** rng.uniform(4.6, 6.7), 2),
            "typesPrix": {"typePrix": ["Définitif ferme"]},
            "formePrix": "Forfaitaire",
            # The schema's wrapped forms on even contracts, the flat forms seen in files on odd.
            "titulaires": [{"titulaire": t} for t in titulaires] if index % 2 else titulaires,
            "considerationsSociales": (
                {"considerationSociale": list(social or ("Pas de considération sociale",))}
                if index % 2
                else list(social)
            ),
            "considerationsEnvironnementales": {
                "considerationEnvironnementale": ["Pas de considération environnementale"]
            },
            "actesSousTraitance": subcontracts,
            "modifications": [],
        }
        if not subcontracts:
            del record["actesSousTraitance"]
        flaw = _flaw(index)
        if flaw == "siret":
            record["acheteur"]["id"] = _broken(buyer.siret)
        elif flaw == "amount":
            del record["montant"]
        elif flaw == "date":
            record["dateNotification"] = f"{notified.day:02d}/{notified.month:02d}/{year}"
        yield record


def _flaw(index: int) -> str | None:
    """A few malformed contracts: early ones (small files have some) and then regularly."""
    slot = {3: 0, 7: 1, 11: 2}.get(index, {13: 0, 500: 1, 900: 2}.get(index % 997, -1))
    return ("siret", "amount", "date")[slot] if slot >= 0 else None


def _titulaire(entry: dict[str, Any]) -> dict[str, Any]:
    inner = entry.get("titulaire", entry)
    return dict(inner)


def _csv_rows(record: dict[str, Any]) -> Iterator[list[Any]]:
    titulaires = [_titulaire(t) for t in record["titulaires"]]
    subcontractors = [
        a["acteSousTraitance"]["sousTraitant"] for a in record.get("actesSousTraitance", [])
    ]
    social = record["considerationsSociales"]
    if isinstance(social, dict):
        social = social["considerationSociale"]
    for n in range(max(len(titulaires), len(subcontractors), 1)):
        titulaire = titulaires[n] if n < len(titulaires) else {}
        subcontractor = subcontractors[n] if n < len(subcontractors) else {}
        yield [
            record["id"],
            record["acheteur"]["id"],
            record["acheteur"].get("nom", ""),
            record["nature"],
            record["objet"],
            record["codeCPV"],
            record["procedure"],
            record["lieuExecution"]["code"],
            record["lieuExecution"]["typeCode"],
            record["dureeMois"],
            record["dateNotification"],
            record["datePublicationDonnees"],
            record.get("montant", ""),
            record["formePrix"],
            titulaire.get("id", ""),
            titulaire.get("typeIdentifiant", ""),
            subcontractor.get("id", ""),
            subcontractor.get("typeIdentifiant", ""),
            ", ".join(social),
        ]


def write_decp(
    path: Path,
    contracts: int,
    *,
    seed: int = 0,
    fmt: str = "json",
    catalog_sirets: Sequence[str] = (),
    json_shape: str = "marche",
) -> int:
    """Writes the file; returns the number of contracts (malformed ones included).
    `json_shape`: "marche" for {"marches": {"marche": [...]}}, "list" for {"marches": [...]}."""
    count = contracts
    records = generate(count, seed, catalog_sirets)
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for record in records:
                writer.writerows(_csv_rows(record))
        return count
    opening, closing = (
        ('{"marches": {"marche": [\n', "\n]}}\n")
        if json_shape == "marche"
        else ('{"marches": [\n', "\n]}\n")
    )
    with path.open("w", encoding="utf-8") as handle:
        handle.write(opening)
        for n, record in enumerate(records):
            if n:
                handle.write(",\n")
            handle.write(json.dumps(record, ensure_ascii=False))
        handle.write(closing)
    return count
