"""Reserved contracts (Code de la commande publique): the article each reservation cites and the
kinds of structure it is reserved for."""

from __future__ import annotations

from enum import StrEnum

from services.domain.kinds import HANDICAP_KINDS, SIAE_KINDS, Kind


class Reservation(StrEnum):
    DISABILITY = "L2113-12"
    INSERTION = "L2113-13"


# A need may be reserved to both families at once.
BOTH = "both"

RESERVATION_KINDS: dict[Reservation, tuple[Kind, ...]] = {
    Reservation.DISABILITY: tuple(k for k in Kind if k in HANDICAP_KINDS),
    Reservation.INSERTION: tuple(k for k in Kind if k in SIAE_KINDS),
}
RESERVATION_LABELS: dict[Reservation, str] = {
    Reservation.DISABILITY: (
        "Marché ou lot réservé aux entreprises adaptées (EA, EATT), aux ESAT et structures équivalentes"
    ),
    Reservation.INSERTION: (
        "Marché ou lot réservé aux structures d'insertion par l'activité économique (SIAE) et équivalentes"
    ),
}


def reservations_of(kind: Kind) -> list[Reservation]:
    """The reservations a structure of this kind may answer."""
    return [r for r, kinds in RESERVATION_KINDS.items() if kind in kinds]


def kinds_reserved_for(reservation: str) -> list[Kind]:
    """The kinds allowed by a reservation article, or by both."""
    if reservation == BOTH:
        return [k for r in Reservation for k in RESERVATION_KINDS[r]]
    return list(RESERVATION_KINDS[Reservation(reservation)])
