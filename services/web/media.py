"""Logos and photos: uploads read from the browser's form and sent to the API as raw bytes,
checked first for what the page can say at once (nothing chosen, empty, too heavy); and the
stored images served from the website's own origin, as the content security policy wants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from services.web.api import Api, ApiProblem
from services.web.listing_view import IMAGE_TYPES, MAX_UPLOAD
from services.web.manage_view import calls
from services.web.visitor import Visitor

MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# Headers of the stored image passed on to the browser (the API keeps it a year, immutable).
PASSED_HEADERS = ("cache-control", "etag", "last-modified")
TOO_HEAVY = "Le fichier dépasse 5 Mio : envoyez une image de 5 Mio au plus."
EMPTY = "Le fichier est vide."
NOTHING_CHOSEN = "Choisissez un fichier image (PNG, JPEG ou WebP)."


@dataclass
class Upload:
    content: bytes
    content_type: str
    filename: str


async def read_upload(value: Any) -> tuple[Upload | None, str | None]:
    """The file of a form's field, or the reason it cannot be sent. Nothing chosen is
    (None, None): the field was left empty."""
    if not isinstance(value, UploadFile) or not value.filename:
        return None, None
    content = await value.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        return None, TOO_HEAVY
    if not content:
        return None, EMPTY
    declared = (value.content_type or "").split(";")[0].strip().lower()
    # The API reads the type from the bytes; what the browser guessed from the name only helps.
    content_type = declared if declared in IMAGE_TYPES else "image/png"
    return Upload(content, content_type, value.filename), None


def refusal(problem: ApiProblem) -> str:
    """The API's refusal of a file, in one sentence for the field."""
    messages = [e.message for e in problem.errors if e.message]
    return problem.detail or (messages[0] if messages else problem.title)


async def send_logo(visitor: Visitor, structure_id: int, upload: Upload) -> str | None:
    try:
        await visitor.state.api.send(
            "PUT",
            f"/structures/{structure_id}/logo",
            content=upload.content,
            headers={"Content-Type": upload.content_type},
            **calls(visitor),
        )
    except ApiProblem as problem:
        return refusal(problem)
    return None


async def send_photo(visitor: Visitor, structure_id: int, upload: Upload, alt: str) -> str | None:
    try:
        await visitor.state.api.send(
            "POST",
            f"/structures/{structure_id}/photos",
            params={"alt": alt} if alt else None,
            content=upload.content,
            headers={"Content-Type": upload.content_type},
            **calls(visitor),
        )
    except ApiProblem as problem:
        return refusal(problem)
    return None


async def stored_image(request: Request, api: Api, media_id: str) -> Response:
    """The API's image streamed through, with its type and cache headers; 304 when the
    browser has it already."""
    headers = {}
    if match := request.headers.get("if-none-match"):
        headers["If-None-Match"] = match
    client = api.client
    try:
        upstream = await client.send(
            client.build_request("GET", f"/media/{media_id}", headers=headers, timeout=15),
            stream=True,
        )
    except httpx.HTTPError:
        return Response(status_code=503)
    passed = passed_headers(upstream, shared=not request.scope.get("mi_session_new"))
    content_type = upstream.headers.get("content-type", "").split(";")[0].strip()
    if upstream.status_code != 200 or content_type not in IMAGE_TYPES:
        await upstream.aclose()
        if upstream.status_code == 304:
            return Response(status_code=304, headers=passed)
        return Response(status_code=503 if upstream.status_code >= 500 else 404)
    return StreamingResponse(
        upstream.aiter_bytes(),
        media_type=content_type,
        headers=passed,
        background=BackgroundTask(upstream.aclose),
    )


def passed_headers(response: httpx.Response, shared: bool) -> dict[str, str]:
    """The cache headers to pass on. An answer that opens a session (a cookie is set with it)
    is kept by the browser alone, never by a shared cache."""
    passed = {k: v for k in PASSED_HEADERS if (v := response.headers.get(k))}
    if not shared and "cache-control" in passed:
        passed["cache-control"] = passed["cache-control"].replace("public", "private")
    return passed
