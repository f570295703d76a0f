"""Places on the website: read from the API's reference (never from the data files), kept an
hour, and a radius counted around the commune a buyer picked."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from playwright.sync_api import Page, expect

from services.web import places
from services.web.api import Api
from services.web.search_places import resolve
from tests.support import free_port, run_async
from tests.web.conftest import Site, check_accessibility, log_in, screenshot

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "services" / "web"
# What reading the shipped data files looks like: their folder, one of their names, a CSV reader
# (an export's « export.csv » or a download's route is not a data file).
DATA_FILES = sorted({path.name for path in (ROOT / "data").rglob("*.csv")})
DATA_READING = re.compile(
    r"data_dir|csv\.(?:Dict)?[Rr]eader|\b(?:"
    + "|".join(re.escape(name) for name in DATA_FILES)
    + ")"
)


def _data_reading(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if DATA_READING.search(line)]


def test_the_website_reads_no_data_file() -> None:
    found = [
        f"{path.relative_to(WEB)}: {line}"
        for path in sorted(WEB.rglob("*.py"))
        for line in _data_reading(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_sees_a_data_file_read() -> None:
    assert _data_reading('rows = csv.DictReader((data_dir / "geo/regions.csv").open())')
    assert _data_reading('communes = (ROOT / "data" / "geo" / "communes.csv").read_text()')
    assert not _data_reading('filename = f"{what}-besoin-{need_id}.csv"')
    assert not _data_reading('@router.get("/organisation/{oid}/achats/export.csv")')


class _Reference(BaseHTTPRequestHandler):
    """A small API answering the two reference routes, for the cache's test."""

    answers: ClassVar[dict[str, Any]] = {
        "/api/v1/reference/departments": [
            {"code": "93", "name": "Seine-Saint-Denis", "region": "11", "region_name": "IDF"}
        ],
        "/api/v1/reference/regions": [{"code": "11", "name": "Île-de-France"}],
    }

    def do_GET(self) -> None:
        body = json.dumps(self.answers.get(self.path.split("?")[0], {})).encode()
        self.send_response(200 if self.path.split("?")[0] in self.answers else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_places_are_kept_and_an_unreachable_api_is_retried() -> None:
    """A real HTTP server, started after the first try: nothing listens, then it answers,
    then it is gone and the places read are kept."""

    reference_port = free_port()

    async def scenario() -> None:
        api = Api(f"http://127.0.0.1:{reference_port}", timeout_s=2.0)
        try:
            assert await places.territories(api) is places.NONE_KNOWN
            server = ThreadingHTTPServer(("127.0.0.1", reference_port), _Reference)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                known = await places.territories(api)
            finally:
                server.shutdown()
                server.server_close()
            assert known.department_label("93") == "Seine-Saint-Denis (93)"
            assert known.region_label("11") == "Région Île-de-France"
            assert known.matching("seine-saint") == [("department", "93")]
            assert known.department_label("2A") == "Département 2A"
            assert await places.territories(api) is known
        finally:
            await api.aclose()

    run_async(scenario())


def _api(site: Site, path: str, **params: Any) -> Any:
    answer = site.api("GET", f"/api/v1{path}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_radius_around_a_commune(site: Site, page: Page) -> None:
    lille = next(c for c in _api(site, "/reference/communes", q="Lille") if c["code"] == "59350")
    expected = _api(site, "/search", lat=lille["lat"], lng=lille["lng"], radius_km=20, per_page=1)[
        "total"
    ]
    commune_only = _api(site, "/search", commune="59350", per_page=1)["total"]
    assert expected != commune_only  # the radius changes the search
    response = page.goto("/recherche?ou=Lille&radius_km=20")
    assert response is not None and response.status == 200
    total = int(re.sub(r"\D", "", page.locator("#resultats-total").inner_text()))
    assert total == expected
    expect(page.locator("#resultats-titre")).to_contain_text("à moins de 20 km de Lille (59)")
    tag = page.get_by_role("link", name="Retirer le filtre À moins de 20 km de Lille (59)")
    expect(tag).to_be_visible()
    check_accessibility(page, "search-radius-commune")
    screenshot(page, "search-radius-commune")
    # Removing the radius keeps the commune.
    tag.click()
    expect(page).to_have_url(re.compile(r"/recherche\?ou=Lille$"))
    expect(page.locator("#resultats-total")).to_have_text(f"{commune_only}")

    # « Around me » keeps counting from the visitor's position.
    page.goto(f"/recherche?lat={lille['lat']}&lng={lille['lng']}&radius_km=20")
    assert int(re.sub(r"\D", "", page.locator("#resultats-total").inner_text())) == expected
    expect(page.get_by_role("link", name="Retirer le filtre Autour de ma position")).to_be_visible()

    # A radius around a région is explained beside the field.
    response = page.goto("/recherche?ou=Hauts-de-France&radius_km=20")
    assert response is not None and response.status == 400
    expect(page.locator("#champ-radius_km-messages")).to_contain_text("autour d'une commune")
    check_accessibility(page, "search-radius-region")


def test_pages_name_regions_and_departments_from_the_api(site: Site, page: Page) -> None:
    departments = _api(site, "/reference/departments")
    regions = _api(site, "/reference/regions")
    page.goto("/avant-un-achat")
    shown = page.locator("#champ-department option").all_inner_texts()
    assert shown[1:] == [f"{d['code']} — {d['name']}" for d in departments]
    region_options = page.locator("#champ-region option").all_inner_texts()
    assert sorted(region_options[1:]) == sorted(r["name"] for r in regions)

    log_in(page, site.new_account("public_buyer"))
    page.goto("/besoins-suggestions/lieux?place_search=Lille")
    expect(page.get_by_text("Région : Hauts-de-France")).to_have_count(1)
    expect(page.get_by_text("Département : Nord (59)")).to_have_count(1)


def test_a_department_number_is_taken_when_the_places_cannot_be_read() -> None:
    """The places list unavailable (the API down, or its quota spent): « 93 » still searches
    the département; the API judges it."""

    async def no_commune(_text: str) -> list[dict[str, Any]]:
        return []

    resolved = run_async(resolve("93", places.NONE_KNOWN, no_commune))
    assert resolved.error is None and resolved.place is not None
    assert (resolved.place.param, resolved.place.codes) == ("department", ("93",))
