"""Reading a DECP file contract by contract, JSON or CSV, never whole in memory.

JSON (schema 2.x): `{"marches": {"marche": [...]}}`, `{"marches": [...]}` or a bare list; awardees
as `[{"id", "typeIdentifiant"}]` or `[{"titulaire": {...}}]`, subcontracting acts as
`[{"acteSousTraitance": {"sousTraitant": {...}}}]` or unwrapped, social considerations as a list,
`{"considerationSociale": [...]}` or a string. CSV (the consolidated, flattened form): one row per
contract and awardee, consecutive rows of the same contract merged; column names with `.` or `_`
(`acheteur.id` or `acheteur_id`)."""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import ijson

from services.catalog.imports.identifiers import siret_problem
from services.catalog.imports.sources import Rejection

SOCIAL_VALUES = {
    "clause sociale": "clause_sociale",
    "critère social": "critere_social",
    "critere social": "critere_social",
    "marché réservé": "marche_reserve",
    "marche reserve": "marche_reserve",
}
_NONE_SOCIAL = "pas de considération sociale"
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
MAX_ID = 80
# A buyer notifies many contracts: its SIRET is checked once.
_buyer_siret_problem = functools.lru_cache(maxsize=65_536)(siret_problem)


class DecpFileRefused(Exception):
    """The file cannot be read as DECP at all (not JSON nor CSV, broken JSON, no known column)."""


@dataclass
class Partner:
    role: str  # "titulaire" | "sous_traitant"
    id_type: str
    ident: str

    @property
    def siren(self) -> str | None:
        if self.id_type == "SIRET" and len(self.ident) == 14 and self.ident.isdigit():
            return self.ident[:9]
        return None


@dataclass
class ContractRecord:
    uid: str
    market_id: str
    buyer_siret: str
    buyer_name: str | None
    notified_on: date
    amount_eur: float
    nature: str | None
    cpv: str | None
    place_type: str | None
    place_code: str | None
    social: frozenset[str]
    partners: list[Partner] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.notified_on.year

    def fingerprint(self) -> str:
        parts = [
            self.buyer_siret,
            self.buyer_name or "",
            self.notified_on.isoformat(),
            repr(self.amount_eur),
            self.nature or "",
            self.cpv or "",
            self.place_type or "",
            self.place_code or "",
            ",".join(sorted(self.social)),
            *sorted(f"{p.role}:{p.id_type}:{p.ident}" for p in self.partners),
        ]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


