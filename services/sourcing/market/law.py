"""Facts of the Code de la commande publique a buyer acts under, cited as the law cites them."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.domain.reservations import RESERVATION_KINDS, RESERVATION_LABELS, Reservation


def _reservation(reservation: Reservation) -> dict[str, Any]:
    return {
        "article": reservation.value,
        "label": RESERVATION_LABELS[reservation],
        "kinds": [k.value for k in RESERVATION_KINDS[reservation]],
    }


RESERVATION_DISABILITY = _reservation(Reservation.DISABILITY)
RESERVATION_INSERTION = _reservation(Reservation.INSERTION)
MINIMUM_SHARE = {
    "article": "R2113-7",
    "text": "Au moins 50 % de travailleurs handicapés ou défavorisés dans les structures bénéficiaires.",
}
SOCIAL_CLAUSE = {
    "article": "L2112-2",
    "label": "Clause sociale d'exécution : heures d'insertion réalisées par des personnes éloignées de l'emploi",
}
SOCIAL_CRITERION = {
    "article": "L2152-7",
    "label": "Critère d'attribution social (performance en matière d'insertion), voir aussi R2152-7",
}
CLIMATE_LAW = {
    "text": (
        "Loi Climat et Résilience, art. 35 : au plus tard le 22 août 2026, les marchés d'un montant "
        "égal ou supérieur aux seuils européens comportent des considérations sociales."
    ),
    "in_force_from": date(2026, 8, 22).isoformat(),
}
EUROPEAN_THRESHOLDS_2026_2027 = {
    "fournitures_et_services_etat": 140_000,
    "fournitures_et_services_autres_acheteurs": 216_000,
    "fournitures_et_services_entites_adjudicatrices": 432_000,
    "travaux": 5_404_000,
}
