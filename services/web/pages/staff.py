"""Pages: the staff back-office — the queues at a glance, claims to decide on a proof, needs to
moderate, structures to phone, import runs and their rejected rows, any structure found,
delisted or relisted. Refused (403) to anyone but staff; the API refuses them too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import backoffice_view as view
from services.web import needs_view
from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.lists_view import summary
from services.web.manage_view import calls, is_staff
from services.web.places import territories
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
ClaimId = Annotated[int, Path(ge=1, le=2**31)]
NeedId = Annotated[int, Path(ge=1, le=2**31)]
RunId = Annotated[int, Path(ge=1, le=2**31)]
StructureId = Annotated[int, Path(ge=1, le=2**31)]
Decision = Annotated[str, Path(pattern="^(accepter|refuser)$")]
ListingChange = Annotated[str, Path(pattern="^(retirer|remettre)$")]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


def _refused(visitor: Visitor) -> HTMLResponse | None:
    """The 403 page (nothing of the back-office shown) for anyone but staff."""
    if is_staff(visitor):
        return None
    return visitor.render(
        "errors/error.html",
        {
            "status": 403,
            "title": "Accès refusé",
            "message": "Cette page est réservée à l'équipe de la plateforme.",
        },
        status_code=403,
    )


def _page(
    visitor: Visitor,
    template: str,
    current: str,
    context: dict[str, Any],
    status_code: int = 200,
    crumbs: tuple[tuple[str, str], ...] = (),
) -> HTMLResponse:
    trail = [("Back-office", "/back-office")]
    if current != "accueil":
        trail.append((view.SECTION_LABELS[current], view.SECTION_HREFS[current]))
    trail.extend(crumbs)
    return visitor.render(
        template,
        {
            "section": "back-office",
            "sections": view.SECTIONS,
            "current": current,
            "breadcrumb": trail,
            **context,
        },
        status_code=status_code,
    )


async def _get(visitor: Visitor, path: str, **params: Any) -> Any:
    return await visitor.state.api.get(path, params=params or None, **calls(visitor))


async def _optional(visitor: Visitor, path: str, **params: Any) -> Any | None:
    """A queue's answer, or None while its API is not there (the API's 403 is not hidden)."""
    try:
        return await _get(visitor, path, **params)
    except ApiProblem as problem:
        if problem.status in view.UNAVAILABLE:
            return None
        raise
    except ApiUnavailable:
        return None


# -- the front page ------------------------------------------------------------------------


@router.get("/back-office", response_class=HTMLResponse)
async def home(visitor: SignedInDep) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    claims, needs, untold, imports = await asyncio.gather(
        _optional(visitor, "/staff/claims", limit=1),
        _optional(visitor, "/staff/needs", status="moderation"),
        _optional(visitor, "/staff/untold", limit=view.UNTOLD_LIMIT),
        _optional(visitor, "/staff/imports"),
    )
    latest = view.latest_runs(view.items_of(imports) if imports is not None else [])
    untold_count = None if untold is None else view.total_of(untold)
    queues = [
        view.QueueCount(
            "demandes",
            "Demandes de gestion à examiner",
            "/back-office/demandes",
            None if claims is None else view.total_of(claims),
            hint="Justificatifs déposés par des demandeurs, les plus anciens d'abord.",
        ),
        view.QueueCount(
            "besoins",
            "Besoins en attente de modération",
            "/back-office/besoins",
            None if needs is None else view.total_of(needs),
            hint="À valider avant publication, ou à renvoyer à l'acheteur avec un motif.",
        ),
        view.QueueCount(
            "a-prevenir",
            "Structures à prévenir",
            "/back-office/a-prevenir",
            untold_count,
            capped=untold_count is not None and untold_count >= view.UNTOLD_LIMIT,
            hint="Trouvées par un besoin publié, sans gestionnaire inscrit : à contacter.",
        ),
        view.QueueCount(
            "imports",
            "Lignes rejetées aux derniers imports",
            "/back-office/imports",
            None if imports is None else sum(int(r.get("rejected") or 0) for r in latest),
            hint=view.latest_imports_hint(latest),
        ),
    ]
    return _page(visitor, "staff/home.html", "accueil", {"queues": queues})


# -- claims --------------------------------------------------------------------------------


async def _claim(visitor: Visitor, claim_id: int) -> dict[str, Any] | None:
    """The pending claim from the staff's queue (there is no other way to read one)."""
    for index in range(view.CLAIM_SCAN_PAGES):
        found = await _get(
            visitor,
            "/staff/claims",
            offset=index * view.CLAIM_SCAN_SIZE,
            limit=view.CLAIM_SCAN_SIZE,
        )
        rows = view.items_of(found)
        claim = next((c for c in rows if c.get("id") == claim_id), None)
        if claim is not None or len(rows) < view.CLAIM_SCAN_SIZE:
            return claim
    return None