# What a reader yields: the contract's position in the file (line in CSV, rank in JSON), then
# the record or the reason it was refused.
Read = tuple[int, ContractRecord | Rejection]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _amount(value: Any) -> float | str:
    """The amount, or why it cannot be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "montant manquant"
    if isinstance(value, bool):
        return f"montant illisible : « {value} »"
    if isinstance(value, int | float):
        amount = float(value)
    else:
        text = str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            amount = float(text)
        except ValueError:
            return f"montant illisible : « {str(value)[:40]} »"
    if amount != amount or amount in (float("inf"), float("-inf")):
        return f"montant illisible : « {str(value)[:40]} »"
    if amount <= 0:
        return f"montant nul ou négatif : {amount:g}"
    return amount


def _date(value: Any) -> date | str:
    text = _text(value)
    if text is None:
        return "date de notification manquante"
    match = _DATE.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return f"date de notification illisible : « {text[:40]} » (attendu AAAA-MM-JJ)"


def _social(value: Any) -> frozenset[str] | str:
    if isinstance(value, dict):
        value = value.get("considerationSociale", [])
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = re.split(r"[,;|]", value)
    if not isinstance(value, list):
        return f"considérations sociales illisibles : « {str(value)[:40]} »"
    found = set()
    for item in value:
        text = (_text(item) or "").lower()
        if not text or text == _NONE_SOCIAL:
            continue
        code = SOCIAL_VALUES.get(text)
        if code is None:
            return f"considération sociale inconnue : « {text[:40]} »"
        found.add(code)
    return frozenset(found)


def _partner(role: str, value: Any) -> Partner | None:
    if not isinstance(value, dict):
        return None
    inner = value.get("titulaire") or value.get("sousTraitant") or value
    if isinstance(inner, dict) and "acteSousTraitance" in inner:
        inner = inner["acteSousTraitance"]
    if isinstance(inner, dict) and isinstance(inner.get("sousTraitant"), dict):
        inner = inner["sousTraitant"]
    if not isinstance(inner, dict):
        return None
    ident = _text(inner.get("id"))
    if ident is None:
        return None
    id_type = (_text(inner.get("typeIdentifiant")) or "SIRET").upper()
    ident = ident.replace(" ", "")
    return Partner(role, id_type[:16], ident[:32])


def record(position: int, raw: dict[str, Any]) -> Read:
    """One contract checked and normalised, or refused with its reason in French."""
    market_id = _text(raw.get("id"))
    key = market_id or ""
    if market_id is None:
        return position, Rejection(position, key, "identifiant du marché (id) manquant")
    if len(market_id) > MAX_ID:
        return position, Rejection(
            position, key[:40], f"identifiant du marché trop long ({len(market_id)} caractères)"
        )
    buyer = raw.get("acheteur")
    buyer = buyer if isinstance(buyer, dict) else {}
    buyer_siret = (_text(buyer.get("id")) or "").replace(" ", "")
    if not buyer_siret:
        return position, Rejection(position, key, "SIRET de l'acheteur manquant")
    problem = _buyer_siret_problem(buyer_siret)
    if problem:
        return position, Rejection(
            position, key, f"SIRET de l'acheteur « {buyer_siret[:20]} » : {problem}"
        )
    amount = _amount(raw.get("montant"))
    if isinstance(amount, str):
        return position, Rejection(position, key, amount)
    notified = _date(raw.get("dateNotification"))
    if isinstance(notified, str):
        return position, Rejection(position, key, notified)
    social = _social(raw.get("considerationsSociales"))
    if isinstance(social, str):
        return position, Rejection(position, key, social)
    place = raw.get("lieuExecution")
    place = place if isinstance(place, dict) else {}
    partners: list[Partner] = []
    for role, entries in (
        ("titulaire", raw.get("titulaires")),
        ("sous_traitant", raw.get("actesSousTraitance")),
    ):
        if isinstance(entries, dict):
            entries = [entries]
        for entry in entries if isinstance(entries, list) else []:
            partner = _partner(role, entry)
            if partner is not None:
                partners.append(partner)
    cpv, name, nature = _text(raw.get("codeCPV")), _text(buyer.get("nom")), _text(raw.get("nature"))
    return position, ContractRecord(
        uid=f"{buyer_siret}-{market_id}",
        market_id=market_id,
        buyer_siret=buyer_siret,
        buyer_name=name[:255] if name else None,
        notified_on=notified,
        amount_eur=amount,
        nature=nature[:64] if nature else None,
        cpv=cpv[:10] if cpv else None,
        place_type=(_text(place.get("typeCode")) or "")[:32] or None,
        place_code=(_text(place.get("code")) or "")[:16] or None,
        social=social,
        partners=partners,
    )


# --- JSON ------------------------------------------------------------------------------------


def _json_prefix(head: str) -> str:
    """Where the contracts are, read from the file's first characters."""
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "item"
    wrapped = re.match(r'\{\s*"marches"\s*:\s*([\[{])', text)
    if not wrapped:
        raise DecpFileRefused("le fichier JSON ne commence pas par « marches »")
    if wrapped[1] == "[":
        return "marches.item"
    inner = re.match(r'\{\s*"marches"\s*:\s*\{\s*"marche"\s*:\s*([\[{])', text)
    if not inner:
        raise DecpFileRefused("« marches » ne contient pas de liste « marche »")
    return "marches.marche.item" if inner[1] == "[" else "marches.marche"


