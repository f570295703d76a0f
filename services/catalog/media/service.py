"""The rules of a structure's images: who may add or remove them, how many, and what a change
records (the audit trail, the outbox to the index). Files are removed by the caller once the
change is committed."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from services.catalog.concurrency import take_version
from services.catalog.media import images
from services.catalog.media.models import Media, MediaRole
from services.catalog.media.public import media_url
from services.catalog.media.repository import MediaRepository
from services.catalog.outbox.service import record_listing_change
from services.catalog.ownership.permissions import require_manager
from services.catalog.structures.models import Offer, Structure
from services.catalog.structures.service import get_structure, stamp_sources
from services.catalog.uploads import MIB, FileStore, UploadedDocument
from services.common.db import utcnow
from services.common.errors import AppError, Conflict, NotFound
from services.common.identity import Principal

MAX_MEDIA_BYTES = 5 * MIB
LOGO_SIDE, PHOTO_SIDE = 512, 1600
MAX_STRUCTURE_PHOTOS, MAX_OFFER_PHOTOS = 12, 6


class ImageTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Fichier trop volumineux"


class EmptyImage(AppError):
    status, slug, title = 400, "empty-file", "Fichier vide"


def too_large() -> ImageTooLarge:
    return ImageTooLarge(
        f"Le fichier est trop volumineux : {MAX_MEDIA_BYTES // MIB} Mio au plus.",
        errors=[{"pointer": "/body", "field": "file", "detail": "5 Mio au plus"}],
    )


def _described(media: Media) -> str:
    """An image in the audit trail's words."""
    kind = "PNG" if media.media_type == images.PNG else "JPEG"
    return f"image {kind} {media.width} × {media.height} px ({media.id})"


def _stored(
    store: FileStore,
    upload: UploadedDocument,
    structure_id: int,
    role: MediaRole,
    longest_side: int,
    offer_id: int | None = None,
    alt: str | None = None,
) -> Media:
    """Checks, re-encodes and writes the image; the row is the caller's to add."""
    if not upload.content:
        raise EmptyImage(
            "Le fichier est vide.",
            errors=[{"pointer": "/body", "field": "file", "detail": "fichier vide"}],
        )
    if len(upload.content) > MAX_MEDIA_BYTES:
        raise too_large()
    images.checked_type(upload.content, upload.declared_type)
    image = images.processed(upload.content, longest_side)
    stored = store.save(image.content, image.media_type)
    return Media(
        id=secrets.token_hex(12),
        structure_id=structure_id,
        offer_id=offer_id,
        role=role,
        file_name=stored.name,
        media_type=image.media_type,
        width=image.width,
        height=image.height,
        size=stored.size,
        sha256=stored.sha256,
        alt=alt or None,
    )


def _structure_changed(
    session: Session,
    principal: Principal,
    structure: Structure,
    expected_version: int | None,
    action: str,
    changes: dict[str, list[object]],
) -> None:
    """A change of the listing's images: the structure's next version, its audit entry and
    its outbox event. If-Match is checked when sent (uploads from a form may not carry it)."""
    assert structure.id is not None
    expected = structure.version if expected_version is None else expected_version
    structure.version = take_version(session, Structure, structure.id, expected)
    structure.updated_at = utcnow()
    session.add(structure)
    record_listing_change(
        session, principal, structure.id, action, "structure", structure.id, changes
    )


def _managed_structure(session: Session, principal: Principal, structure_id: int) -> Structure:
    structure = get_structure(session, structure_id, include_delisted=principal.is_staff)
    require_manager(session, principal, structure_id)
    return structure


def put_logo(
    session: Session,
    principal: Principal,
    structure_id: int,
    upload: UploadedDocument,
    store: FileStore,
    expected_version: int | None,
) -> tuple[Media, list[str]]:
    """The new logo, and the files to remove once it is committed (the replaced one's)."""
    structure = _managed_structure(session, principal, structure_id)
    logo = _stored(store, upload, structure_id, MediaRole.LOGO, LOGO_SIDE)
    try:
        previous = MediaRepository(session).logo(structure_id)
        removed = []
        if previous is not None:
            removed.append(previous.file_name)
            session.delete(previous)
            session.flush()
        session.add(logo)
        structure.logo_url = media_url(logo.id)
        stamp_sources(structure, ["logo_url"], "staff" if principal.is_staff else "manager")
        before = _described(previous) if previous is not None else None
        _structure_changed(
            session,
            principal,
            structure,
            expected_version,
            "structure.logo",
            {"logo": [before, _described(logo)]},
        )
        session.flush()
    except BaseException:
        store.remove(logo.file_name)
        raise
    return logo, removed


