"""Finding a structure before claiming it: by SIRET, by SIREN (or FINESS), or by name."""

from __future__ import annotations

import re

from sqlmodel import Session

from services.catalog.ownership.repository import OwnershipRepository
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.schemas import ClaimState, LookupHit
from services.common.errors import Forbidden, InvalidParameter
from services.common.identity import Principal
from services.common.text import fold
from services.domain.kinds import KIND_LABELS, Kind

LOOKUP_LIMIT = 20
_SEPARATORS = re.compile(r"[\s.\-]")
_DIGITS = re.compile(r"[0-9]+")
MAX_WORDS = 8


def lookup(
    session: Session,
    principal: Principal,
    q: str,
    department: str | None,
    include_inactive: bool,
) -> list[LookupHit]:
    if include_inactive and not principal.is_staff:
        raise Forbidden(
            "Les structures retirées ne sont visibles que de l'équipe de la plateforme."
        )
    digits = _SEPARATORS.sub("", q)
    number = _DIGITS.fullmatch(digits) is not None
    siret = digits if number and len(digits) == 14 else None
    siren = digits if number and len(digits) == 9 else None
    words = [] if siret or siren else fold(q).split()[:MAX_WORDS]
    if not (siret or siren or words):
        raise InvalidParameter(
            "q", "saisissez un SIRET (14 chiffres), un SIREN (9 chiffres) ou un nom"
        )
    rows = StructureRepository(session).lookup(
        siret=siret,
        siren=siren,
        words=words,
        department=department,
        include_inactive=include_inactive,
        limit=LOOKUP_LIMIT,
    )
    ids = [s.id for s in rows if s.id is not None]
    ownership = OwnershipRepository(session)
    managed = ownership.managed_among(ids)
    mine = ownership.memberships_of(principal.account_id, ids)
    claims = ownership.latest_claims(principal.account_id, ids)
    hits = []
    for structure in rows:
        assert structure.id is not None
        claim = claims.get(structure.id)
        hits.append(
            LookupHit(
                id=structure.id,
                name=structure.name,
                brand=structure.brand,
                siret=structure.siret,
                kind=structure.kind,
                kind_label=KIND_LABELS[Kind(structure.kind)],
                city=structure.city,
                department=structure.department_code,
                is_active=structure.is_active,
                managed=structure.id in managed,
                mine=structure.id in mine,
                claim=ClaimState(id=claim.id or 0, status=claim.status) if claim else None,
            )
        )
    return hits