@router.get("/back-office/demandes", response_class=HTMLResponse)
async def claims(visitor: SignedInDep, page: PageNumber = 1) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    size = 50
    found = await _get(visitor, "/staff/claims", offset=(page - 1) * size, limit=size)
    total = view.total_of(found)
    query = visitor.request.query_params
    return _page(
        visitor,
        "staff/claims.html",
        "demandes",
        {
            "claims": view.items_of(found),
            "total": total,
            "page": page,
            "last_page": view.pages(total, size),
            "window": view.page_window(page, view.pages(total, size)),
            "methods": view.CLAIM_METHODS,
            "proof_label": view.proof_label,
            "clock": view.french_time,
            "done": query.get("decision"),
            "done_name": query.get("structure", "")[:300],
        },
    )


@router.get("/back-office/demandes/{claim_id}/justificatif")
async def proof(visitor: SignedInDep, claim_id: ClaimId) -> Response:
    """The claim's proof, streamed from the API to the staff member: shown in the browser,
    kept by no cache on the way."""
    if refused := _refused(visitor):
        return refused
    api, user = visitor.state.api, visitor.user
    assert user is not None
    if user.access_expires_at < time.time() + 30:
        await api.refresh(user)
    stream = api.stream(f"/claims/{claim_id}/proof", user=user, client_ip=visitor.client_ip)
    upstream = await stream.__aenter__()
    if upstream.status_code >= 400:
        await upstream.aread()
        await stream.__aexit__(None, None, None)
        if upstream.status_code >= 500:
            raise ApiUnavailable(f"HTTP {upstream.status_code}")
        raise ApiProblem.of(upstream)

    media_type = upstream.headers.get("content-type", "application/octet-stream")
    extension = view.PROOF_TYPES.get(media_type.split(";")[0].strip(), "")
    suffix = {"PDF": "pdf", "image PNG": "png", "image JPEG": "jpg"}.get(extension, "bin")
    return relayed(
        stream,
        upstream,
        media_type,
        {
            "Content-Disposition": f'inline; filename="justificatif-demande-{claim_id}.{suffix}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _decision_page(
    visitor: Visitor,
    claim: dict[str, Any],
    decision: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    accept = view.DECISIONS[decision]
    return _page(
        visitor,
        "staff/claim_decision.html",
        "demandes",
        {
            "claim": claim,
            "decision": decision,
            "accept": accept,
            "methods": view.CLAIM_METHODS,
            "proof_label": view.proof_label,
            "clock": view.french_time,
            "values": values or {},
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors else 200,
        crumbs=(("Accepter la demande" if accept else "Refuser la demande", ""),),
    )


def _claim_gone(visitor: Visitor, claim_id: int) -> HTMLResponse:
    return _page(
        visitor,
        "staff/gone.html",
        "demandes",
        {
            "title": "Demande introuvable",
            "message": (
                f"La demande n° {claim_id} n'attend plus de décision : elle a déjà été traitée, "
                "annulée, ou n'existe pas."
            ),
            "back": ("Revenir aux demandes", "/back-office/demandes"),
        },
        status_code=404,
    )


@router.get("/back-office/demandes/{claim_id}/{decision}", response_class=HTMLResponse)
async def decision_form(
    visitor: SignedInDep,
    claim_id: ClaimId,
    decision: Decision,
) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    claim = await _claim(visitor, claim_id)
    if claim is None:
        return _claim_gone(visitor, claim_id)
    return await _decision_page(visitor, claim, decision)


@router.post("/back-office/demandes/{claim_id}/{decision}", response_class=HTMLResponse)
async def decide(
    visitor: SignedInDep,
    form: CheckedForm,
    claim_id: ClaimId,
    decision: Decision,
) -> Response:
    if refused := _refused(visitor):
        return refused
    claim = await _claim(visitor, claim_id)
    if claim is None:
        return _claim_gone(visitor, claim_id)
    accept = view.DECISIONS[decision]
    reason = view.clean_text(form.get("reason"))
    values = {"reason": str(form.get("reason") or "")}
    errors = view.reason_errors(reason, required=not accept)
    if errors:
        return await _decision_page(visitor, claim, decision, values, errors)
    action = "accept" if accept else "refuse"
    try:
        await visitor.state.api.post(
            f"/claims/{claim_id}/{action}", {"reason": reason or None}, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status == 409:
            return _claim_gone(visitor, claim_id)
        return await _decision_page(
            visitor, claim, decision, values, view.field_errors(problem), problem
        )
    name = view.structure_label(claim)
    done = "acceptee" if accept else "refusee"
    return redirect(f"/back-office/demandes?decision={done}&structure={_quoted(name)}")


def _quoted(text: str) -> str:
    return quote(text[:300], safe="")


# -- needs in moderation -------------------------------------------------------------------


@router.get("/back-office/besoins", response_class=HTMLResponse)
async def needs(visitor: SignedInDep) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    found = await _get(visitor, "/staff/needs", status="moderation")
    query = visitor.request.query_params
    return _page(
        visitor,
        "staff/needs.html",
        "besoins",
        {
            "needs": view.items_of(found),
            "kind_labels": dict(needs_view.NEED_KINDS),
            "buyer_of": view.buyer_of,
            "done": query.get("decision"),
            "done_title": query.get("titre", "")[:300],
        },
    )


async def _need_context(visitor: Visitor, need: dict[str, Any]) -> dict[str, Any]:
    catalogue, known = await asyncio.gather(
        sector_catalogue(visitor.state.api, visitor.client_ip),
        territories(visitor.state.api, visitor.client_ip),
    )
    level, code = need.get("place_level"), need.get("place_code")
    names = needs_view.territory_names(level, code, known)
    if level == "commune" and code:
        try:
            communes = await _get(visitor, "/reference/communes", q=code)
        except ApiProblem:
            communes = []
        names |= {f"commune:{code}": c["name"] for c in communes if c.get("code") == code}
    return {
        "sector_labels": [catalogue.names.get(s, s) for s in need.get("sectors") or []],
        "place_label": needs_view.place_label(level, code, names),
        "kind_label": dict(needs_view.NEED_KINDS).get(need.get("kind", ""), need.get("kind")),
        "presta_labels": dict(needs_view.PRESTA_TYPES),
        "reservation_label": dict(needs_view.RESERVATIONS).get(need.get("reservation") or "", ""),
        "status_labels": needs_view.STATUS_LABELS,
    }


async def _need_page(
    visitor: Visitor,
    need_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    need, queue = await asyncio.gather(
        _get(visitor, f"/needs/{need_id}"),
        _optional(visitor, "/staff/needs", status="moderation"),
    )
    # The queue's row says who deposited it (the need's own answer may not).
    listed = next((n for n in view.items_of(queue) if n.get("id") == need_id), {})
    return _page(
        visitor,
        "staff/need.html",
        "besoins",
        {
            "need": need,
            "buyer": view.buyer_of({**listed, **{k: v for k, v in need.items() if v}}),
            **(await _need_context(visitor, need)),
            "values": values or {},
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors else 200,
        crumbs=((str(need.get("title") or f"Besoin n° {need_id}"), ""),),
    )


@router.get("/back-office/besoins/{need_id}", response_class=HTMLResponse)
async def need(visitor: SignedInDep, need_id: NeedId) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    return await _need_page(visitor, need_id)


@router.post("/back-office/besoins/{need_id}/valider", response_class=HTMLResponse)
async def publish_need(visitor: SignedInDep, _form: CheckedForm, need_id: NeedId) -> Response:
    if refused := _refused(visitor):
        return refused
    try:
        published = await visitor.state.api.post(f"/needs/{need_id}/publish", **calls(visitor))
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return await _need_page(visitor, need_id, {}, {"publish": problem.detail}, problem)
    title = str((published or {}).get("title") or "")
    return redirect(f"/back-office/besoins?decision=publie&titre={_quoted(title)}")


@router.post("/back-office/besoins/{need_id}/refuser", response_class=HTMLResponse)
async def reject_need(visitor: SignedInDep, form: CheckedForm, need_id: NeedId) -> Response:
    if refused := _refused(visitor):
        return refused
    reason = view.clean_text(form.get("reason"))
    values = {"reason": str(form.get("reason") or "")}
    errors = view.reason_errors(reason, required=True, limit=view.MAX_NEED_REASON)
    if errors:
        errors = {"reason": errors["reason"].replace("au demandeur", "à l'acheteur")}
        return await _need_page(visitor, need_id, values, errors)
    try:
        rejected = await visitor.state.api.post(
            f"/needs/{need_id}/reject", {"reason": reason}, **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return await _need_page(visitor, need_id, values, view.field_errors(problem), problem)
    title = str((rejected or {}).get("title") or "")
    return redirect(f"/back-office/besoins?decision=refuse&titre={_quoted(title)}")


# -- structures to tell by other means -----------------------------------------------------


@router.get("/back-office/a-prevenir", response_class=HTMLResponse)
async def untold(visitor: SignedInDep, page: PageNumber = 1) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    rows = view.items_of(await _get(visitor, "/staff/untold", limit=view.UNTOLD_LIMIT))
    last = view.pages(len(rows), view.UNTOLD_PAGE_SIZE)
    page = min(page, last)
    shown = rows[(page - 1) * view.UNTOLD_PAGE_SIZE : page * view.UNTOLD_PAGE_SIZE]

    gate = asyncio.Semaphore(view.CONTACT_READS)

    async def contact(structure_id: int) -> tuple[int, dict[str, Any] | None]:
        async with gate:
            try:
                found: dict[str, Any] = await _get(visitor, f"/structures/{structure_id}")
            except ApiProblem:
                return structure_id, None
        return structure_id, found

    ids = sorted({int(r["structure_id"]) for r in shown if r.get("structure_id")})
    structures = dict(await asyncio.gather(*(contact(i) for i in ids)))
    return _page(
        visitor,
        "staff/untold.html",
        "a-prevenir",
        {
            "groups": view.untold_by_need(shown),
            "structures": structures,
            "contact_of": view.public_contact,
            "total": len(rows),
            "capped": len(rows) >= view.UNTOLD_LIMIT,
            "page": page,
            "last_page": last,
            "window": view.page_window(page, last),
        },
    )


# -- import runs ---------------------------------------------------------------------------


@router.get("/back-office/imports", response_class=HTMLResponse)
async def imports(visitor: SignedInDep) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    runs = view.items_of(await _get(visitor, "/staff/imports"))
    return _page(
        visitor, "staff/imports.html", "imports", {"runs": runs, "clock": view.french_time}
    )


@router.get("/back-office/imports/{run_id}", response_class=HTMLResponse)
async def import_run(visitor: SignedInDep, run_id: RunId, page: PageNumber = 1) -> Response:
    if refused := _refused(visitor):
        return refused
    run = await _get(visitor, f"/staff/imports/{run_id}", page=page)
    rejections = run.get("rejections") or []
    if isinstance(rejections, dict):
        rejections = view.items_of(rejections)
    total = int(run.get("rejected") or len(rejections))
    last = int(run.get("pages") or view.pages(total, view.IMPORT_PAGE_SIZE))
    return _page(
        visitor,
        "staff/import_run.html",
        "imports",
        {
            "run": run,
            "rejections": rejections,
            "total": total,
            "page": page,
            "last_page": last,
            "window": view.page_window(page, last),
            "first_line": (page - 1) * view.IMPORT_PAGE_SIZE + 1,
            "clock": view.french_time,
        },
        crumbs=((f"Import n° {run_id}", ""),),
    )


# -- any structure: find, edit, delist, relist ---------------------------------------------


@router.get("/back-office/structures", response_class=HTMLResponse)
async def structures(
    visitor: SignedInDep,
    q: Annotated[str | None, Query(max_length=view.MAX_QUERY * 2)] = None,
    department: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    text = (q or "").strip()
    place = (department or "").strip().upper()
    errors: dict[str, str] = {}
    found: list[dict[str, Any]] | None = None
    problem: ApiProblem | None = None
    if q is not None and len(text) < 2:
        errors = {"q": "Saisissez au moins 2 caractères : un SIRET, un SIREN ou un nom."}
    elif len(text) > view.MAX_QUERY:
        errors = {"q": f"Saisissez {view.MAX_QUERY} caractères au plus."}
    elif place and not view.DEPARTMENT.fullmatch(place):
        errors = {"department": "Saisissez un numéro de département : 75, 2A, 971…"}
    elif text:
        params = {"q": text, "include_inactive": "true"} | ({"department": place} if place else {})
        try:
            found = view.items_of(await _get(visitor, "/structures/lookup", **params))
        except ApiProblem as problem_found:
            if problem_found.status == 403:
                raise
            problem, errors = problem_found, view.field_errors(problem_found, "q")
    query = visitor.request.query_params
    return _page(
        visitor,
        "staff/structures.html",
        "structures",
        {
            "values": {"q": q or "", "department": department or ""},
            "errors": errors,
            "problem": summary(problem, errors),
            "found": found,
            "done": query.get("fait"),
            "done_name": query.get("structure", "")[:300],
            "delisted_id": query.get("id", ""),
            "delisted_version": query.get("version", ""),
        },
        status_code=400 if errors else 200,
    )


async def _structure(visitor: Visitor, structure_id: int) -> tuple[dict[str, Any], str]:
    """The structure and its ETag."""
    response = await visitor.state.api.send("GET", f"/structures/{structure_id}", **calls(visitor))
    found: dict[str, Any] = response.json()
    return found, response.headers.get("etag", f'"v{found.get("version", 1)}"')


async def _listed(
    visitor: Visitor, structure_id: int, relist: bool, known: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The structure and its ETag. A delisted one that the API does not show is known by what
    the back-office carried from its delisting (name, SIRET, the version it left at)."""
    try:
        return await _structure(visitor, structure_id)
    except ApiProblem as problem:
        if problem.status != 404 or not relist:
            raise
    version = str(known.get("version") or "")
    structure = {
        "id": structure_id,
        "name": str(known.get("nom") or "")[:300] or f"Structure n° {structure_id}",
        "siret": str(known.get("siret") or "")[:14] or None,
        "is_active": False,
        "version": int(version) if version.isdigit() and len(version) < 10 else None,
    }
    etag = f'"v{structure["version"]}"' if structure["version"] else None
    return structure, etag


LISTING_CHANGES = {"retirer": False, "remettre": True}


def _listing_page(
    visitor: Visitor,
    structure: dict[str, Any],
    change: str,
    etag: str | None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    relist = LISTING_CHANGES[change]
    return _page(
        visitor,
        "staff/listing_change.html",
        "structures",
        {
            "structure": structure,
            "change": change,
            "relist": relist,
            "possible": etag is not None,
            "label": view.structure_label(structure),
            "takes_reason": view.LISTING_TAKES_REASON,
            "values": values or {},
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors or problem else status_code,
        crumbs=(("Remettre en ligne" if relist else "Retirer du catalogue", ""),),
    )


@router.get("/back-office/structures/{structure_id}/{change}", response_class=HTMLResponse)
async def listing_form(
    visitor: SignedInDep,
    structure_id: StructureId,
    change: ListingChange,
) -> HTMLResponse:
    if refused := _refused(visitor):
        return refused
    relist = LISTING_CHANGES[change]
    known = visitor.request.query_params
    structure, etag = await _listed(visitor, structure_id, relist, known)
    return _listing_page(visitor, structure, change, etag)


@router.post("/back-office/structures/{structure_id}/{change}", response_class=HTMLResponse)
async def change_listing(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: StructureId,
    change: ListingChange,
) -> Response:
    if refused := _refused(visitor):
        return refused
    relist = LISTING_CHANGES[change]
    structure, etag = await _listed(visitor, structure_id, relist, form)
    reason = view.clean_text(form.get("reason"))
    values = {"reason": str(form.get("reason") or "")}
    errors = view.reason_errors(reason, required=False)
    if errors or etag is None:
        return _listing_page(visitor, structure, change, etag, values, errors, status_code=409)
    if bool(structure.get("is_active")) == relist:
        # Already as asked (another staff member, another tab): nothing to change.
        return redirect(_after_listing(structure, relist))
    body: dict[str, Any] = {"is_active": relist}
    if reason and view.LISTING_TAKES_REASON:
        body["reason"] = reason
    try:
        changed = await visitor.state.api.send(
            "PATCH",
            f"/structures/{structure_id}",
            json=body,
            headers={"If-Match": etag},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return _listing_page(
            visitor, structure, change, etag, values, view.field_errors(problem), problem
        )
    return redirect(_after_listing(structure, relist, changed.headers.get("etag", "")))


def _after_listing(structure: dict[str, Any], relist: bool, etag: str = "") -> str:
    """Back to the search that finds it, saying what was done; a delisting carries the version
    the structure is now at, which relisting it names (the API no longer shows it)."""
    key = structure.get("siret") or structure.get("name") or ""
    done = "remise" if relist else "retiree"
    version = etag.strip('"').removeprefix("v")
    carried = f"&id={structure['id']}&version={version}" if version.isdigit() else ""
    return (
        f"/back-office/structures?q={_quoted(str(key))}&fait={done}"
        f"&structure={_quoted(view.structure_label(structure))}{carried}"
    )