def delete_logo(
    session: Session,
    principal: Principal,
    structure_id: int,
    expected_version: int | None,
) -> str:
    structure = _managed_structure(session, principal, structure_id)
    logo = MediaRepository(session).logo(structure_id)
    if logo is None:
        raise NotFound(f"La structure {structure_id} n'a pas de logo.")
    session.delete(logo)
    structure.logo_url = None
    stamp_sources(structure, ["logo_url"], "staff" if principal.is_staff else "manager")
    _structure_changed(
        session,
        principal,
        structure,
        expected_version,
        "structure.logo",
        {"logo": [_described(logo), None]},
    )
    session.flush()
    return logo.file_name


def _offer(session: Session, structure_id: int, offer_id: int) -> Offer:
    offer = MediaRepository(session).offer(offer_id)
    if offer is None or offer.structure_id != structure_id:
        raise NotFound(f"Aucune offre {offer_id} pour la structure {structure_id}.")
    return offer


def add_photo(
    session: Session,
    principal: Principal,
    structure_id: int,
    upload: UploadedDocument,
    store: FileStore,
    alt: str | None,
    offer_id: int | None = None,
) -> Media:
    structure = _managed_structure(session, principal, structure_id)
    offer = _offer(session, structure_id, offer_id) if offer_id is not None else None
    limit = MAX_STRUCTURE_PHOTOS if offer is None else MAX_OFFER_PHOTOS
    if MediaRepository(session).count_photos(structure_id, offer_id) >= limit:
        where = "la structure" if offer is None else "l'offre"
        raise Conflict(
            f"{where.capitalize()} a déjà {limit} photos, le maximum : retirez-en une d'abord."
        )
    photo = _stored(store, upload, structure_id, MediaRole.PHOTO, PHOTO_SIDE, offer_id, alt)
    try:
        session.add(photo)
        _photos_changed(session, principal, structure, offer, {"photo": [None, _described(photo)]})
        session.flush()
    except BaseException:
        store.remove(photo.file_name)
        raise
    return photo


def _photos_changed(
    session: Session,
    principal: Principal,
    structure: Structure,
    offer: Offer | None,
    changes: dict[str, list[object]],
) -> None:
    if offer is None:
        _structure_changed(session, principal, structure, None, "structure.photos", changes)
        return
    assert offer.id is not None and structure.id is not None
    offer.version = take_version(session, Offer, offer.id, offer.version)
    offer.updated_at = utcnow()
    session.add(offer)
    record_listing_change(
        session, principal, structure.id, "offer.photos", "offer", offer.id, changes
    )


def _photo(session: Session, structure_id: int, photo_id: str, offer_id: int | None) -> Media:
    photo = MediaRepository(session).get(photo_id)
    if (
        photo is None
        or photo.role != MediaRole.PHOTO
        or photo.structure_id != structure_id
        or photo.offer_id != offer_id
    ):
        raise NotFound(f"Aucune photo « {photo_id[:32]} » ici.")
    return photo


def update_photo(
    session: Session, principal: Principal, structure_id: int, photo_id: str, alt: str | None
) -> Media:
    structure = _managed_structure(session, principal, structure_id)
    photo = _photo(session, structure_id, photo_id, None)
    before, photo.alt = photo.alt, alt or None
    session.add(photo)
    _photos_changed(session, principal, structure, None, {"alt": [before, photo.alt]})
    session.flush()
    return photo


def delete_photo(
    session: Session,
    principal: Principal,
    structure_id: int,
    photo_id: str,
    offer_id: int | None = None,
) -> str:
    """Removes the photo's row; answers its file, to remove once committed."""
    structure = _managed_structure(session, principal, structure_id)
    offer = _offer(session, structure_id, offer_id) if offer_id is not None else None
    photo = _photo(session, structure_id, photo_id, offer_id)
    session.delete(photo)
    _photos_changed(session, principal, structure, offer, {"photo": [_described(photo), None]})
    session.flush()
    return photo.file_name


def forget_offer_photos(session: Session, offer_id: int) -> list[str]:
    """Before an offer is deleted: its photos' rows go, their files are the caller's to remove."""
    photos = MediaRepository(session).of_offers([offer_id])[offer_id]
    for photo in photos:
        session.delete(photo)
    return [p.file_name for p in photos]


def read_media(session: Session, media_id: str, store: FileStore) -> tuple[bytes, Media]:
    """A public image: only those of active structures."""
    media = MediaRepository(session).get(media_id)
    missing = NotFound(f"Aucune image « {media_id[:32]} ».")
    if media is None:
        raise missing
    structure = MediaRepository(session).structure(media.structure_id)
    if structure is None or not structure.is_active:
        raise missing
    try:
        return store.read(media.file_name), media
    except FileNotFoundError as exc:
        raise missing from exc
