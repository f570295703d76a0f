"""Catalog API: a structure's logo and photos, its offers' photos, and the images themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Request, Response

from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.media import service
from services.catalog.media.images import ACCEPTED, JPEG, PNG
from services.catalog.media.public import to_public
from services.catalog.media.schemas import MediaPublic, PhotoUpdate
from services.catalog.state import CatalogStateDep
from services.catalog.uploads import UploadedDocument, read_capped
from services.common.params import IdPath, expected_version

router = APIRouter(tags=["images"])

MediaId = Annotated[
    str, Path(min_length=24, max_length=24, pattern=r"^[0-9a-f]{24}$", description="Image")
]
Alt = Annotated[
    str | None,
    Query(max_length=200, description="Texte alternatif de la photo (200 caractères au plus)"),
]
OptionalIfMatch = Annotated[
    str | None,
    Header(description='ETag de la fiche lu auparavant ("vN") ; vérifié s\'il est envoyé'),
]

_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "Le fichier image brut dans le corps (5 Mio au plus)",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ACCEPTED},
    }
}
_REFUSALS: dict[int | str, dict[str, str]] = {
    400: {"description": "Fichier vide"},
    413: {"description": "Plus de 5 Mio"},
    415: {"description": "Ni PNG, ni JPEG, ni WebP, ou Content-Type différent du contenu"},
    422: {"description": "Image illisible ou de plus de 40 mégapixels"},
}
_DESCRIPTION = (
    "Le fichier brut dans le corps, avec Content-Type image/png, image/jpeg ou image/webp ; "
    "5 Mio et 40 mégapixels au plus. Le type est lu dans le contenu du fichier. L'image est "
    "redressée, réduite ({side} px au plus de côté) et ré-encodée (JPEG, ou PNG pour garder une "
    "transparence), sans ses métadonnées (position GPS comprise)."
)


async def _image_body(request: Request) -> UploadedDocument:
    return await read_capped(request, service.MAX_MEDIA_BYTES, service.too_large)


# After the identity in each route: an anonymous body is refused before it is read.
ImageBody = Annotated[UploadedDocument, Depends(_image_body)]


def _version(if_match: str | None) -> int | None:
    return None if if_match is None else expected_version(if_match)


@router.put(
    "/v1/structures/{structure_id}/logo",
    response_model=MediaPublic,
    summary="Déposer ou remplacer le logo (gestionnaires, équipe)",
    description=_DESCRIPTION.format(side=service.LOGO_SIDE),
    openapi_extra=_IMAGE_BODY,
    responses=_REFUSALS,
)
def put_logo(
    structure_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    upload: ImageBody,
    background: BackgroundTasks,
    if_match: OptionalIfMatch = None,
) -> MediaPublic:
    logo, replaced = service.put_logo(
        session, principal, structure_id, upload, state.media, _version(if_match)
    )
    for name in replaced:
        # Removed once the new logo is committed (tasks run after the answer is sent).
        background.add_task(state.media.remove, name)
    return to_public(logo)


@router.delete(
    "/v1/structures/{structure_id}/logo",
    status_code=204,
    summary="Retirer le logo (gestionnaires, équipe)",
)
def delete_logo(
    structure_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    background: BackgroundTasks,
    if_match: OptionalIfMatch = None,
) -> Response:
    removed = service.delete_logo(session, principal, structure_id, _version(if_match))
    background.add_task(state.media.remove, removed)
    return Response(status_code=204)


@router.post(
    "/v1/structures/{structure_id}/photos",
    status_code=201,
    response_model=MediaPublic,
    summary="Ajouter une photo de la structure (12 au plus ; gestionnaires, équipe)",
    description=_DESCRIPTION.format(side=service.PHOTO_SIDE),
    openapi_extra=_IMAGE_BODY,
    responses={**_REFUSALS, 409: {"description": "Déjà 12 photos"}},
)
def add_structure_photo(
    structure_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    upload: ImageBody,
    alt: Alt = None,
) -> MediaPublic:
    photo = service.add_photo(session, principal, structure_id, upload, state.media, alt)
    return to_public(photo)


@router.patch(
    "/v1/structures/{structure_id}/photos/{photo_id}",
    response_model=MediaPublic,
    summary="Modifier le texte alternatif d'une photo (gestionnaires, équipe)",
)
def update_structure_photo(
    structure_id: IdPath,
    photo_id: MediaId,
    payload: PhotoUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> MediaPublic:
    photo = service.update_photo(session, principal, structure_id, photo_id, payload.alt)
    return to_public(photo)


@router.delete(
    "/v1/structures/{structure_id}/photos/{photo_id}",
    status_code=204,
    summary="Retirer une photo de la structure (gestionnaires, équipe)",
)
def delete_structure_photo(
    structure_id: IdPath,
    photo_id: MediaId,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    background: BackgroundTasks,
) -> Response:
    removed = service.delete_photo(session, principal, structure_id, photo_id)
    background.add_task(state.media.remove, removed)
    return Response(status_code=204)


@router.post(
    "/v1/structures/{structure_id}/offers/{offer_id}/photos",
    status_code=201,
    response_model=MediaPublic,
    summary="Ajouter une photo à une offre (6 au plus ; gestionnaires, équipe)",
    description=_DESCRIPTION.format(side=service.PHOTO_SIDE),
    openapi_extra=_IMAGE_BODY,
    responses={**_REFUSALS, 409: {"description": "Déjà 6 photos"}},
)
def add_offer_photo(
    structure_id: IdPath,
    offer_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    upload: ImageBody,
    alt: Alt = None,
) -> MediaPublic:
    photo = service.add_photo(
        session, principal, structure_id, upload, state.media, alt, offer_id=offer_id
    )
    return to_public(photo)


@router.delete(
    "/v1/structures/{structure_id}/offers/{offer_id}/photos/{photo_id}",
    status_code=204,
    summary="Retirer une photo d'une offre (gestionnaires, équipe)",
)
def delete_offer_photo(
    structure_id: IdPath,
    offer_id: IdPath,
    photo_id: MediaId,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    background: BackgroundTasks,
) -> Response:
    removed = service.delete_photo(session, principal, structure_id, photo_id, offer_id)
    background.add_task(state.media.remove, removed)
    return Response(status_code=204)


@router.get(
    "/v1/media/{media_id}",
    summary="Lire une image (publique, sans connexion)",
    response_class=Response,
    responses={
        200: {
            "description": "L'image ré-encodée, à garder en cache",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in (PNG, JPEG)},
        },
        304: {"description": "L'image n'a pas changé (If-None-Match)"},
    },
)
def read_media(
    media_id: MediaId,
    session: SessionDep,
    state: CatalogStateDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    content, media = service.read_media(session, media_id, state.media)
    tag = f'"{media.sha256[:32]}"'
    headers = {
        # An image never changes under its address: a new one gets a new id.
        "cache-control": "public, max-age=31536000, immutable",
        "etag": tag,
        "x-content-type-options": "nosniff",
        "content-disposition": "inline",
    }
    if if_none_match is not None and tag in if_none_match:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media.media_type, headers=headers)
