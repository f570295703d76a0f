"""The rules of favourite lists: each owner's own, names unique per owner, sizes capped."""

from __future__ import annotations

import re
from dataclasses import asdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.identity import Principal
from services.sourcing.favourites.catalog import StructureSnapshot
from services.sourcing.favourites.models import FavouriteList, FavouriteStructure
from services.sourcing.favourites.repository import FavouriteRepository
from services.sourcing.favourites.schemas import (
    FavouriteListPublic,
    FavouriteListSummary,
    FavouriteStructurePublic,
)

MAX_LISTS = 50
MAX_STRUCTURES = 500
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """What makes two names the same name: case and runs of spaces do not count."""
    return _SPACES.sub(" ", name.strip()).casefold()[:100]


def _summary(row: FavouriteList, count: int) -> FavouriteListSummary:
    assert row.id is not None
    return FavouriteListSummary(
        id=row.id, name=row.name, count=count, created_at=row.created_at, updated_at=row.updated_at
    )


def _entry(row: FavouriteStructure) -> FavouriteStructurePublic:
    return FavouriteStructurePublic.model_validate(row, from_attributes=True)


def lists_of(session: Session, principal: Principal) -> list[FavouriteListSummary]:
    return [
        _summary(row, count)
        for row, count in FavouriteRepository(session).lists_of(principal.account_id)
    ]


def own_list(session: Session, principal: Principal, list_id: int) -> FavouriteList:
    row = FavouriteRepository(session).get(list_id)
    # Another account's list does not exist for you, staff included: lists are private.
    if row is None or row.owner_account_id != principal.account_id:
        raise NotFound(f"Aucune liste de favoris n° {list_id}.")
    return row


def _free_name(repository: FavouriteRepository, owner: str, name: str, list_id: int | None) -> str:
    key = name_key(name)
    existing = repository.by_name(owner, key)
    if existing is not None and existing.id != list_id:
        raise Conflict(f"Vous avez déjà une liste nommée « {existing.name} ».", field="name")
    return key


def _flushed(repository: FavouriteRepository, row: FavouriteList) -> None:
    try:
        repository.save(row)
    except IntegrityError as exc:  # the same name saved at the same moment by another request
        raise Conflict(f"Vous avez déjà une liste nommée « {row.name} ».", field="name") from exc


def create_list(session: Session, principal: Principal, name: str) -> FavouriteListSummary:
    repository = FavouriteRepository(session)
    owner = principal.account_id
    if repository.count_lists(owner) >= MAX_LISTS:
        raise Conflict(
            f"Vous avez atteint le nombre maximal de listes ({MAX_LISTS}) : "
            "supprimez-en une avant d'en créer une autre."
        )
    row = FavouriteList(
        owner_account_id=owner, name=name, name_key=_free_name(repository, owner, name, None)
    )
    _flushed(repository, row)
    return _summary(row, 0)


def rename_list(
    session: Session, principal: Principal, list_id: int, name: str
) -> FavouriteListSummary:
    repository = FavouriteRepository(session)
    row = own_list(session, principal, list_id)
    row.name_key = _free_name(repository, principal.account_id, name, list_id)
    row.name, row.updated_at = name, utcnow()
    _flushed(repository, row)
    return _summary(row, repository.count_structures(list_id))


def delete_list(session: Session, principal: Principal, list_id: int) -> None:
    FavouriteRepository(session).delete(own_list(session, principal, list_id))


def read_list(session: Session, principal: Principal, list_id: int) -> FavouriteListPublic:
    row = own_list(session, principal, list_id)
    structures = [_entry(s) for s in FavouriteRepository(session).structures(list_id)]
    return FavouriteListPublic(**_summary(row, len(structures)).model_dump(), structures=structures)


def list_structures(
    session: Session, principal: Principal, list_id: int
) -> tuple[FavouriteList, list[FavouriteStructure]]:
    row = own_list(session, principal, list_id)
    return row, list(FavouriteRepository(session).structures(list_id))


def present(
    session: Session, principal: Principal, list_id: int, structure_id: int
) -> FavouriteStructurePublic | None:
    """The structure's entry when it is in the list already (the list must be the caller's)."""
    own_list(session, principal, list_id)
    found = FavouriteRepository(session).structure(list_id, structure_id)
    return _entry(found) if found else None


def add_structure(
    session: Session, principal: Principal, list_id: int, snapshot: StructureSnapshot
) -> tuple[FavouriteStructurePublic, bool]:
    """The list's entry for the structure, and whether it was added now (adding twice is a
    no-op)."""
    repository = FavouriteRepository(session)
    row = own_list(session, principal, list_id)
    existing = repository.structure(list_id, snapshot.structure_id)
    if existing is not None:
        return _entry(existing), False
    if repository.count_structures(list_id) >= MAX_STRUCTURES:
        raise Conflict(
            f"La liste « {row.name} » compte déjà {MAX_STRUCTURES} structures, le maximum : "
            "créez une autre liste."
        )
    entry = FavouriteStructure(list_id=list_id, **asdict(snapshot))
    row.updated_at = utcnow()
    try:
        repository.save(entry, row)
    except IntegrityError as exc:
        raise Conflict(
            "Cette structure vient d'être ajoutée à la liste par une autre requête."
        ) from exc
    return _entry(entry), True


def remove_structure(
    session: Session, principal: Principal, list_id: int, structure_id: int
) -> None:
    repository = FavouriteRepository(session)
    row = own_list(session, principal, list_id)
    entry = repository.structure(list_id, structure_id)
    if entry is None:
        raise NotFound(f"La structure n° {structure_id} n'est pas dans la liste « {row.name} ».")
    row.updated_at = utcnow()
    repository.delete(entry)
    repository.save(row)
