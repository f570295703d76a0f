"""The results page's view of a search: which URL parameters go to the API, the filters with
their facet counts, each card's badges and reasons, the active filters as removable tags, the
map's markers and the pagination."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from services.domain.bands import HEADCOUNT_BANDS, TURNOVER_BANDS
from services.domain.kinds import FAMILY_LABELS, KIND_LABELS, PRESTA_TYPE_LABELS
from services.domain.search import SearchParameters
from services.domain.search_index import MAX_TOTAL_HITS
from services.web.search_places import Place

Pairs = list[tuple[str, str]]
API_NAMES = SearchParameters.names()
PLACE_PARAMS = ("commune", "department", "region")
# Parameters of the page only: the place as typed, « around me » without a position yet.
PAGE_ONLY = ("ou", "autour")
PER_PAGE = 20
RADII = (5, 10, 20, 30, 50, 100, 200)
SORTS = (("pertinence", "Pertinence"), ("distance", "Distance"), ("nom", "Nom"))
_CPV = re.compile(r"^[0-9]{8}$")

RESERVATION_OPTIONS = (
    ("L2113-12", "Réservés handicap (L2113-12 : EA, EATT, ESAT)"),
    ("L2113-13", "Réservés insertion (L2113-13 : SIAE)"),
)
_HEADCOUNT_WORDS = {
    "0-9": "moins de 10 salariés",
    "10-49": "10 à 49 salariés",
    "50-249": "50 à 249 salariés",
    "250+": "250 salariés et plus",
}
_TURNOVER_WORDS = {
    "0-100k": "moins de 100 000 €",
    "100k-500k": "100 000 à 500 000 €",
    "500k-2M": "500 000 € à 2 M€",
    "2M-10M": "2 à 10 M€",
    "10M+": "10 M€ et plus",
}
# name, legend, fixed options (None: the values are the facet's own)
CHOICE_FILTERS: tuple[tuple[str, str, tuple[tuple[str, str], ...] | None], ...] = (
    ("reservation", "Marchés réservés", RESERVATION_OPTIONS),
    ("family", "Famille", tuple((f.value, label) for f, label in FAMILY_LABELS.items())),
    (
        "kind",
        "Type de structure",
        tuple((k.value, f"{label} ({k.value})") for k, label in KIND_LABELS.items()),
    ),
    (
        "presta_type",
        "Type de prestation",
        tuple((p.value, label) for p, label in PRESTA_TYPE_LABELS.items()),
    ),
    (
        "headcount",
        "Effectif en insertion",
        tuple((b, _HEADCOUNT_WORDS.get(b, b)) for _, b in HEADCOUNT_BANDS),
    ),
    (
        "turnover",
        "Chiffre d'affaires",
        tuple((b, _TURNOVER_WORDS.get(b, b)) for _, b in TURNOVER_BANDS),
    ),
    ("network", "Réseaux", None),
    ("label", "Labels", None),
)
FLAG_FILTERS = (
    ("qpv", "Implantée dans une commune avec un quartier prioritaire (QPV)"),
    ("zrr", "Implantée en zone de revitalisation rurale (ZRR)"),
    ("has_offers", "Avec des offres publiées"),
)
_FLAG_TAGS = {"qpv": "QPV", "zrr": "ZRR", "has_offers": "Avec des offres"}
_TAG_NAMES = {
    "kind": "Type",
    "family": "Famille",
    "reservation": "Réservation",
    "presta_type": "Prestation",
    "headcount": "Effectif",
    "turnover": "Chiffre d'affaires",
    "network": "Réseau",
    "label": "Label",
    "sector": "Secteur",
    "sector_group": "Groupe de secteurs",
    "cpv": "CPV",
    "naf": "NAF",
}
# Where an API refusal of a parameter is shown: the form field that sets it.
FIELD_OF = {
    "lat": "radius_km",
    "lng": "radius_km",
    "commune": "ou",
    "department": "ou",
    "region": "ou",
    "q": "q",
    "sector": "q",
    "cpv": "q",
    "sector_group": "q",
}
RADIUS_NEEDS_POINT = (
    "Le rayon se compte autour d'une commune ou de votre position : choisissez une commune "
    "dans « Où ? » ou « Autour de moi », ou retirez le rayon."
)


@dataclass
class SearchUrl:
    """The search as the page's URL holds it (the whole search: shareable, back button)."""

    pairs: Pairs

    @classmethod
    def of(cls, items: Iterable[tuple[str, str]]) -> SearchUrl:
        pairs = [(k, v.strip()) for k, v in items if v.strip()]
        q = next((v for k, v in pairs if k == "q"), "")
        if _CPV.match(q):  # a CPV code typed in « quoi » is a CPV search
            pairs = [(k, v) for k, v in pairs if k != "q"] + [("cpv", q)]
        return cls(pairs)

    def get(self, name: str) -> str:
        return next((v for k, v in self.pairs if k == name), "")

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    @property
    def page(self) -> int:
        value = self.get("page")
        return int(value) if value.isdigit() and 0 < int(value) <= MAX_TOTAL_HITS else 1

    @property
    def has_point(self) -> bool:
        return bool(self.get("lat") and self.get("lng"))

    @property
    def is_empty(self) -> bool:
        return not [k for k, _ in self.pairs if k not in ("page", "sort", "autour")]

    def without(self, name: str, value: str | None = None) -> str:
        """The query string with one value (or every value) of a parameter removed."""
        kept = [
            (k, v)
            for k, v in self.pairs
            if k != "page" and not (k == name and (value is None or v == value))
        ]
        return urlencode(kept)

    def with_page(self, page: int) -> str:
        return urlencode([(k, v) for k, v in self.pairs if k != "page"] + [("page", str(page))])

    @property
    def query(self) -> str:
        return urlencode(self.pairs)

    @property
    def query_without_page(self) -> str:
        return urlencode([(k, v) for k, v in self.pairs if k != "page"])

    def around(self, place: Place | None) -> tuple[float, float] | None:
        """The centre of a radius asked around the commune chosen in « où » (not « around me »,
        whose position the URL holds)."""
        if self.get("radius_km") and not self.has_point and place is not None:
            return place.centre if place.param == "commune" else None
        return None

    def api_params(self, place: Place | None) -> Pairs:
        """What the search API is asked: its own parameters, the resolved place added (or, with
        a radius, the commune's centre)."""
        sent = [(k, v) for k, v in self.pairs if k in API_NAMES and k not in ("page", "per_page")]
        centre = self.around(place)
        if centre is not None:
            sent += [("lat", repr(centre[0])), ("lng", repr(centre[1]))]
        elif place is not None:
            sent += [(place.param, code) for code in place.codes]
        return [*sent, ("page", str(self.page)), ("per_page", str(PER_PAGE))]

    def export_params(self, place: Place | None, file_format: str) -> Pairs:
        sent = [(k, v) for k, v in self.api_params(place) if k not in ("page", "per_page")]
        return [*sent, ("format", file_format)]


