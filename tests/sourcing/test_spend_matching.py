"""Spend suppliers matched to the real catalog, on SQLite and PostgreSQL: by SIRET, by SIREN
(the company's other establishments), only suggested by name and postcode; the buyer's
confirmations and rejections hold at the next import; the figures equal the generated file's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.spend_file import spend_rows, write_csv
from services.common.identity import Role
from tests.sourcing.projects_support import buyer, projects
from tests.sourcing.test_spend_import import YEAR, Spend, spend

__all__ = ["projects", "spend"]


def _all_items(spend: Spend, who: object, oid: int, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    page = 1
    while True:
        answer = spend.client.get(
            f"/v1/organisations/{oid}/spend/suppliers",
            params={"year": YEAR, "page": page, "per_page": 200, **params},
            headers=who,  # type: ignore[arg-type]
        )
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        if page * 200 >= answer.json()["total"]:
            return items
        page += 1


def test_suppliers_match_by_siret_then_siren_and_names_are_only_suggested(
    spend: Spend, tmp_path: Path
) -> None:
    who = buyer("rse-rapprochement", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(1500, spend.identities, YEAR, seed=11)
    content = write_csv(tmp_path / "r.csv", rows).read_bytes()
    upload = spend.imported(who, oid, content, "r.csv")
    expected: dict[str, tuple[str, int | None]] = {}
    amounts: Counter[str] = Counter()
    for row in rows:
        if row.refused is None:
            expected[row.key] = (row.match, row.structure_id)
            amounts[row.key] += row.amount_cents
    counts = Counter(match for match, _ in expected.values())
    assert {k: v for k, v in upload["matches"].items() if v} == dict(counts)
    assert {"siret", "siren", "suggested", "none"} <= set(counts)
    items = {str(i["key"]): i for i in _all_items(spend, who, oid)}
    assert set(items) == set(expected)
    by_id = {int(i["id"]): i for i in spend.identities}
    for key, (match, structure_id) in expected.items():
        item = items[key]
        assert item["match"] == match, (key, item)
        assert item["amount_eur"] == round(amounts[key] / 100, 2)
        if match in ("siret", "siren"):
            structure = item["structure"]
            assert isinstance(structure, dict) and structure["id"] == structure_id
            known = by_id[structure_id or 0]
            assert (structure["kind"], structure["siret"]) == (known["kind"], known["siret"])
            assert item["suggestion"] is None
        elif match == "suggested":
            # A suggestion is no match: no structure until the buyer confirms it.
            assert item["structure"] is None
            suggestion = item["suggestion"]
            assert isinstance(suggestion, dict) and suggestion["name"]
            assert suggestion["postcode"] == item["postcode"]
        else:
            assert item["structure"] is None and item["suggestion"] is None
    # A SIREN-only row finds the structure of that SIREN.
    siren_only = next(r for r in rows if r.key.startswith("siren:") and r.refused is None)
    assert items[siren_only.key]["structure"]["id"] == siren_only.structure_id  # type: ignore[index]
    filtered = _all_items(spend, who, oid, match="suggested")
    assert {i["key"] for i in filtered} == {k for k, (m, _) in expected.items() if m == "suggested"}
    exported = spend.client.get(
        f"/v1/organisations/{oid}/spend/suppliers/export.csv", params={"year": YEAR}, headers=who
    )
    assert exported.status_code == 200
    assert len(exported.text.strip().splitlines()) == len(expected) + 1
    assert "SIREN (autre établissement)" in exported.text


def test_confirmations_and_rejections_are_remembered_at_the_next_import(
    spend: Spend, tmp_path: Path
) -> None:
    who = buyer("rse-decisions", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(800, spend.identities, YEAR, seed=21)
    content = write_csv(tmp_path / "d.csv", rows).read_bytes()
    spend.imported(who, oid, content, "d.csv")
    items = _all_items(spend, who, oid)
    suggested = [i for i in items if i["match"] == "suggested"]
    by_siret = next(i for i in items if i["match"] == "siret")
    unmatched = next(i for i in items if i["match"] == "none")
    assert len(suggested) >= 2
    base = f"/v1/organisations/{oid}/spend/suppliers/decision"
    confirmed = spend.client.post(
        base, json={"year": YEAR, "key": suggested[0]["key"], "decision": "confirm"}, headers=who
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["match"] == "confirmed"
    assert confirmed.json()["structure"]["id"] == suggested[0]["suggestion"]["id"]  # type: ignore[index]
    rejected = spend.client.post(
        base, json={"year": YEAR, "key": suggested[1]["key"], "decision": "reject"}, headers=who
    )
    assert rejected.status_code == 200 and rejected.json()["match"] == "none"
    # A manual link of an unmatched supplier to a structure of the catalog.
    target = spend.identities[5]
    linked = spend.client.post(
        base,
        json={
            "year": YEAR,
            "key": unmatched["key"],
            "decision": "confirm",
            "structure_id": target["id"],
        },
        headers=who,
    )
    assert linked.status_code == 200 and linked.json()["structure"]["id"] == target["id"]
    for body, field in (
        (
            {"key": unmatched["key"], "decision": "confirm", "structure_id": 2**31 - 1},
            "structure_id",
        ),
        ({"key": "inconnu", "decision": "reject"}, "key"),
        ({"key": by_siret["key"], "decision": "peut-être"}, "decision"),
    ):
        refused = spend.client.post(base, json={"year": YEAR, **body}, headers=who)
        assert refused.status_code == 422, refused.text
        assert {e["field"] for e in refused.json()["errors"]} == {field}
    # The same file again: the decisions hold.
    again = spend.imported(who, oid, content, "d2.csv")
    assert again["status"] == "active"
    after = {str(i["key"]): i for i in _all_items(spend, who, oid)}
    assert after[str(suggested[0]["key"])]["match"] == "confirmed"
    assert after[str(suggested[1]["key"])]["match"] == "none"
    assert after[str(suggested[1]["key"])]["suggestion"] is None
    assert after[str(unmatched["key"])]["structure"]["id"] == target["id"]  # type: ignore[index]
    assert after[str(by_siret["key"])]["match"] == "siret"
    assert again["matches"]["confirmed"] == 2
