"""The server-drawn charts and the ranking page's reading of its address, without a browser:
the SVG is well-formed, named and described with every value, its bars as long as their values,
names escaped; filters the method does not know are refused in French."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.web.charts import Bar, share_bars, year_columns
from services.web.ranking_view import ordinal, pagination, percent, read_query

SVG = "{http://www.w3.org/2000/svg}"
METHOD = {
    "categories": [{"code": "commune", "label": "Commune"}],
    "bands": [{"code": "1-9", "label": "1 à 9 marchés"}, {"code": "200+", "label": "200 et plus"}],
}


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_share_bars_are_an_image_described_in_words() -> None:
    bars = [
        Bar("1. Ville <de> Saint-Denis & co", 0.5, percent(0.5)),
        Bar("2. Département", 0.25, percent(0.25)),
        Bar("3. Région", 0.0, percent(0.0)),
    ]
    svg = _parse(share_bars(bars, chart_id="g", title="Part sociale"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "g-titre g-desc"
    assert svg.findtext(f"{SVG}title") == "Part sociale"
    desc = svg.findtext(f"{SVG}desc") or ""
    assert "1. Ville <de> Saint-Denis & co : 50,0\u202f%" in desc
    assert "3. Région : 0,0\u202f%" in desc
    drawn = [r for r in svg.iter(f"{SVG}rect") if r.get("data-share")]
    widths = [float(r.get("width") or 0) for r in drawn]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "1. Ville <de> Saint-Denis & co" in texts and "25,0\u202f%" in texts


def test_share_bars_keep_to_their_scale_and_shorten_long_names() -> None:
    svg = _parse(
        share_bars([Bar("x" * 80, 1.7, "170 %"), Bar("y", -1, "?")], chart_id="g", title="T")
    )
    track, bar = [float(r.get("width") or 0) for r in svg.iter(f"{SVG}rect")][:2]
    assert bar == track  # a share above 1 fills the track, no more
    label = next(t.text for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("x"))
    assert label is not None and len(label) <= 46 and label.endswith("…")
    assert share_bars([], chart_id="g", title="T") == ""


def test_year_columns_rise_with_their_share() -> None:
    bars = [Bar("2024", 0.2, percent(0.2)), Bar("2025", 0.6, percent(0.6))]
    svg = _parse(year_columns(bars, chart_id="e", title="Évolution"))
    assert svg.get("role") == "img"
    assert (svg.findtext(f"{SVG}desc") or "").startswith("2024 : 20,0\u202f%; 2025 : 60,0\u202f%")
    heights = [float(r.get("height") or 0) for r in svg.iter(f"{SVG}rect")]
    assert heights[1] == 3 * heights[0]
    assert year_columns([], chart_id="e", title="T") == ""


def test_read_query_checks_filters_against_the_method() -> None:
    wanted = read_query(
        [("annee", "2025"), ("region", "11"), ("categorie", "commune"), ("tranche", "200+")],
        METHOD,
        {"11": "Île-de-France"},
    )
    assert not wanted.errors
    assert wanted.params == {
        "year": 2025,
        "region": "11",
        "category": "commune",
        "band": "200+",
        "page": 1,
        "per_page": 50,
    }
    assert wanted.export_href.startswith("/classement/export?annee=2025&region=11")
    refused = read_query(
        [("annee", "20x5"), ("region", "99"), ("categorie", "x"), ("tranche", "5"), ("page", "0")],
        METHOD,
        {"11": "Île-de-France"},
    )
    assert set(refused.errors) == {"annee", "region", "categorie", "tranche", "page"}
    assert refused.values["region"] == "99"  # what was typed is kept for the form
    assert "year" not in refused.params and "region" not in refused.params


def test_pagination_keeps_the_filters() -> None:
    wanted = read_query([("categorie", "commune"), ("page", "3")], METHOD, {})
    pages = pagination(wanted, 260)
    assert pages is not None and pages.last == 6 and pages.page == 3
    assert pages.next_href == "/classement?categorie=commune&page=4"
    assert pages.first_href == "/classement?categorie=commune"
    assert pagination(wanted, 50) is None
    assert str(ordinal(1)) == "1<sup>er</sup>" and str(ordinal(2)) == "2<sup>e</sup>"
