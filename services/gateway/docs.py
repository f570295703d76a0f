"""The API's documentation page, served whole by the gateway: Swagger UI's files come from the
pinned package `make setup` unpacks (scripts/front_assets.txt), never from a CDN, so the page
works offline and under a content security policy that allows this origin only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, HTMLResponse, Response

from services.common.errors import NotFound
from services.gateway.state import GatewayStateDep

ASSETS_PATH = "/api/docs/assets"
SWAGGER_UI = "swagger-ui"
# The files of the package the page uses, and their types; nothing else is served.
SWAGGER_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INIT_SCRIPT = "docs-init.js"
# Its own file rather than an inline script, which the page's policy forbids.
_INIT = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""
_PAGE = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Marché inclusif — API</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/{INIT_SCRIPT}"></script>
</body>
</html>
"""
_MISSING = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Marché inclusif — API</title></head>
<body><h1>Documentation indisponible</h1>
<p>Les fichiers de la documentation ne sont pas installés sur ce serveur : lancez
<code>make setup</code> (ou <code>scripts/fetch_assets.sh</code>). Le document OpenAPI reste
disponible sur <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>
"""
# The docs page runs scripts, from this origin only; the rest of the API runs none.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

router = APIRouter(include_in_schema=False)
AssetName = Annotated[str, Path(max_length=40)]


@router.get("/api/docs")
async def docs(state: GatewayStateDep) -> HTMLResponse:
    folder = state.settings.assets_dir / SWAGGER_UI
    if not all((folder / name).is_file() for name in SWAGGER_FILES):
        return HTMLResponse(_MISSING, status_code=503)
    return HTMLResponse(_PAGE)


@router.get(ASSETS_PATH + "/{name}")
async def docs_asset(name: AssetName, state: GatewayStateDep) -> Response:
    headers = {"cache-control": "public, max-age=86400"}
    if name == INIT_SCRIPT:
        return Response(_INIT, media_type="text/javascript; charset=utf-8", headers=headers)
    media_type = SWAGGER_FILES.get(name)
    path = state.settings.assets_dir / SWAGGER_UI / name
    if media_type is None or not path.is_file():
        raise NotFound("Aucun fichier de la documentation à ce nom.")
    return FileResponse(path, media_type=media_type, headers=headers)