def form_errors(by_field: Mapping[str, str]) -> dict[str, str]:
    """The API's messages by field, moved to the form field that sets each parameter."""
    errors: dict[str, str] = {}
    for name, message in by_field.items():
        target = FIELD_OF.get(name, name)
        if name in ("lat", "lng"):
            message = RADIUS_NEEDS_POINT
        errors.setdefault(target, message)
    return errors


@dataclass
class FilterGroup:
    name: str
    legend: str
    options: list[tuple[str, str]]
    chosen: list[str]
    counts: dict[str, int]

    @property
    def open(self) -> bool:
        return bool(self.chosen)


def filter_groups(url: SearchUrl, facets: Mapping[str, Mapping[str, int]]) -> list[FilterGroup]:
    groups = []
    for name, legend, fixed in CHOICE_FILTERS:
        counts = {str(k): int(v) for k, v in facets.get(name, {}).items()}
        chosen = url.getlist(name)
        if fixed is None:
            values = sorted(set(counts) | set(chosen), key=lambda v: (-counts.get(v, 0), v))
            options = [(v, v) for v in values]
        else:
            options = list(fixed)
        if options:
            groups.append(FilterGroup(name, legend, options, chosen, counts))
    return groups


def flag_filters(
    url: SearchUrl, facets: Mapping[str, Mapping[str, int]]
) -> list[tuple[str, str, bool, int | None]]:
    """(name, label, checked, count of « true ») for the yes/no filters."""
    found = []
    for name, label in FLAG_FILTERS:
        count = facets.get(name, {}).get("true")
        found.append((name, label, url.get(name) == "true", count))
    return found


@dataclass
class Tag:
    label: str
    href: str


