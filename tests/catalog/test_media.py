"""Logos and photos: images made here with Pillow, recognised from their bytes, refused when they
are not images, too heavy or too large in pixels, turned upright, resized, re-encoded without
their metadata, stored under random names outside any served folder, removed with their media;
only the structure's managers and staff change them, and each change is audited and indexed."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from PIL import Image
from sqlmodel import Session, func, select

from services.catalog.indexing.document import Vocabulary, load_documents
from services.catalog.media.models import Media
from services.catalog.outbox.models import OutboxEvent
from services.catalog.state import CatalogState
from services.catalog.structures.models import Structure
from services.common.state import state_of
from tests.catalog.api_support import STAFF, CatalogApi, identity
from tests.catalog.test_ownership import account, fresh_structure, make_admin
from tests.support import ROOT

MIB = 1024 * 1024
RED, BLUE = (220, 20, 20), (20, 20, 220)


def png(width: int, height: int, transparent: bool = True) -> bytes:
    image = Image.new("RGBA" if transparent else "RGB", (width, height), (0, 120, 60, 255))
    if transparent:
        image.paste((0, 0, 0, 0), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 3000, height: int = 2000) -> bytes:
    """Left half red, right half blue; EXIF says "rotate 90° clockwise to show", and where."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned
    exif[0x010F] = "Appareil de test"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    gps[3], gps[4] = "E", (2.0, 21.0, 3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def webp(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), BLUE).save(out, format="WEBP")
    return out.getvalue()


