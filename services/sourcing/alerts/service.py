"""The rules of saved searches: each owner's own, checked like a search, a baseline recorded at
once so that digests report only what is new; unsubscribing through a signed link."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from anyio import to_thread
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.db import session_scope, utcnow
from services.common.errors import Conflict, InvalidParameter, NotFound
from services.common.identity import Principal
from services.common.mail import mask_email
from services.sourcing.alerts.links import (
    REFUSED,
    UnsubscribeRefused,
    check_token,
    new_salt,
    token_target,
)
from services.sourcing.alerts.models import Frequency, SavedSearch
from services.sourcing.alerts.params import canonical, query_string, refused, search_request
from services.sourcing.alerts.repository import SavedSearchRepository
from services.sourcing.alerts.results import RESULT_CAP, whole_result
from services.sourcing.alerts.schemas import (
    SavedSearchCreate,
    SavedSearchPublic,
    SavedSearchUpdate,
    UnsubscribeStatus,
)
from services.sourcing.favourites.service import name_key

if TYPE_CHECKING:
    from services.sourcing.state import SourcingState

MAX_SAVED_SEARCHES = 20
FREQUENCY_WORDS = {Frequency.DAILY: "quotidiennes", Frequency.WEEKLY: "hebdomadaires"}
T = TypeVar("T")
_transaction = contextmanager(session_scope)


def search_url(website: str, query: str) -> str:
    return f"{website}/recherche" + (f"?{query}" if query else "")


def to_public(row: SavedSearch, website: str) -> SavedSearchPublic:
    assert row.id is not None
    return SavedSearchPublic(
        id=row.id,
        name=row.name,
        params=row.params,
        query=row.query,
        search_url=search_url(website, row.query),
        frequency=row.frequency,
        email=row.owner_email,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_digest_at=row.last_digest_at,
    )


def searches_of(session: Session, principal: Principal, website: str) -> list[SavedSearchPublic]:
    rows = SavedSearchRepository(session).of_owner(principal.account_id)
    return [to_public(row, website) for row in rows]


def own_search(session: Session, principal: Principal, saved_search_id: int) -> SavedSearch:
    row = SavedSearchRepository(session).get(saved_search_id)
    # Another account's saved search does not exist for you, staff included.
    if row is None or row.owner_account_id != principal.account_id:
        raise NotFound(f"Aucune recherche enregistrée n° {saved_search_id}.")
    return row


def delete_search(session: Session, principal: Principal, saved_search_id: int) -> None:
    SavedSearchRepository(session).delete(own_search(session, principal, saved_search_id))


def _needs_address(frequency: Frequency, email: str | None) -> None:
    if frequency != Frequency.NONE and not email:
        raise InvalidParameter(
            "frequency",
            "aucune adresse e-mail n'est connue pour ce compte : choisissez « none »",
            "body",
        )


def _free_name(repository: SavedSearchRepository, owner: str, name: str, own_id: int | None) -> str:
    key = name_key(name)
    existing = repository.by_name(owner, key)
    if existing is not None and existing.id != own_id:
        raise Conflict(f"Vous avez déjà une recherche enregistrée nommée « {existing.name} ».")
    return key


def _room(repository: SavedSearchRepository, owner: str) -> None:
    if repository.count(owner) >= MAX_SAVED_SEARCHES:
        raise Conflict(
            f"Vous avez atteint le nombre maximal de recherches enregistrées "
            f"({MAX_SAVED_SEARCHES}) : supprimez-en une avant d'en enregistrer une autre."
        )


def _written(state: SourcingState, write: Callable[[Session], T]) -> T:
    with _transaction(state.engine) as session:
        try:
            return write(session)
        except IntegrityError as exc:  # the same name saved at the same moment elsewhere
            raise Conflict("Une recherche de ce nom vient d'être enregistrée ; réessayez.") from exc


async def _result_ids(state: SourcingState, params: dict[str, list[str]]) -> list[int]:
    found, total = await whole_result(
        state.search_engine, search_request(params, state.vocabulary), RESULT_CAP
    )
    if total > RESULT_CAP:
        raise refused(
            f"recherche trop large ({total} structures, au plus {RESULT_CAP}) : "
            "précisez un territoire, un domaine ou un type de structure"
        )
    return [f.id for f in found]


async def save_search(
    state: SourcingState, principal: Principal, payload: SavedSearchCreate
) -> SavedSearchPublic:
    params = canonical(payload.params)
    search_request(params, state.vocabulary)
    _needs_address(payload.frequency, principal.email)
    owner = principal.account_id

    def check(session: Session) -> None:
        repository = SavedSearchRepository(session)
        _room(repository, owner)
        _free_name(repository, owner, payload.name, None)

    # Refused before the search is run, when it cannot be saved anyway.
    await to_thread.run_sync(_written, state, check)
    baseline = await _result_ids(state, params)

    def write(session: Session) -> SavedSearchPublic:
        repository = SavedSearchRepository(session)
        _room(repository, owner)
        row = SavedSearch(
            owner_account_id=owner,
            owner_email=principal.email,
            name=payload.name,
            name_key=_free_name(repository, owner, payload.name, None),
            params=params,
            query=query_string(params),
            frequency=payload.frequency,
            link_salt=new_salt(),
        )
        repository.save(row)
        assert row.id is not None
        repository.account_for(row.id, baseline, None)
        return to_public(row, state.settings.website)

    return await to_thread.run_sync(_written, state, write)


async def amend(
    state: SourcingState, principal: Principal, saved_search_id: int, payload: SavedSearchUpdate
) -> SavedSearchPublic:
    given = payload.model_fields_set
    for name in sorted(given):
        if getattr(payload, name) is None:
            raise InvalidParameter(name, "ne peut être vide : omettez-le pour le garder", "body")
    params = canonical(payload.params) if payload.params is not None else None
    if params is not None:
        search_request(params, state.vocabulary)
    current = await to_thread.run_sync(
        _written, state, lambda session: own_search(session, principal, saved_search_id)
    )
    frequency = payload.frequency or current.frequency
    _needs_address(frequency, principal.email or current.owner_email)
    # The structures the new parameters find are its new baseline, not news.
    widened = await _result_ids(state, params) if params and params != current.params else []

    def write(session: Session) -> SavedSearchPublic:
        repository = SavedSearchRepository(session)
        row = own_search(session, principal, saved_search_id)
        if payload.name is not None:
            row.name_key = _free_name(repository, row.owner_account_id, payload.name, row.id)
            row.name = payload.name
        if params is not None:
            row.params, row.query = params, query_string(params)
            assert row.id is not None
            known = repository.known_structures(row.id)
            repository.account_for(row.id, [s for s in widened if s not in known], None)
        if payload.frequency is not None:
            if payload.frequency != Frequency.NONE:
                row.unsubscribed_at = None
            row.frequency = payload.frequency
        row.owner_email = principal.email or row.owner_email
        row.updated_at, row.version = utcnow(), row.version + 1
        repository.save(row)
        return to_public(row, state.settings.website)

    return await to_thread.run_sync(_written, state, write)


def read_search(
    session: Session, principal: Principal, saved_search_id: int, website: str
) -> SavedSearchPublic:
    return to_public(own_search(session, principal, saved_search_id), website)


def _by_token(session: Session, secret: str, token: str) -> SavedSearch:
    row = SavedSearchRepository(session).get(token_target(token))
    if row is None:
        raise UnsubscribeRefused(REFUSED)
    assert row.id is not None
    check_token(secret, token, row.id, row.link_salt)
    return row


def _status(row: SavedSearch) -> UnsubscribeStatus:
    subscribed = row.frequency != Frequency.NONE
    message = (
        f"Ce lien arrête les alertes {FREQUENCY_WORDS[row.frequency]} de la recherche "
        f"« {row.name} »."
        if subscribed
        else f"Les alertes de la recherche « {row.name} » sont arrêtées."
    )
    return UnsubscribeStatus(
        name=row.name,
        frequency=row.frequency,
        email=mask_email(row.owner_email) if row.owner_email else None,
        subscribed=subscribed,
        message=message,
    )


def describe_unsubscribe(session: Session, secret: str, token: str) -> UnsubscribeStatus:
    return _status(_by_token(session, secret, token))


def unsubscribe(session: Session, secret: str, token: str) -> UnsubscribeStatus:
    """Stops the digests; once stopped, the same link only says so."""
    row = _by_token(session, secret, token)
    if row.frequency != Frequency.NONE:
        row.frequency, row.unsubscribed_at = Frequency.NONE, utcnow()
        row.updated_at, row.version = utcnow(), row.version + 1
        SavedSearchRepository(session).save(row)
    return _status(row)
