"""The ranking page's model: its filters read from the address (and checked against the published
method before the API sees them), the rows, the chart of their shares, the pages, the links."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from services.web.charts import Bar, share_bars
from services.web.search_view import Pagination, page_links
from services.web.templating import number, query

PER_PAGE = 50
CHART_ROWS = 15
CHART_ROWS_PER_BAND = 5
FILTERS = ("annee", "region", "categorie", "tranche")


def percent(share: float | None) -> str:
    """0.4253 → « 42,5 % » (the API's shares are fractions rounded to four decimals)."""
    if share is None:
        return ""
    return f"{number(float(share) * 100, 1)}\u202f%"


def ordinal(rank: int) -> Markup:
    """1 → 1<sup>er</sup>, 2 → 2<sup>e</sup> (French ordinals)."""
    return Markup("{}<sup>{}</sup>").format(rank, "er" if rank == 1 else "e")


@dataclass
class RankingQuery:
    """What the visitor asked for, as typed (`values`), and what the API is sent (`params`)."""

    values: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1

    @property
    def filters(self) -> list[tuple[str, str]]:
        return [(k, self.values[k]) for k in FILTERS if self.values.get(k)]

    def href(self, **changes: Any) -> str:
        kept = query(self.filters, **changes)
        return "/classement" + (f"?{kept}" if kept else "")

    @property
    def export_href(self) -> str:
        return "/classement/export?" + query(self.filters)


def read_query(
    items: Sequence[tuple[str, str]], method: dict[str, Any], regions: dict[str, str]
) -> RankingQuery:
    """The filters of the address; a value the method does not know is refused beside its field
    (in French) rather than sent to the API."""
    given = {k: v.strip() for k, v in items if k in (*FILTERS, "page")}
    wanted = RankingQuery(values={k: v for k, v in given.items() if k in FILTERS and v})
    year = wanted.values.get("annee")
    if year:
        if re.fullmatch(r"\d{4}", year) and 2000 <= int(year) <= 2100:
            wanted.params["year"] = int(year)
        else:
            wanted.errors["annee"] = "Indiquez une année sur quatre chiffres, par exemple 2025."
    region = wanted.values.get("region")
    if region:
        if re.fullmatch(r"\d{2}", region) and (not regions or region in regions):
            wanted.params["region"] = region
        else:
            wanted.errors["region"] = "Choisissez une région de la liste."
    category = wanted.values.get("categorie")
    if category:
        if category in {c["code"] for c in method.get("categories", [])}:
            wanted.params["category"] = category
        else:
            wanted.errors["categorie"] = "Choisissez une catégorie d'acheteur de la liste."
    band = wanted.values.get("tranche")
    if band:
        if band in {b["code"] for b in method.get("bands", [])}:
            wanted.params["band"] = band
        else:
            wanted.errors["tranche"] = "Choisissez une tranche de taille de la liste."
    page = given.get("page", "")
    if page:
        if page.isdigit() and 1 <= int(page) <= 100_000:
            wanted.page = int(page)
        else:
            wanted.errors["page"] = "Le numéro de page doit être un nombre entier positif."
    wanted.params.update({"page": wanted.page, "per_page": PER_PAGE})
    return wanted


def pagination(wanted: RankingQuery, total: int) -> Pagination | None:
    last = math.ceil(total / PER_PAGE)
    if last <= 1:
        return None
    return page_links(
        min(wanted.page, last), last, lambda n: wanted.href(page=n if n > 1 else None)
    )


def chart(
    items: Sequence[dict[str, Any]], year: int | None, *, chart_id: str, band_label: str, rows: int
) -> Markup:
    """The social share of the first ranked buyers of one band on this page, as bars."""
    ranked = [item for item in items if item.get("rank") is not None][:rows]
    bars = [
        Bar(
            f"{item['rank']}. {item['name']}",
            float(item["social_share"]),
            percent(item["social_share"]),
        )
        for item in ranked
    ]
    return share_bars(
        bars,
        chart_id=chart_id,
        title=f"Part des marchés avec considération sociale en {year}, {band_label} : "
        f"les {len(bars)} premiers classés de cette page",
    )


def band_slug(code: str) -> str:
    """« 200+ » → « 200-plus »: a band's code as it can appear in an element's id."""
    return code.replace("+", "-plus")


@dataclass
class BandGroup:
    """The buyers of one size band on this page, ranked among themselves: a heading, a chart
    of its first ranked, a table."""

    code: str
    slug: str
    label: str
    total: int
    ranked: int
    rows: list[tuple[dict[str, Any], dict[str, Any] | None]]
    chart: Markup
    continued: bool  # the band began on an earlier page


def band_groups(
    found: dict[str, Any], record: dict[str, dict[str, Any]], one_band: bool
) -> list[BandGroup]:
    """The page's rows cut where the band changes (the API lists band by band, largest first),
    each group with its band's counts within the filters; the chart shows the first
    `CHART_ROWS` ranked when one band is shown, fewer per band otherwise."""
    counts = {b["code"]: b for b in found.get("bands", [])}
    starts: dict[str, int] = {}  # where each band begins in the whole list
    for band in found.get("bands", []):
        starts[band["code"]] = sum(int(b["total"]) for b in found["bands"][: len(starts)])
    offset = (int(found.get("page", 1)) - 1) * int(found.get("per_page", PER_PAGE))
    groups: list[BandGroup] = []
    for item in found["items"]:
        if not groups or groups[-1].code != item["band"]:
            band = counts.get(item["band"], {})
            groups.append(
                BandGroup(
                    code=item["band"],
                    slug=band_slug(item["band"]),
                    label=item["band_label"],
                    total=int(band.get("total", 0)),
                    ranked=int(band.get("ranked", 0)),
                    rows=[],
                    chart=Markup(""),
                    continued=not groups and starts.get(item["band"], offset) < offset,
                )
            )
        groups[-1].rows.append((item, declared(record, item["siret"])))
    per_band = CHART_ROWS if one_band or len(groups) == 1 else CHART_ROWS_PER_BAND
    for group in groups:
        group.chart = chart(
            [item for item, _ in group.rows],
            found.get("year"),
            chart_id=f"graphique-classement-{group.slug}",
            band_label=group.label,
            rows=per_band,
        )
    return groups


def record_index(record: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The platform's public record of a year by SIRET and by SIREN, to mark ranking rows."""
    index: dict[str, dict[str, Any]] = {}
    for organisation in (record or {}).get("organisations", []):
        if organisation.get("siren"):
            index.setdefault(str(organisation["siren"]), organisation)
        if organisation.get("siret"):
            index[str(organisation["siret"])] = organisation
    return index


def declared(index: dict[str, dict[str, Any]], siret: str) -> dict[str, Any] | None:
    return index.get(siret) or index.get(siret[:9])


def active_filters(
    wanted: RankingQuery, method: dict[str, Any], regions: dict[str, str]
) -> list[tuple[str, str]]:
    """(label, link removing it) of each filter applied, the year aside."""
    categories = {c["code"]: c["label"] for c in method.get("categories", [])}
    bands = {b["code"]: b["label"] for b in method.get("bands", [])}
    labels = {
        "region": regions.get(wanted.params.get("region", ""), ""),
        "categorie": categories.get(wanted.params.get("category", ""), ""),
        "tranche": bands.get(wanted.params.get("band", ""), ""),
    }
    return [(label, wanted.href(**{key: None})) for key, label in labels.items() if label]
