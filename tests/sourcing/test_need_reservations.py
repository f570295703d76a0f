"""A reserved need is matched only with the kinds of structure its article is reserved for."""

from __future__ import annotations

import pytest

from services.sourcing.needs.matching import search_request_for
from services.sourcing.needs.models import Need, NeedKind, NeedStatus
from services.sourcing.search.vocabulary import SearchVocabulary
from tests.support import DATA

DISABILITY = {"EA", "EATT", "ESAT"}
INSERTION = {"EI", "AI", "ACI", "ETTI", "EITI"}


@pytest.mark.parametrize(
    ("reservation", "kinds", "searched"),
    [
        (None, [], set()),
        (None, ["EI", "ESAT"], {"EI", "ESAT"}),
        ("L2113-12", [], DISABILITY),
        ("L2113-13", [], INSERTION),
        ("both", [], DISABILITY | INSERTION),
        ("L2113-13", ["EI", "ESAT"], {"EI"}),
    ],
)
def test_reservation_narrows_the_kinds_searched(
    reservation: str | None, kinds: list[str], searched: set[str]
) -> None:
    need = Need(
        buyer_account_id="acheteur",
        kind=NeedKind.TENDER,
        title="Entretien",
        description="Entretien des espaces verts.",
        sectors=["creation-et-entretien-des-espaces-verts"],
        kinds=kinds,
        reservation=reservation,
        status=NeedStatus.PUBLISHED,
    )
    request = search_request_for(need, SearchVocabulary.load(DATA))
    assert set(request.filters["kind"]) == searched
    assert len(request.filters["kind"]) == len(searched)
