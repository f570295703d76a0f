"""Generated supplier spend files (CSV and XLSX) for tests and the import benchmark: real SIRETs
of the catalog mixed with made-up valid ones, SIREN-only rows and other establishments of a
catalog company, name-and-postcode-only rows, and malformed rows at known lines. `spend_rows`
returns the rows it would write, with what the import must make of each, so that a test
computes its expected figures itself."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from services.common.text import fold
from services.domain.identifiers import luhn_ok

COLUMNS = [
    "SIRET fournisseur",
    "SIREN",
    "Raison sociale",
    "Code postal",
    "Montant HT",
    "Catégorie",
    "Entité acheteuse",
    "Date",
    "Code postal site",
]
MAPPING = {
    "supplier_siret": "SIRET fournisseur",
    "supplier_siren": "SIREN",
    "supplier_name": "Raison sociale",
    "supplier_postcode": "Code postal",
    "amount": "Montant HT",
    "category": "Catégorie",
    "buying_entity": "Entité acheteuse",
    "date": "Date",
    "site_postcode": "Code postal site",
}
CATEGORIES = [
    "Nettoyage",
    "Espaces verts",
    "Restauration",
    "Impression",
    "Informatique",
    "Transport",
    "Fournitures de bureau",
    "Blanchisserie",
]
ENTITIES = ["Siège", "Usine de Lyon", "Agence de Bobigny", "Direction des achats"]
SITES = ["69003", "93000", "75012", "13001", "59000"]
# One malformed row every MALFORMED_EVERY lines, cycling through these reasons.
MALFORMED_EVERY = 97
MALFORMED = ("montant illisible", "SIRET invalide", "fournisseur sans", "date hors de l'année")


@dataclass(frozen=True)
class SpendRow:
    """One data row as written, and what the import must make of it."""

    line: int
    siret: str
    siren: str
    name: str
    postcode: str
    amount_cents: int
    category: str
    buying_entity: str
    day: date | None
    site_postcode: str
    # The start of the refusal's reason, None for an accepted row.
    refused: str | None = None
    # For accepted rows: the supplier key and how it must match (structure id or None).
    key: str = ""
    match: str = "none"
    structure_id: int | None = None
    # A cell written in place of the amount (a malformed one), when not the amount itself.
    amount_text: str | None = None


def _checked(digits: str) -> str:
    return next(digits + str(d) for d in range(10) if luhn_ok(digits + str(d)))


def made_up_siret(rng: random.Random, siren: str | None = None) -> str:
    """A Luhn-valid SIRET of a made-up company (or of `siren`, another establishment)."""
    siren = siren or _checked(f"9{rng.randrange(10**7):07d}")
    return _checked(f"{siren}{rng.randrange(10**4):04d}")


def _french_amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", "\u00a0" if euros % 2 else " ")
    return f"{sign}{grouped},{rest:02d}" + (" €" if euros % 3 == 0 else "")


def spend_rows(
    count: int,
    identities: Sequence[Mapping[str, Any]],
    year: int = 2025,
    seed: int = 17,
) -> list[SpendRow]:
    """`count` rows; identities are the catalog's (id, siret, siren, name, postcode)."""
    rng = random.Random(seed)
    # The structure a SIRET or a SIREN matches: the first by id, as the import decides.
    by_siret: dict[str, Mapping[str, Any]] = {}
    by_siren: dict[str, Mapping[str, Any]] = {}
    for identity in sorted(identities, key=lambda i: int(i["id"])):
        siret = identity.get("siret")
        if siret:
            by_siret.setdefault(str(siret), identity)
        siren = identity.get("siren") or (str(siret)[:9] if siret else None)
        if siren:
            by_siren.setdefault(str(siren), identity)
    with_siret = list(by_siret.values())
    # Names and postcodes shared by no other structure, so that a suggestion is unambiguous.
    named: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for identity in identities:
        if identity.get("postcode") and identity.get("name"):
            named.setdefault((identity["name"], identity["postcode"]), []).append(identity)
    suggestible = [found[0] for found in named.values() if len(found) == 1]
    made_up = []
    while len(made_up) < max(count // 20, 10):
        siret = made_up_siret(rng)
        if siret[:9] not in by_siren:  # a made-up company is none of the catalog's
            made_up.append((siret, f"Fournisseur {len(made_up)}", f"{rng.randrange(1, 96):02d}000"))
    start = date(year, 1, 1)
    rows: list[SpendRow] = []
    for line in range(2, count + 2):
        cents = (
            rng.randrange(-20_000, 5_000_000)
            if rng.random() < 0.05
            else rng.randrange(1_000, 5_000_000)
        )
        common: dict[str, Any] = {
            "line": line,
            "amount_cents": cents,
            "category": rng.choice(CATEGORIES),
            "buying_entity": rng.choice(ENTITIES),
            "day": start + timedelta(days=rng.randrange(365)),
            "site_postcode": rng.choice(SITES),
        }
        roll = rng.random()
        if line % MALFORMED_EVERY == 0:
            reason = MALFORMED[(line // MALFORMED_EVERY) % len(MALFORMED)]
            siret, name, postcode = rng.choice(made_up)
            row = SpendRow(
                siret=siret, siren="", name=name, postcode=postcode, refused=reason, **common
            )
            if reason == "montant illisible":
                row = SpendRow(**{**row.__dict__, "amount_text": "12,3,4 euros"})
            elif reason == "SIRET invalide":
                wrong = siret[:-1] + str((int(siret[-1]) + 1) % 10)
                row = SpendRow(**{**row.__dict__, "siret": wrong})
            elif reason == "fournisseur sans":
                row = SpendRow(**{**row.__dict__, "siret": "", "name": ""})
            else:
                row = SpendRow(**{**row.__dict__, "day": date(year - 1, 12, 31)})
            rows.append(row)
            continue
        if roll < 0.4 and with_siret:
            identity = rng.choice(with_siret)
            siret = str(identity["siret"])
            row = SpendRow(
                siret=siret,
                siren="",
                name=str(identity.get("name") or ""),
                postcode=str(identity.get("postcode") or ""),
                key=siret,
                match="siret",
                structure_id=int(identity["id"]),
                **common,
            )
        elif roll < 0.5 and by_siren:
            siren = rng.choice(list(by_siren))
            identity = by_siren[siren]
            if rng.random() < 0.5:
                row = SpendRow(
                    siret="",
                    siren=siren,
                    name=str(identity.get("name") or ""),
                    postcode="",
                    key=f"siren:{siren}",
                    match="siren",
                    structure_id=int(identity["id"]),
                    **common,
                )
            else:
                other = made_up_siret(rng, siren)
                while other in by_siret:
                    other = made_up_siret(rng, siren)
                row = SpendRow(
                    siret=other,
                    siren="",
                    name=str(identity.get("name") or ""),
                    postcode="",
                    key=other,
                    match="siren",
                    structure_id=int(identity["id"]),
                    **common,
                )
        elif roll < 0.6 and suggestible:
            identity = rng.choice(suggestible)
            row = SpendRow(
                siret="",
                siren="",
                name=str(identity["name"]),
                postcode=str(identity["postcode"]),
                key=f"nom:{fold(str(identity['name']))[:70]}|{identity['postcode']}",
                match="suggested",
                structure_id=None,
                **common,
            )
        else:
            siret, name, postcode = rng.choice(made_up)
            row = SpendRow(siret=siret, siren="", name=name, postcode=postcode, key=siret, **common)
        rows.append(row)
    return rows


def _csv_cells(row: SpendRow) -> list[str]:
    return [
        row.siret[:3] + " " + row.siret[3:6] + " " + row.siret[6:9] + " " + row.siret[9:]
        if row.siret and row.line % 2
        else row.siret,
        row.siren,
        row.name,
        row.postcode,
        row.amount_text or _french_amount(row.amount_cents),
        row.category,
        row.buying_entity,
        row.day.strftime("%d/%m/%Y")
        if row.day and row.line % 3
        else (row.day.isoformat() if row.day else ""),
        row.site_postcode,
    ]


def write_csv(
    path: Path, rows: Sequence[SpendRow], encoding: str = "utf-8-sig", delimiter: str = ";"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(_csv_cells(row))
    return path


def _xlsx_cells(row: SpendRow) -> Iterator[Any]:
    yield row.siret
    yield row.siren
    yield row.name
    yield row.postcode
    yield row.amount_text if row.amount_text else row.amount_cents / 100
    yield row.category
    yield row.buying_entity
    yield row.day
    yield row.site_postcode


def write_xlsx(path: Path, rows: Sequence[SpendRow]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Dépenses")
    day_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, COLUMNS)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(_xlsx_cells(row)):
            if isinstance(value, date):
                sheet.write_datetime(index, column, value, day_format)
            elif isinstance(value, float):
                sheet.write_number(index, column, value)
            elif value:
                sheet.write_string(index, column, str(value))
    workbook.close()
    return path


def write_spend_file(
    path: Path,
    count: int,
    identities: Sequence[Mapping[str, Any]],
    year: int = 2025,
    seed: int = 17,
) -> list[SpendRow]:
    """A spend file of `count` rows at `path` (XLSX when it ends in .xlsx, else CSV); the rows."""
    rows = spend_rows(count, identities, year, seed)
    if path.suffix == ".xlsx":
        write_xlsx(path, rows)
    else:
        write_csv(path, rows)
    return rows
