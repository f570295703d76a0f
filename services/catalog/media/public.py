"""How an image reads on the API: its public address and fields, a structure's and its offers'
images loaded at once for reads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.catalog.media.models import Media, MediaRole
from services.catalog.media.repository import MediaRepository
from services.catalog.media.schemas import MediaPublic


def media_url(media_id: str) -> str:
    """Where an image is read on the public API."""
    return f"/api/v1/media/{media_id}"


def to_public(media: Media) -> MediaPublic:
    return MediaPublic(
        id=media.id,
        url=media_url(media.id),
        width=media.width,
        height=media.height,
        media_type=media.media_type,
        alt=media.alt,
    )


@dataclass(frozen=True)
class StructureMedia:
    logo: MediaPublic | None
    photos: list[MediaPublic]


def media_of(session: Session, structure_ids: list[int]) -> dict[int, StructureMedia]:
    found = MediaRepository(session).of_structures(structure_ids)
    return {
        sid: StructureMedia(
            logo=next((to_public(m) for m in found[sid] if m.role == MediaRole.LOGO), None),
            photos=[to_public(m) for m in found[sid] if m.role == MediaRole.PHOTO],
        )
        for sid in structure_ids
    }


def offer_photos(session: Session, offer_ids: list[int]) -> dict[int, list[MediaPublic]]:
    found = MediaRepository(session).of_offers(offer_ids)
    return {oid: [to_public(m) for m in found[oid]] for oid in offer_ids}