def active_tags(
    url: SearchUrl,
    place: Place | None,
    sector_names: Mapping[str, str],
    cpv_labels: Mapping[str, str],
) -> list[Tag]:
    labels = dict(CHOICE_FILTERS_LABELS)
    tags = []
    for name, value in url.pairs:
        href = "/recherche?" + url.without(name, value)
        if name == "q":
            tags.append(Tag(f"Mots : {value}", href))
        elif name == "ou":
            tags.append(Tag(f"Lieu : {place.label if place else value}", href))
        elif name in PLACE_PARAMS:
            tags.append(Tag(f"Lieu : {value}", href))
        elif name == "lat":
            around = "/recherche?" + urlencode(
                [(k, v) for k, v in url.pairs if k not in ("lat", "lng", "radius_km", "page")]
            )
            tags.append(Tag("Autour de ma position", around))
        elif name == "radius_km" and place is not None and url.around(place):
            tags.append(Tag(f"À moins de {value} km de {place.label}", href))
        elif name == "radius_km":
            tags.append(Tag(f"Rayon : {value} km", href))
        elif name in _FLAG_TAGS:
            tags.append(Tag(_FLAG_TAGS[name], href))
        elif name == "sector":
            tags.append(Tag(f"Secteur : {sector_names.get(value, value)}", href))
        elif name == "cpv":
            text = cpv_labels.get(value[:8])
            tags.append(Tag(f"CPV {value}" + (f" : {text}" if text else ""), href))
        elif name in _TAG_NAMES:
            shown = labels.get((name, value), value)
            tags.append(Tag(f"{_TAG_NAMES[name]} : {shown}", href))
    return tags


CHOICE_FILTERS_LABELS = [
    ((name, value), label) for name, _, fixed in CHOICE_FILTERS for value, label in (fixed or ())
]


@dataclass
class Card:
    structure: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    badges: list[tuple[str, str]] = field(default_factory=list)  # (text, DSFR badge modifier)


def card_of(hit: dict[str, Any], q: str) -> Card:
    activities = hit.get("activities") or []
    matched = hit.get("matched") or []
    reasons = [str(m.get("detail", "")) for m in matched if m.get("detail")]
    inferred = any(
        isinstance(m.get("activity"), int)
        and 0 <= m["activity"] < len(activities)
        and activities[m["activity"]].get("inferred")
        for m in matched
    )
    if q and not reasons:
        reasons.append(f"Répond aux mots « {q} » (nom, activités ou présentation)")
    badges: list[tuple[str, str]] = []
    for reservation in hit.get("reservations") or []:
        badges.append((f"Réservé {reservation}", "fr-badge--blue-ecume"))
    if hit.get("is_qpv"):
        badges.append(("QPV", "fr-badge--purple-glycine"))
    if hit.get("is_zrr"):
        badges.append(("ZRR", "fr-badge--green-emeraude"))
    if inferred:
        badges.append(("Activités déduites", "fr-badge--warning"))
    distance = hit.get("distance_km")
    if distance is not None:
        badges.append((f"À {_km(distance)}", "fr-badge--info"))
    return Card(hit, reasons, badges)


def _km(value: float) -> str:
    text = f"{float(value):.1f}".replace(".", ",")
    return f"{text.removesuffix(',0')}\u00a0km"


def markers(hits: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The page's results on the map (the list stays the text alternative)."""
    found = []
    for hit in hits:
        location = hit.get("location")
        if not location:
            continue
        found.append(
            {
                "id": hit["id"],
                "name": hit.get("brand") or hit["name"],
                "place": " ".join(p for p in (hit.get("postcode"), hit.get("city")) if p),
                "lat": location["lat"],
                "lng": location["lng"],
                "url": f"/structures/{hit['id']}",
            }
        )
    return found


@dataclass
class PageLink:
    number: int | None  # None: an ellipsis
    href: str
    current: bool = False


@dataclass
class Pagination:
    page: int
    last: int
    links: list[PageLink]
    first_href: str
    previous_href: str | None
    next_href: str | None
    last_href: str


def pagination(url: SearchUrl, page: int, total: int) -> Pagination | None:
    last = min(math.ceil(total / PER_PAGE), MAX_TOTAL_HITS // PER_PAGE)
    if last <= 1:
        return None

    return page_links(page, last, lambda n: "/recherche?" + url.with_page(n))


def page_links(page: int, last: int, href: Callable[[int], str]) -> Pagination:
    """The pager of a list of `last` pages shown at `page`: the first and last pages, two on
    each side of the current one, an ellipsis for each gap."""
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    links: list[PageLink] = []
    for n in shown:
        if links and links[-1].number is not None and n - (links[-1].number or 0) > 1:
            links.append(PageLink(None, ""))
        links.append(PageLink(n, href(n), n == page))
    return Pagination(
        page=page,
        last=last,
        links=links,
        first_href=href(1),
        previous_href=href(page - 1) if page > 1 else None,
        next_href=href(page + 1) if page < last else None,
        last_href=href(last),
    )


def around_label(url: SearchUrl, place: Place | None) -> str | None:
    """« à moins de 10 km de Saint-Denis (93) » when the search counts a radius from a commune."""
    if place is None or url.around(place) is None:
        return None
    return f"à moins de {url.get('radius_km')} km de {place.label}"