def bomb() -> bytes:
    """A small file that would decode to 20,000 × 20,000 pixels."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _media_dir(api: CatalogApi) -> Path:
    return state_of(api.client.app, CatalogState).settings.media_dir  # type: ignore[arg-type]


def _files(api: CatalogApi) -> set[str]:
    folder = _media_dir(api)
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _send(
    api: CatalogApi,
    method: str,
    path: str,
    body: bytes,
    media_type: str,
    who: Mapping[str, str],
    **params: str,
) -> Response:
    return api.client.request(
        method, path, content=body, params=params, headers={**who, "content-type": media_type}
    )


def _served(api: CatalogApi, url: str) -> Response:
    assert url.startswith("/api/v1/media/")
    return api.client.get(url.removeprefix("/api"))


@pytest.fixture
def owned(catalog_api: CatalogApi) -> tuple[CatalogApi, Structure, Mapping[str, str]]:
    structure = fresh_structure(catalog_api)
    return catalog_api, structure, make_admin(catalog_api, structure)


def _outbox_events(api: CatalogApi, structure_id: int) -> int:
    with Session(api.engine) as session:
        query = select(func.count()).where(OutboxEvent.structure_id == structure_id)
        return session.exec(query).one()


def test_a_logo_is_resized_stored_apart_served_audited_and_indexed(
    owned: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = owned
    path = f"/v1/structures/{structure.id}/logo"
    events = _outbox_events(api, structure.id or 0)
    start = _files(api)
    before = api.client.get(f"/v1/structures/{structure.id}")
    put = _send(api, "PUT", path, png(1200, 800), "image/png", admin)
    assert put.status_code == 200, put.text
    logo = put.json()
    assert re.fullmatch(r"[0-9a-f]{24}", logo["id"])
    assert logo == {
        "id": logo["id"],
        "url": f"/api/v1/media/{logo['id']}",
        "width": 512,
        "height": 341,
        "media_type": "image/png",  # its transparency kept
        "alt": None,
    }

    served = _served(api, logo["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert re.fullmatch(r'"[0-9a-f]{32}"', served.headers["etag"])
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "PNG" and image.size == (512, 341) and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((400, 300))[3] == 255
    again = api.client.get(
        logo["url"].removeprefix("/api"), headers={"if-none-match": served.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""

    # On disk: one file, under a random name (not the media id), private, outside served folders.
    (name,) = _files(api) - start
    assert re.fullmatch(r"[0-9a-f]{32}", name) and logo["id"] not in name
    stored = _media_dir(api) / name
    assert stored.read_bytes() == served.content
    assert stored.stat().st_mode & 0o077 == 0
    for served_folder in (ROOT / "build", ROOT / "services" / "web" / "static"):
        assert not stored.resolve().is_relative_to(served_folder.resolve())

    # The structure reads it; its version moved; the change is audited and goes to the index.
    read = api.client.get(f"/v1/structures/{structure.id}")
    assert read.json()["logo"] == logo and read.json()["photos"] == []
    assert read.json()["logo_url"] == logo["url"]
    assert read.headers["etag"] != before.headers["etag"]
    assert read.json()["field_sources"]["logo_url"]["source"] == "manager"
    trail = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()
    entry = trail["items"][0]
    assert entry["action"] == "structure.logo" and entry["actor_role"] == "supplier_manager"
    assert entry["changes"]["logo"] == [None, f"image PNG 512 × 341 px ({logo['id']})"]
    assert _outbox_events(api, structure.id or 0) == events + 1
    with Session(api.engine) as session:
        documents, _ = load_documents(session, [structure.id or 0], Vocabulary.load(session))
    assert documents[0]["logo_url"] == logo["url"]

    # Staff replace it: the old file goes once the new one is committed.
    replaced = _send(api, "PUT", path, jpeg_with_exif(800, 600), "image/jpeg", STAFF)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["media_type"] == "image/jpeg"
    assert replaced.json()["width"] == 384 and replaced.json()["height"] == 512  # upright
    assert name not in _files(api) and len(_files(api) - start) == 1
    assert _served(api, logo["url"]).status_code == 404
    entry = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()
    assert entry["items"][0]["actor_role"] == "staff"

    # A stale If-Match is refused; a current one passes.
    stale = api.client.delete(path, headers={**admin, "if-match": before.headers["etag"]})
    assert stale.status_code == 412
    current = api.etag(f"/v1/structures/{structure.id}")
    deleted = api.client.delete(path, headers={**admin, "if-match": current})
    assert deleted.status_code == 204
    assert _files(api) == start
    assert _served(api, replaced.json()["url"]).status_code == 404
    read = api.client.get(f"/v1/structures/{structure.id}").json()
    assert read["logo"] is None and read["logo_url"] is None
    assert api.client.delete(path, headers=admin).status_code == 404


def test_photos_are_upright_resized_and_lose_their_metadata(
    owned: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = owned
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # GPS, before
    path = f"/v1/structures/{structure.id}/photos"
    start = _files(api)
    posted = _send(api, "POST", path, original, "image/jpeg", admin, alt="Notre atelier")
    assert posted.status_code == 201, posted.text
    photo = posted.json()
    assert (photo["width"], photo["height"]) == (1067, 1600)
    assert photo["media_type"] == "image/jpeg" and photo["alt"] == "Notre atelier"
    served = _served(api, photo["url"])
    assert served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (1067, 1600)
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in served.content and b"Appareil de test" not in served.content
    # Turned upright: the original left half (red) is now on top.
    top, bottom = image.getpixel((533, 20)), image.getpixel((533, 1580))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]

    # WebP is read, and served re-encoded (JPEG: no transparency); a small image is not enlarged.
    small = _send(api, "POST", path, webp(300, 200), "image/webp", admin)
    assert small.status_code == 201, small.text
    assert small.json()["media_type"] == "image/jpeg"
    assert (small.json()["width"], small.json()["height"]) == (300, 200)

    alt = api.client.patch(f"{path}/{photo['id']}", json={"alt": "L'atelier"}, headers=admin)
    assert alt.status_code == 200 and alt.json()["alt"] == "L'atelier"
    too_long = api.client.patch(f"{path}/{photo['id']}", json={"alt": "x" * 201}, headers=admin)
    assert too_long.status_code == 422
    assert _send(api, "POST", path, png(10, 10), "image/png", admin, alt="x" * 201).status_code == (
        422
    )
    read = api.client.get(f"/v1/structures/{structure.id}").json()
    assert [p["id"] for p in read["photos"]] == [photo["id"], small.json()["id"]]
    assert read["photos"][0]["alt"] == "L'atelier"
    trail = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()
    assert [e["action"] for e in trail["items"][:3]] == ["structure.photos"] * 3

    assert len(_files(api) - start) == 2
    deleted = api.client.delete(f"{path}/{photo['id']}", headers=admin)
    assert deleted.status_code == 204
    assert len(_files(api) - start) == 1
    assert _served(api, photo["url"]).status_code == 404
    assert api.client.delete(f"{path}/{photo['id']}", headers=admin).status_code == 404


def _problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


def test_what_is_not_an_acceptable_image_is_refused_and_nothing_is_kept(
    owned: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = owned
    logo = f"/v1/structures/{structure.id}/logo"
    photos = f"/v1/structures/{structure.id}/photos"
    start = _files(api)

    empty = _problem(_send(api, "PUT", logo, b"", "image/png", admin), 400)
    assert empty["detail"] == "Le fichier est vide." and empty["errors"][0]["field"] == "file"

    renamed = _problem(_send(api, "PUT", logo, png(40, 40), "image/jpeg", admin), 415)
    assert "Content-Type annonce une image JPEG" in renamed["detail"]
    assert "une image PNG" in renamed["detail"]
    text = _problem(_send(api, "POST", photos, b"hello, world\n" * 50, "image/png", admin), 415)
    assert text["detail"].startswith("Le contenu du fichier n'est pas une image PNG, JPEG ou WebP")
    page = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    _problem(_send(api, "POST", photos, page, "image/svg+xml", admin), 415)

    heavy = png(10, 10) + b"\0" * (6 * MIB)
    too_large = _problem(_send(api, "POST", photos, heavy, "image/png", admin), 413)
    assert "5 Mio au plus" in too_large["detail"]
    chunked = api.client.post(
        photos,
        content=(heavy[i : i + 65536] for i in range(0, len(heavy), 65536)),
        headers={**admin, "content-type": "image/png"},
    )
    _problem(chunked, 413)

    small_bomb = bomb()
    assert len(small_bomb) < 200_000
    refused = _problem(_send(api, "PUT", logo, small_bomb, "image/png", admin), 422)
    assert refused["detail"] == "L'image compte 400 mégapixels : 40 mégapixels au plus."
    assert refused["errors"][0]["field"] == "file"
    # Within Pillow's own limit, refused by ours, which names the size.
    wide = io.BytesIO()
    Image.new("1", (9_000, 5_000)).save(wide, format="PNG")
    refused = _problem(_send(api, "POST", photos, wide.getvalue(), "image/png", admin), 422)
    assert "9000 × 5000 pixels" in refused["detail"]

    truncated = png(400, 400)[:300]
    _problem(_send(api, "POST", photos, truncated, "image/png", admin), 422)

    assert _files(api) == start
    read = api.client.get(f"/v1/structures/{structure.id}").json()
    assert read["logo"] is None and read["photos"] == []


def test_only_its_managers_and_staff_change_a_structures_images(
    catalog_api: CatalogApi,
) -> None:
    api = catalog_api
    mine, theirs = fresh_structure(api), fresh_structure(api)
    admin, other = make_admin(api, mine), make_admin(api, theirs)
    logo = f"/v1/structures/{mine.id}/logo"
    photos = f"/v1/structures/{mine.id}/photos"
    posted = _send(api, "POST", photos, png(20, 20), "image/png", admin)
    assert posted.status_code == 201
    photo_id = posted.json()["id"]
    files = _files(api)

    stranger = identity(account())
    for who, status in ((other, 403), (stranger, 403), ({}, 401)):
        assert _send(api, "PUT", logo, png(20, 20), "image/png", who).status_code == status
        assert _send(api, "POST", photos, png(20, 20), "image/png", who).status_code == status
        assert (
            api.client.patch(f"{photos}/{photo_id}", json={"alt": "x"}, headers=who).status_code
            == status
        )
        assert api.client.delete(f"{photos}/{photo_id}", headers=who).status_code == status
    own_logo = _send(api, "PUT", logo, png(20, 20), "image/png", admin)
    assert own_logo.status_code == 200
    for who, status in ((other, 403), (stranger, 403), ({}, 401)):
        assert api.client.delete(logo, headers=who).status_code == status
    assert api.client.get(f"/v1/structures/{mine.id}").json()["logo"] == own_logo.json()
    files = _files(api)
    # Through its own structure, another structure's photo does not exist.
    theirs_path = f"/v1/structures/{theirs.id}/photos/{photo_id}"
    assert api.client.delete(theirs_path, headers=other).status_code == 404
    assert _files(api) == files

    staff = _send(api, "PUT", logo, png(20, 20, transparent=False), "image/png", STAFF)
    assert staff.status_code == 200, staff.text
    assert staff.json()["media_type"] == "image/jpeg"

    # A delisted structure's images are no longer served.
    url = posted.json()["url"]
    assert _served(api, url).status_code == 200
    delist = api.patch(f"/v1/structures/{mine.id}", {"is_active": False}, dict(STAFF))
    assert delist.status_code == 200, delist.text
    assert _served(api, url).status_code == 404
    assert _served(api, "/api/v1/media/" + "0" * 24).status_code == 404
    assert api.client.get("/v1/media/not-an-id").status_code == 422


def test_photo_limits_and_offers_photos(
    owned: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = owned
    photos = f"/v1/structures/{structure.id}/photos"
    start = _files(api)
    for _ in range(12):
        assert _send(api, "POST", photos, png(16, 16), "image/png", admin).status_code == 201
    thirteenth = _problem(_send(api, "POST", photos, png(16, 16), "image/png", admin), 409)
    assert "12 photos" in thirteenth["detail"]
    assert len(api.client.get(f"/v1/structures/{structure.id}").json()["photos"]) == 12

    offer = api.client.post(
        f"/v1/structures/{structure.id}/offers",
        json={
            "title": "Entretien d'espaces verts",
            "sector": "creation-et-entretien-des-espaces-verts",
            "presta_type": "PREST",
        },
        headers=admin,
    )
    assert offer.status_code == 201, offer.text
    offer_path = f"/v1/structures/{structure.id}/offers/{offer.json()['id']}"
    offer_photos = f"{offer_path}/photos"
    added = [
        _send(api, "POST", offer_photos, png(30, 20), "image/png", admin, alt=f"Chantier {n}")
        for n in range(6)
    ]
    assert all(a.status_code == 201 for a in added), added[0].text
    seventh = _problem(_send(api, "POST", offer_photos, png(30, 20), "image/png", admin), 409)
    assert "6 photos" in seventh["detail"]
    other = make_admin(api, fresh_structure(api))
    assert _send(api, "POST", offer_photos, png(8, 8), "image/png", other).status_code == 403
    elsewhere = f"/v1/structures/{structure.id}/offers/999999/photos"
    assert _send(api, "POST", elsewhere, png(8, 8), "image/png", admin).status_code == 404

    listed = api.client.get(f"/v1/structures/{structure.id}/offers").json()
    assert [p["alt"] for p in listed[0]["photos"]] == [f"Chantier {n}" for n in range(6)]
    assert listed[0]["photo_urls"] == []
    # The structure's own photos are not its offers'.
    assert len(api.client.get(f"/v1/structures/{structure.id}").json()["photos"]) == 12
    trail = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()
    assert trail["items"][0]["action"] == "offer.photos"

    first = added[0].json()
    gone = api.client.delete(f"{offer_photos}/{first['id']}", headers=admin)
    assert gone.status_code == 204
    assert _served(api, first["url"]).status_code == 404
    assert len(_files(api) - start) == 12 + 5
    # Removing the offer removes its photos and their files.
    current = api.client.get(f"/v1/structures/{structure.id}/offers").json()[0]["version"]
    removed = api.client.delete(offer_path, headers={**admin, "if-match": f'"v{current}"'})
    assert removed.status_code == 204, removed.text
    assert len(_files(api) - start) == 12
    with Session(api.engine) as session:
        left = session.exec(select(func.count()).where(Media.structure_id == structure.id)).one()
    assert left == 12
