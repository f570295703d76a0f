"""A saved search's parameters: read as the search endpoint reads its query string, checked with
the same model and vocabulary, kept in one canonical form."""

from __future__ import annotations

import typing
from dataclasses import fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from services.common.errors import InvalidParameter
from services.domain.search import SearchParameters as PublicSearchParameters
from services.sourcing.search.request import SearchParameters
from services.sourcing.search.service import SearchRequest
from services.sourcing.search.vocabulary import SearchVocabulary

# Paging says which part of a result to show: a saved search is the whole result.
NOT_SAVED = frozenset({"page", "per_page"})
# The saved query string's column, and what a link in an e-mail can reasonably carry.
MAX_QUERY = 4000
_HINTS = typing.get_type_hints(PublicSearchParameters, include_extras=True)
SAVED_FIELDS = [f for f in fields(PublicSearchParameters) if f.name not in NOT_SAVED]
_LISTS = frozenset(
    f.name for f in SAVED_FIELDS if "list[" in str(typing.get_args(_HINTS[f.name])[0])
)
# The search's own parameter declarations (types, bounds, lengths), unknown names refused.
_MODEL: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "SavedSearchParameters",
    __config__=ConfigDict(extra="forbid"),
    **{f.name: (_HINTS[f.name], f.default) for f in SAVED_FIELDS},
)


def refused(message: str, *names: str) -> RequestValidationError:
    """A refusal worded like the search's own, pointing at `params[.<name>]` in the body."""
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("body", "params", *names),
                "msg": message,
                "input": None,
                "ctx": {"error": message},
            }
        ]
    )


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise refused("doit être un texte, un nombre, true ou false, ou une liste de textes", name)


def _pairs(raw: dict[str, Any] | str) -> list[tuple[str, str]]:
    """The parameters as (name, value) pairs, as a query string gives them."""
    if isinstance(raw, str):
        return parse_qsl(raw.strip().removeprefix("?"), keep_blank_values=True)
    pairs = []
    for name, value in raw.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                pairs.append((name, _text(name, item)))
    return pairs


def canonical(raw: dict[str, Any] | str) -> dict[str, list[str]]:
    """{name: [values]} in the search's own order, empty values left out; anything the search
    would refuse is refused here, named `params.<name>`."""
    given: dict[str, list[str]] = {}
    for name, value in _pairs(raw):
        if name in NOT_SAVED:
            raise refused("sans objet : une recherche enregistrée porte sur tout le résultat", name)
        if value.strip():
            given.setdefault(name, []).append(value.strip())
    values: dict[str, Any] = {}
    for name, items in given.items():
        if name not in _LISTS and len(items) > 1:
            raise refused("une seule valeur attendue", name)
        values[name] = items if name in _LISTS else items[0]
    try:
        _MODEL.model_validate(values)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", "params", *error["loc"])} for error in exc.errors()]
        ) from exc
    order = [f.name for f in SAVED_FIELDS]
    params = {name: given[name] for name in order if name in given}
    if len(query_string(params)) > MAX_QUERY:
        raise refused(f"trop de valeurs : au plus {MAX_QUERY} caractères une fois en adresse")
    return params


def query_string(params: dict[str, list[str]]) -> str:
    return urlencode([(name, value) for name, values in params.items() for value in values])


def search_request(params: dict[str, list[str]], vocabulary: SearchVocabulary) -> SearchRequest:
    """The search the saved parameters stand for, checked against today's vocabulary."""
    values: dict[str, Any] = {
        name: items if name in _LISTS else items[0] for name, items in params.items()
    }
    checked = _MODEL.model_validate(values)
    parameters = SearchParameters(**checked.model_dump(exclude_unset=True))
    # The search reads unknown names from the request's query string: it is given one.
    scope = {"type": "http", "query_string": query_string(params).encode(), "headers": []}
    try:
        return parameters.to_request(Request(scope), vocabulary)
    except InvalidParameter as exc:
        error = exc.extra["errors"][0]
        raise refused(str(error["detail"]), str(error["field"])) from exc
