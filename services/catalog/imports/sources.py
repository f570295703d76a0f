"""Reads the public structure files into validated records, with the reason for every rejection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from services.catalog.imports.identifiers import finess_problem, siret_problem
from services.domain.kinds import Kind, family_of

_POSTCODE = re.compile(r"^[0-9]{5}$")
# France with its overseas départements and collectivities.
_LAT_RANGE = (-23.0, 52.0)
_LON_RANGE = (-180.0, 180.0)


@dataclass(frozen=True)
class CommuneRef:
    code: str
    department_code: str
    region_code: str
    latitude: float | None
    longitude: float | None
    is_zrr: bool = False
    has_qpv: bool = False


@dataclass(frozen=True)
class Geography:
    """What import needs to check places: départements, and communes with their centres."""

    departments: dict[str, str]  # code -> region code
    communes: dict[str, CommuneRef]
    parents: dict[str, str] = field(default_factory=dict)  # arrondissement -> commune
    naf_codes: frozenset[str] = frozenset()  # APE form; empty: not checked

    def centre(self, commune_code: str) -> tuple[float, float] | None:
        commune = self.communes.get(commune_code)
        if commune is None:
            return None
        if commune.latitude is None or commune.longitude is None:
            parent = self.parents.get(commune_code)
            return self.centre(parent) if parent else None
        return commune.latitude, commune.longitude


@dataclass
class Rejection:
    line: int
    key: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "key": self.key, "reason": self.reason}


@dataclass
class ParsedSource:
    records: list[dict[str, Any]]
    rejections: list[Rejection]
    warnings: list[Rejection]


class _RowError(ValueError):
    pass


class FileRefused(ValueError):
    """The whole file is refused, with the reason: nothing is imported and nothing delisted."""


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"{path.name} est en UTF-16 : enregistrez-le en UTF-8")
    try:
        return raw.decode("utf-8-sig")  # a byte order mark, as spreadsheets write, is dropped
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileRefused(
            f"{path.name} n'est pas en UTF-8 (octet {raw[exc.start]:#04x} ligne {line}, "
            "Latin-1 ou Windows-1252 ?) : enregistrez-le en UTF-8"
        ) from exc


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Each data row with the line it starts on (a quoted field may span lines), or the
    reason it cannot be read; a file that cannot be read as a whole is refused."""
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileRefused(f"{path.name} est vide") from None
    if missing := [name for name in columns if name not in header]:
        raise FileRefused(f"colonnes absentes de {path.name} : {', '.join(missing)}")
    start = 2
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise FileRefused(
                    f"guillemet ouvert ligne {start} et jamais fermé : la suite du fichier "
                    "serait lue comme un seul champ"
                ) from exc
            yield start, f"ligne illisible ({exc})"
            start = reader.line_num + 1
            continue
        if not fields:
            start = reader.line_num + 1
            continue
        if len(fields) != len(header):
            spans = (
                f" ; elle court jusqu'à la ligne {reader.line_num}"
                if reader.line_num > start
                else ""
            )
            yield start, f"{len(fields)} colonnes au lieu de {len(header)}{spans}"
        elif any("\x00" in value for value in fields):
            yield start, "caractère NUL dans la ligne"
        else:
            yield start, {k: v.strip() for k, v in zip(header, fields, strict=True) if k}
        start = reader.line_num + 1


def _optional(value: str) -> str | None:
    return value or None


def _place(
    row_department: str,
    commune_code: str,
    postcode: str,
    lat: str,
    lon: str,
    geo: Geography,
    warnings: list[str],
) -> dict[str, Any]:
    if row_department not in geo.departments:
        raise _RowError(f"département inconnu « {row_department} »")
    if postcode and not _POSTCODE.match(postcode):
        raise _RowError(f"code postal invalide « {postcode} »")
    commune = geo.communes.get(commune_code) if commune_code else None
    if commune_code and commune is None:
        raise _RowError(f"commune inconnue « {commune_code} »")
    department = row_department
    if commune is not None and commune.department_code != row_department:
        # The commune code is the more precise fact (e.g. Saint-Martin, once in Guadeloupe).
        warnings.append(
            f"département {row_department} corrigé en {commune.department_code} d'après la commune"
        )
        department = commune.department_code
    if commune is None:
        warnings.append("commune non identifiée : recherche par commune impossible")
    latitude, longitude, source = None, None, None
    if lat and lon:
        try:
            latitude, longitude = float(lat), float(lon)
        except ValueError as exc:
            raise _RowError(f"coordonnées illisibles « {lat}, {lon} »") from exc
        if not (
            _LAT_RANGE[0] <= latitude <= _LAT_RANGE[1]
            and _LON_RANGE[0] <= longitude <= _LON_RANGE[1]
        ):
            raise _RowError(f"coordonnées hors de France « {lat}, {lon} »")
        source = "source"
    elif commune is not None and (centre := geo.centre(commune.code)) is not None:
        latitude, longitude = centre
        source = "commune_centre"
    else:
        warnings.append("pas de coordonnées : tri par distance impossible")
    return {
        "postcode": postcode or None,
        "commune_code": commune.code if commune else None,
        "department_code": department,
        "region_code": geo.departments[department],
        "latitude": latitude,
        "longitude": longitude,
        "coordinates_source": source,
        "is_zrr": commune.is_zrr if commune else False,
        "is_qpv": commune.has_qpv if commune else False,
    }


