"""The public API: `/api/v1/...`, forwarded to the services that own each resource."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from redis.exceptions import RedisError

from services.common.params import IdPath
from services.domain.search import XLSX, SearchResponse, openapi_parameters
from services.gateway.auth import OptionalCallerDep, caller_dependency, open_or, requires
from services.gateway.search_cache import CACHE_HEADER, NOTED, cache_key
from services.gateway.state import gateway_state, upstream

# Credentials, when presented, are checked on every route, open ones included.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(caller_dependency)])


_SEARCH_PARAMETERS = openapi_parameters()


@router.get(
    "/search",
    tags=["recherche"],
    summary="Rechercher des fournisseurs inclusifs",
    response_model=SearchResponse,
    openapi_extra={"parameters": _SEARCH_PARAMETERS},
    dependencies=[open_or("search:read")],
)
async def search(request: Request) -> Response:
    cache = gateway_state(request).search_cache
    if cache is None:
        return await upstream(request, "sourcing").get("/v1/search", request)
    noted: tuple[str, bytes | None] | None = request.scope.get(NOTED)
    if noted is None:  # a caller who identified: the same public answers, looked up here
        key = cache_key(request.scope["query_string"].decode("latin-1"))
        try:
            found = await cache.lookup(key)
        except RedisError:
            found = None
        if found is not None and found.answer is not None:
            return found.answer.response()
        noted = (key, found.generation if found else None)
    key, generation = noted
    response = await upstream(request, "sourcing").get("/v1/search", request)
    if response.status_code == 200 and generation is not None:
        await cache.store(key, generation, response)
    response.headers[CACHE_HEADER] = "miss"
    return response


# Declared before `/structures/{structure_id}`, which would read « lookup » as an id.
@router.get(
    "/structures/lookup",
    tags=["gestionnaires"],
    summary="Retrouver une structure par SIRET, SIREN ou nom, avant de la revendiquer",
    dependencies=[requires("catalog:read")],
)
async def structure_lookup(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/structures/lookup", request)


@router.get("/structures/{structure_id}", tags=["structures"], summary="Fiche d'une structure")
async def structure(
    structure_id: IdPath,
    request: Request,
    caller: OptionalCallerDep,
) -> Response:
    return await upstream(request, "catalog").get(f"/v1/structures/{structure_id}", request)


@router.get(
    "/search/export",
    tags=["recherche"],
    summary="Exporter tout le résultat d'une recherche (CSV ou XLSX)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Le résultat entier, en pièce jointe",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    openapi_extra={
        "parameters": [
            *_SEARCH_PARAMETERS,
            {
                "name": "format",
                "in": "query",
                "schema": {"type": "string", "enum": ["csv", "xlsx"]},
            },
        ]
    },
    dependencies=[open_or("search:read")],
)
async def export(request: Request) -> Response:
    return await upstream(request, "sourcing").stream("/v1/search/export", request)


@router.get(
    "/market-depth",
    tags=["profondeur de marché"],
    summary="Profondeur du marché inclusif avant un achat",
    openapi_extra={"parameters": _SEARCH_PARAMETERS},
    dependencies=[open_or("search:read")],
)
async def market_depth(request: Request) -> Response:
    return await upstream(request, "sourcing").get("/v1/market-depth", request)


@router.get(
    "/insertion-hours",
    tags=["profondeur de marché"],
    summary="Calculer les heures d'insertion d'une clause sociale",
    openapi_extra={
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": required,
                "schema": {"type": "number"},
                "description": description,
            }
            for name, required, description in (
                ("amount_eur", True, "Montant du marché, € HT"),
                ("labour_share_percent", True, "Part de la main-d'œuvre, %"),
                ("insertion_rate_percent", True, "Taux d'insertion, %"),
                ("hourly_cost_eur", False, "Coût horaire chargé, € (30 par défaut)"),
            )
        ]
    },
)
async def insertion_hours(request: Request) -> Response:
    return await upstream(request, "sourcing").get("/v1/insertion-hours", request)


AnswerToken = Annotated[
    str, Path(min_length=10, max_length=200, description="Jeton du lien reçu par e-mail")
]


@router.get(
    "/answers/{token}", tags=["besoins"], summary="Lire un besoin reçu (lien signé, sans connexion)"
)
async def read_need(token: AnswerToken, request: Request) -> Response:
    return await upstream(request, "sourcing").get(f"/v1/answers/{quote(token, safe='')}", request)


@router.post(
    "/answers/{token}",
    tags=["besoins"],
    summary="Répondre à un besoin (lien signé, sans connexion)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "status": "interested",
                        "answers": {"0": "Oui"},
                        "contact_email": "contact@structure.fr",
                    }
                }
            }
        }
    },
)
async def answer_need(token: AnswerToken, request: Request) -> Response:
    return await upstream(request, "sourcing").post(f"/v1/answers/{quote(token, safe='')}", request)


# Structures' sub-resources (activities, offers, members, audit), claims and needs:
# forwarded with the caller's signed identity; the services enforce ownership.
Rest = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9/_-]*$")]


# A structure's needs live in sourcing, which checks with the catalog that the caller manages it;
# declared before the catalog's catch-all routes so that they take precedence.
@router.get(
    "/structures/{structure_id}/needs",
    tags=["besoins"],
    summary="Besoins publiés qui correspondent à ma structure (gestionnaires)",
    dependencies=[requires("catalog:read")],
)
async def structure_needs(structure_id: IdPath, request: Request) -> Response:
    return await upstream(request, "sourcing").get(f"/v1/structures/{structure_id}/needs", request)


@router.get(
    "/structures/{structure_id}/open-needs",
    tags=["besoins"],
    summary="Besoins ouverts que ma structure n'a pas reçus, et pourquoi (gestionnaires)",
    description=(
        "Besoins publiés encore ouverts, dans les secteurs ou sur le territoire de la structure, "
        "qui ne l'ont pas retenue : `missing` nomme le critère manquant (sector, zone, "
        "presta_type, kind), `why` l'explique. Les plus récents d'abord, 50 au plus ; rien de "
        "l'identité ni du contact de l'acheteur."
    ),
    dependencies=[requires("catalog:read")],
)
async def structure_open_needs(structure_id: IdPath, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/open-needs"
    return await upstream(request, "sourcing").get(path, request)


@router.get(
    "/structures/{structure_id}/needs/{need_id}",
    tags=["besoins"],
    summary="Lire un besoin reçu par ma structure (gestionnaires)",
    dependencies=[requires("catalog:read")],
)
async def structure_need(structure_id: IdPath, need_id: IdPath, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/needs/{need_id}"
    return await upstream(request, "sourcing").get(path, request)


@router.post(
    "/structures/{structure_id}/needs/{need_id}/answer",
    tags=["besoins"],
    summary="Répondre à un besoin reçu par ma structure (gestionnaires)",
    dependencies=[requires("catalog:write")],
)
async def structure_need_answer(
    structure_id: IdPath, need_id: IdPath, request: Request
) -> Response:
    path = f"/v1/structures/{structure_id}/needs/{need_id}/answer"
    return await upstream(request, "sourcing").send("POST", path, request)


# A structure's images: raw image bodies (5 Mio, see the edge), described as such.
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
_IMAGE_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "Le fichier image brut dans le corps, avec son Content-Type (image/png, image/jpeg "
            "ou image/webp) ; 5 Mio et 40 mégapixels au plus. Le type est lu dans le contenu. "
            "L'image est redressée, réduite et ré-encodée sans ses métadonnées."
        ),
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in _IMAGE_TYPES},
    }
}
_ALT_PARAMETER = {
    "name": "alt",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Texte alternatif de la photo",
}
_IMAGE_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Fichier vide"},
    413: {"description": "Plus de 5 Mio"},
    415: {"description": "Ni PNG, ni JPEG, ni WebP, ou Content-Type différent du contenu"},
    422: {"description": "Image illisible ou de plus de 40 mégapixels"},
}


@router.put(
    "/structures/{structure_id}/logo",
    tags=["images"],
    summary="Déposer ou remplacer le logo (gestionnaires, équipe ; 512 px au plus)",
    openapi_extra=_IMAGE_UPLOAD,
    responses=_IMAGE_REFUSALS,
    dependencies=[requires("catalog:write")],
)
async def structure_logo(structure_id: IdPath, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/logo"
    return await upstream(request, "catalog").send("PUT", path, request)


@router.post(
    "/structures/{structure_id}/photos",
    tags=["images"],
    summary="Ajouter une photo de la structure (12 au plus ; 1600 px au plus)",
    openapi_extra={**_IMAGE_UPLOAD, "parameters": [_ALT_PARAMETER]},
    responses={**_IMAGE_REFUSALS, 409: {"description": "Déjà 12 photos"}},
    status_code=201,
    dependencies=[requires("catalog:write")],
)
async def structure_photo(structure_id: IdPath, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/photos"
    return await upstream(request, "catalog").send("POST", path, request)


@router.post(
    "/structures/{structure_id}/offers/{offer_id}/photos",
    tags=["images"],
    summary="Ajouter une photo à une offre (6 au plus ; 1600 px au plus)",
    openapi_extra={**_IMAGE_UPLOAD, "parameters": [_ALT_PARAMETER]},
    responses={**_IMAGE_REFUSALS, 409: {"description": "Déjà 6 photos"}},
    status_code=201,
    dependencies=[requires("catalog:write")],
)
async def offer_photo(structure_id: IdPath, offer_id: IdPath, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/offers/{offer_id}/photos"
    return await upstream(request, "catalog").send("POST", path, request)


MediaId = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="Image")]


@router.get(
    "/media/{media_id}",
    tags=["images"],
    summary="Lire une image (publique, sans connexion ; en cache un an)",
    response_class=Response,
    responses={
        200: {
            "description": "L'image redimensionnée et ré-encodée",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/png", "image/jpeg")
            },
        }
    },
)
async def media(media_id: MediaId, request: Request) -> Response:
    return await upstream(request, "catalog").get(f"/v1/media/{media_id}", request)


@router.api_route(
    "/structures/{structure_id}/{rest:path}",
    methods=["GET"],
    tags=["structures"],
    summary=(
        "Activités, offres, gestionnaires, invitations, indexation, historique d'une structure"
    ),
)
async def structure_part(
    structure_id: IdPath,
    rest: Rest,
    request: Request,
    caller: OptionalCallerDep,
) -> Response:
    return await upstream(request, "catalog").get(f"/v1/structures/{structure_id}/{rest}", request)


@router.patch(
    "/structures/{structure_id}",
    tags=["structures"],
    summary="Modifier la fiche (gestionnaires ; If-Match requis)",
    dependencies=[requires("catalog:write")],
)
async def structure_update(structure_id: IdPath, request: Request) -> Response:
    return await upstream(request, "catalog").send(
        "PATCH", f"/v1/structures/{structure_id}", request
    )


async def structure_write(structure_id: IdPath, rest: Rest, request: Request) -> Response:
    path = f"/v1/structures/{structure_id}/{rest}"
    return await upstream(request, "catalog").send(request.method, path, request)


async def claims(rest: Rest, request: Request) -> Response:
    return await upstream(request, "catalog").send(request.method, f"/v1/claims{rest}", request)


# One operation per method, each with its own id in the OpenAPI document.
for _method in ("POST", "PATCH", "DELETE"):
    router.add_api_route(
        "/structures/{structure_id}/{rest:path}",
        structure_write,
        methods=[_method],
        operation_id=f"structure_write_{_method.lower()}",
        tags=["structures"],
        summary=(
            "Écrire les activités et offres, gérer les gestionnaires et les invitations "
            "(If-Match requis pour les activités et offres)"
        ),
        dependencies=[requires("catalog:write")],
    )
for _method in ("GET", "POST", "PUT"):
    router.add_api_route(
        "/claims{rest:path}",
        claims,
        methods=[_method],
        operation_id=f"claims_{_method.lower()}",
        tags=["gestionnaires"],
        summary="Revendiquer une structure, déposer un justificatif, suivre et décider les demandes",
        dependencies=[requires("catalog:write")],
    )


@router.get(
    "/staff/claims",
    tags=["gestionnaires"],
    summary="File des demandes à examiner par l'équipe, les plus anciennes d'abord",
    dependencies=[requires("catalog:write")],
)
async def staff_claims(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/staff/claims", request)


InvitationToken = Annotated[
    str,
    Path(
        min_length=20,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Jeton du lien reçu par e-mail",
    ),
]


@router.get(
    "/invitations/{token}",
    tags=["gestionnaires"],
    summary="Lire une invitation à gérer une structure (connecté)",
    dependencies=[requires("catalog:read")],
)
async def invitation(token: InvitationToken, request: Request) -> Response:
    return await upstream(request, "catalog").get(f"/v1/invitations/{token}", request)


@router.post(
    "/invitations/{token}/accept",
    tags=["gestionnaires"],
    summary="Accepter une invitation (connecté avec l'adresse invitée)",
    dependencies=[requires("catalog:write")],
)
async def accept_invitation(token: InvitationToken, request: Request) -> Response:
    path = f"/v1/invitations/{token}/accept"
    return await upstream(request, "catalog").send("POST", path, request)


@router.get(
    "/staff/imports",
    tags=["équipe"],
    summary="Imports des fichiers de structures, les plus récents d'abord (équipe)",
    dependencies=[requires("catalog:write")],
)
async def import_runs(request: Request) -> Response:
    return await upstream(request, "catalog").get("/v1/staff/imports", request)


@router.get(
    "/staff/imports/{run_id}",
    tags=["équipe"],
    summary="Un import et ses lignes écartées, 50 par page (équipe)",
    dependencies=[requires("catalog:write")],
)
async def import_run(run_id: IdPath, request: Request) -> Response:
    return await upstream(request, "catalog").get(f"/v1/staff/imports/{run_id}", request)


@router.api_route(
    "/needs{rest:path}",
    methods=["GET"],
    tags=["besoins"],
    summary="Suivre ses besoins",
    dependencies=[requires("needs:read")],
)
async def needs_read(rest: Rest, request: Request) -> Response:
    return await upstream(request, "sourcing").get(f"/v1/needs{rest}", request)


@router.api_route(
    "/needs{rest:path}",
    methods=["POST"],
    tags=["besoins"],
    summary="Déposer, publier, clore un besoin",
    dependencies=[requires("needs:write")],
)
async def needs_write(rest: Rest, request: Request) -> Response:
    return await upstream(request, "sourcing").send("POST", f"/v1/needs{rest}", request)


@router.get(
    "/me/needs",
    tags=["besoins"],
    summary="Besoins publiés qui correspondent aux structures que je gère",
    dependencies=[requires("catalog:read")],
)
async def my_needs(request: Request) -> Response:
    return await upstream(request, "sourcing").get("/v1/me/needs", request)


@router.patch(
    "/needs/{need_id}",
    tags=["besoins"],
    summary="Modifier un besoin (If-Match requis)",
    dependencies=[requires("needs:write")],
)
async def need_update(need_id: IdPath, request: Request) -> Response:
    return await upstream(request, "sourcing").send("PATCH", f"/v1/needs/{need_id}", request)


@router.get(
    "/staff/needs",
    tags=["équipe"],
    summary="Besoins à modérer, les plus anciens d'abord, avec l'organisation de l'acheteur (équipe)",
    description="`status=moderation` (seule valeur). Valider : `POST /needs/{id}/publish` ; "
    'refuser avec un motif : `POST /needs/{id}/reject` `{"reason"}`.',
    dependencies=[requires("needs:read")],
)
async def staff_needs(request: Request) -> Response:
    return await upstream(request, "sourcing").get("/v1/staff/needs", request)


@router.get(
    "/staff/untold",
    tags=["équipe"],
    summary="Structures à prévenir d'un besoin, faute de gestionnaire (équipe)",
    dependencies=[requires("needs:read")],
)
async def untold_matches(request: Request) -> Response:
    return await upstream(request, "sourcing").get("/v1/staff/untold", request)


@router.get(
    "/reference/{name}",
    tags=["référentiels"],
    summary="Référentiels : kinds, presta-types, sectors, cpv?q=, communes?q=, departments, regions",
)
async def reference(
    name: Annotated[
        str, Path(pattern="^(kinds|presta-types|sectors|cpv|communes|departments|regions)$")
    ],
    request: Request,
) -> Response:
    return await upstream(request, "sourcing").get(f"/v1/reference/{name}", request)
