"""A service's API documentation page, served whole: Swagger UI's files come from the pinned
package `make setup` unpacks (scripts/front_assets.txt), never from a CDN, so the page works
offline and under a content security policy that allows its own origin only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, HTMLResponse, Response

from services.common.errors import NotFound

SWAGGER_UI = "swagger-ui"
# The files of the package the page uses, and their types; nothing else is served.
SWAGGER_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INIT_SCRIPT = "docs-init.js"
# Its own file rather than an inline script, which the page's policy forbids.
_INIT = """window.ui = SwaggerUIBundle({{
  url: "{openapi_url}",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
"""
_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/{init}"></script>
</body>
</html>
"""
_MISSING = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>Documentation indisponible</h1>
<p>Les fichiers de la documentation ne sont pas installés sur ce serveur : lancez
<code>make setup</code> (ou <code>scripts/fetch_assets.sh</code>). Le document OpenAPI reste
disponible sur <a href="{openapi_url}">{openapi_url}</a>.</p></body></html>
"""
# The docs page runs scripts, from this origin only; the rest of the API runs none.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

AssetName = Annotated[str, PathParameter(max_length=40)]


def docs_router(assets_dir: Path, docs_path: str, openapi_url: str, title: str) -> APIRouter:
    """`docs_path` answers the page, `docs_path`/assets/… its files, read from `assets_dir`."""
    router = APIRouter(include_in_schema=False)
    assets = f"{docs_path}/assets"
    folder = assets_dir / SWAGGER_UI
    page = _PAGE.format(title=title, assets=assets, init=INIT_SCRIPT)
    init = _INIT.format(openapi_url=openapi_url)

    @router.get(docs_path)
    async def docs() -> HTMLResponse:
        if not all((folder / name).is_file() for name in SWAGGER_FILES):
            return HTMLResponse(
                _MISSING.format(title=title, openapi_url=openapi_url), status_code=503
            )
        return HTMLResponse(page)

    @router.get(assets + "/{name}")
    async def docs_asset(name: AssetName) -> Response:
        headers = {"cache-control": "public, max-age=86400"}
        if name == INIT_SCRIPT:
            return Response(init, media_type="text/javascript; charset=utf-8", headers=headers)
        media_type = SWAGGER_FILES.get(name)
        path = folder / name
        if media_type is None or not path.is_file():
            raise NotFound("Aucun fichier de la documentation à ce nom.")
        return FileResponse(path, media_type=media_type, headers=headers)

    return router