def _naf(value: str, geo: Geography, warnings: list[str]) -> str | None:
    code = value.replace(".", "").strip().upper()
    if not code:
        return None
    if geo.naf_codes and code not in geo.naf_codes:
        warnings.append(f"code NAF inconnu « {code} » : ignoré")
        return None
    return code


def _parse_date(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _siae_record(row: dict[str, str], geo: Geography, warnings: list[str]) -> dict[str, Any]:
    try:
        kind = Kind(row["kind"])
    except ValueError as exc:
        raise _RowError(f"type de structure inconnu « {row['kind']} »") from exc
    if problem := siret_problem(row["siret"]):
        raise _RowError(problem)
    if not row["nom"]:
        raise _RowError("raison sociale absente")
    return {
        "import_key": f"siae:{row['siret']}:{kind.value}",
        "source": row["source"] or "ASP",
        "source_updated_at": _parse_date(row["updated_at"]),
        "kind": kind,
        "family": family_of(kind),
        "siret": row["siret"],
        "siren": row["siret"][:9],
        "finess": None,
        "name": row["nom"],
        "brand": _optional(row["enseigne"]),
        "naf": _naf(row["naf"], geo, warnings),
        "legal_form": _optional(row["forme_juridique"]),
        "address": _optional(row["adresse"]),
        "city": _optional(row["ville"]),
        "website": _optional(row["site_web"]),
        "description": _optional(row["description"]),
        **_place(
            row["code_departement"],
            row["code_insee"],
            row["code_postal"],
            row["lat"],
            row["lon"],
            geo,
            warnings,
        ),
    }


def _esat_record(row: dict[str, str], geo: Geography, warnings: list[str]) -> dict[str, Any]:
    if problem := finess_problem(row["finess_et"]):
        raise _RowError(problem)
    siret = row["siret"] or None
    if siret is None:
        warnings.append("sans SIRET : identifié par son numéro FINESS")
    elif problem := siret_problem(siret):
        raise _RowError(problem)
    if not row["nom"]:
        raise _RowError("nom de l'établissement absent")
    return {
        "import_key": f"esat:{row['finess_et']}",
        "source": "FINESS",
        "source_updated_at": None,
        "kind": Kind.ESAT,
        "family": family_of(Kind.ESAT),
        "siret": siret,
        "siren": siret[:9] if siret else (row["siren"] or None),
        "finess": row["finess_et"],
        "name": row["nom"],
        "brand": None,
        "naf": None,
        "legal_form": _optional(row["gestionnaire_statut_libelle"]),
        "address": _optional(row["adresse"]),
        "city": _optional(row["commune"]),
        "website": None,
        "description": None,
        **_place(
            row["code_departement"],
            row["code_insee"],
            row["code_postal"],
            row["lat_commune"],
            row["lon_commune"],
            geo,
            warnings,
        ),
    }


@dataclass(frozen=True)
class SourceFile:
    """One public file of structures: where it lives and how a row becomes a record."""

    name: str
    path: str  # relative to the data folder
    key_prefix: str


SIAE = SourceFile(name="siae", path="structures/siae_marche_fixture.csv", key_prefix="siae:")
ESAT = SourceFile(name="esat", path="structures/esat_finess.csv", key_prefix="esat:")
SOURCES = {source.name: source for source in (SIAE, ESAT)}
_BUILDERS = {"siae": _siae_record, "esat": _esat_record}
# The columns each builder reads: a file without one of them is refused as a whole.
_COLUMNS = {
    "siae": tuple(
        [
            "siret",
            "kind",
            "nom",
            "enseigne",
            "naf",
            "forme_juridique",
            "adresse",
            "code_postal",
            "ville",
            "code_departement",
            "code_insee",
            "lat",
            "lon",
            "site_web",
            "description",
            "source",
            "updated_at",
        ]
    ),
    "esat": tuple(
        [
            "finess_et",
            "nom",
            "siret",
            "siren",
            "gestionnaire_statut_libelle",
            "adresse",
            "code_postal",
            "code_insee",
            "commune",
            "code_departement",
            "lat_commune",
            "lon_commune",
        ]
    ),
}


def parse_source(source: SourceFile, path: Path, geo: Geography) -> ParsedSource:
    records: list[dict[str, Any]] = []
    rejections: list[Rejection] = []
    warnings: list[Rejection] = []
    first_line_of: dict[str, int] = {}
    build = _BUILDERS[source.name]
    for line, row in _rows(path, _COLUMNS[source.name]):
        if isinstance(row, str):
            rejections.append(Rejection(line, "", row))
            continue
        row_key = row.get("siret") or row.get("finess_et") or ""
        notes: list[str] = []
        try:
            record = build(row, geo, notes)
        except (_RowError, KeyError) as exc:
            reason = str(exc) if isinstance(exc, _RowError) else f"colonne absente {exc}"
            rejections.append(Rejection(line, row_key, reason))
            continue
        key = record["import_key"]
        if key in first_line_of:
            rejections.append(
                Rejection(line, row_key, f"doublon de la ligne {first_line_of[key]} ({key})")
            )
            continue
        first_line_of[key] = line
        records.append(record)
        warnings.extend(Rejection(line, row_key, note) for note in notes)
    if not records:
        # Importing nothing would delist every structure of the source: refused instead.
        first = rejections[0] if rejections else None
        detail = (
            f" ({len(rejections)} lignes rejetées ; ligne {first.line} : {first.reason})"
            if first
            else ""
        )
        raise FileRefused(f"{path.name} ne contient aucune ligne valide{detail}")
    return ParsedSource(records=records, rejections=rejections, warnings=warnings)