def read_json(handle: IO[bytes], head: str) -> Iterator[Read]:
    prefix = _json_prefix(head)
    position = 0
    try:
        for raw in ijson.items(handle, prefix, use_float=True):
            position += 1
            if not isinstance(raw, dict):
                yield position, Rejection(position, "", "le marché n'est pas un objet JSON")
                continue
            yield record(position, raw)
    except ijson.JSONError as exc:
        raise DecpFileRefused(
            f"JSON illisible après le marché n° {position} ({str(exc)[:120]})"
        ) from exc


# --- CSV -------------------------------------------------------------------------------------


def _column(name: str) -> str:
    return name.strip().lstrip("\ufeff").replace(".", "_")


def _raw_from_row(row: dict[str, str]) -> dict[str, Any]:
    def get(*names: str) -> str | None:
        for name in names:
            if name in row and row[name] not in (None, ""):
                return row[name]
        return None

    titulaires = []
    if get("titulaire_id", "titulaires_id"):
        titulaires.append(
            {
                "id": get("titulaire_id", "titulaires_id"),
                "typeIdentifiant": get("titulaire_typeIdentifiant", "titulaires_typeIdentifiant"),
            }
        )
    subcontractors = []
    if get("sousTraitant_id", "actesSousTraitance_sousTraitant_id"):
        subcontractors.append(
            {
                "id": get("sousTraitant_id", "actesSousTraitance_sousTraitant_id"),
                "typeIdentifiant": get(
                    "sousTraitant_typeIdentifiant",
                    "actesSousTraitance_sousTraitant_typeIdentifiant",
                ),
            }
        )
    return {
        "id": get("id"),
        "acheteur": {"id": get("acheteur_id"), "nom": get("acheteur_nom")},
        "nature": get("nature"),
        "codeCPV": get("codeCPV"),
        "lieuExecution": {
            "code": get("lieuExecution_code"),
            "typeCode": get("lieuExecution_typeCode"),
        },
        "dateNotification": get("dateNotification"),
        "montant": get("montant"),
        "considerationsSociales": get(
            "considerationsSociales", "considerationsSociales_considerationSociale"
        )
        or [],
        "titulaires": titulaires,
        "actesSousTraitance": subcontractors,
    }


def read_csv(handle: IO[bytes], head: str) -> Iterator[Read]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    first_line = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = [_column(name) for name in next(reader)]
    except StopIteration:
        return
    if "id" not in header or "acheteur_id" not in header:
        raise DecpFileRefused("colonnes « id » et « acheteur.id » (ou acheteur_id) introuvables")
    pending: dict[str, Any] | None = None
    pending_key: tuple[str | None, str | None] = (None, None)
    pending_line = 0
    for values in reader:
        line = reader.line_num
        if not any(values):
            continue
        raw = _raw_from_row(dict(zip(header, values, strict=False)))
        key = (raw["id"], raw["acheteur"]["id"])
        if pending is not None and key == pending_key and key[0] is not None:
            pending["titulaires"].extend(raw["titulaires"])
            pending["actesSousTraitance"].extend(raw["actesSousTraitance"])
            continue
        if pending is not None:
            yield record(pending_line, pending)
        pending, pending_key, pending_line = raw, key, line
    if pending is not None:
        yield record(pending_line, pending)


# --- either ----------------------------------------------------------------------------------


def _head(handle: IO[bytes]) -> str:
    head = codecs.decode(handle.read(4096), "utf-8", errors="ignore")
    handle.seek(0)
    return head


def file_format(path: Path) -> str:
    """ "json" or "csv", told apart by the first character."""
    with path.open("rb") as handle:
        first = _head(handle).lstrip("\ufeff \t\r\n")[:1]
    return "json" if first in ("{", "[") else "csv"


def read_contracts(path: Path) -> Iterator[Read]:
    """The file's contracts in order: positions are lines in CSV, ranks (from 1) in JSON."""
    fmt = file_format(path)
    with path.open("rb") as handle:
        head = _head(handle)
        if fmt == "json":
            yield from read_json(handle, head)
        elif head.strip():
            yield from read_csv(handle, head)
