"""Pages: a supplier manager finds their structure and claims it (or asks to join its team),
then follows the claim — the code received by the structure, the proof sent to the staff, the
administrators' decision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.web import claims_view as view
from services.web.api import ApiProblem
from services.web.manage_view import calls, my_account
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
StructureId = Path(ge=1, le=2**31)
ClaimId = Path(ge=1, le=2**31)
HOME = ("Espace structure", "/espace-structure")
FIND = "Trouver ma structure"


def _breadcrumb(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [HOME, *more]


# Find my structure


async def _lookup(visitor: Visitor, lookup: view.Lookup) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await visitor.state.api.get(
        "/structures/lookup", params=lookup.params, **calls(visitor)
    )
    return found


@router.get("/espace-structure/revendiquer", response_class=HTMLResponse)
async def find_structure(
    visitor: SignedInDep,
    q: str | None = Query(default=None, max_length=200),
    department: str | None = Query(default=None, max_length=10),
) -> HTMLResponse:
    searched = q is not None
    lookup = view.read_lookup(q, department)
    results: list[dict[str, Any]] | None = None
    errors = lookup.errors if searched else {}
    if searched and not errors:
        try:
            results = await _lookup(visitor, lookup)
        except ApiProblem as problem:
            if problem.status not in (400, 422):
                raise
            errors = view.field_errors(problem, {"department": "department"}, "q")
    return visitor.render(
        "claims/find.html",
        {
            "section": "structure",
            "breadcrumb": _breadcrumb((FIND, "")),
            "values": lookup.values if searched else {},
            "errors": errors,
            "results": results,
        },
        status_code=400 if errors else 200,
    )


# Confirm the claim


async def _confirm_page(
    visitor: Visitor,
    structure: dict[str, Any],
    join: bool,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "claims/confirm.html",
        {
            "section": "structure",
            "breadcrumb": _breadcrumb(
                (FIND, "/espace-structure/revendiquer"), ("Confirmer la demande", "")
            ),
            "structure": structure,
            "join": join,
            "values": values or {},
            "errors": errors or {},
            "problem": problem,
            "message_max": view.MESSAGE_MAX,
        },
        status_code=status_code,
    )


async def _structure(visitor: Visitor, structure_id: int) -> dict[str, Any]:
    structure: dict[str, Any] = await visitor.state.api.get(
        f"/structures/{structure_id}", **calls(visitor)
    )
    return structure


@router.get("/espace-structure/revendiquer/{structure_id}", response_class=HTMLResponse)
async def confirm_claim(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    rejoindre: int = Query(default=0, ge=0, le=1),
) -> HTMLResponse:
    return await _confirm_page(visitor, await _structure(visitor, structure_id), bool(rejoindre))


@router.post("/espace-structure/revendiquer/{structure_id}", response_model=None)
async def send_claim(
    visitor: SignedInDep, form: CheckedForm, structure_id: int = StructureId
) -> Response:
    structure = await _structure(visitor, structure_id)
    join = form.get("rejoindre") == "1"
    message, error = view.read_message(form.get("message"))
    values = {"message": message}
    if error:
        return await _confirm_page(
            visitor, structure, join, values, {"message": error}, status_code=400
        )
    body: dict[str, Any] = {"structure_id": structure_id}
    if structure.get("siret"):
        body["siret"] = structure["siret"]
    if message:
        body["message"] = message
    try:
        claim = await visitor.state.api.post("/claims", body, **calls(visitor))
    except ApiProblem as problem:
        pending = problem.body.get("claim_id")
        if problem.status == 409 and isinstance(pending, int):
            return redirect(f"/espace-structure/demandes/{pending}")
        if problem.status not in (400, 404, 409, 422):
            raise
        errors = view.field_errors(problem, {"message": "message"}, "message")
        if problem.status in (404, 409):
            errors = {}
        return await _confirm_page(visitor, structure, join, values, errors, problem, 400)
    return redirect(f"/espace-structure/demandes/{claim['id']}")


# My claims


async def _my_claims(visitor: Visitor) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = await visitor.state.api.get("/claims", **calls(visitor))
    return claims


@router.get("/espace-structure/demandes", response_class=HTMLResponse)
async def my_claims(visitor: SignedInDep) -> HTMLResponse:
    return visitor.render(
        "claims/list.html",
        {
            "section": "structure",
            "breadcrumb": _breadcrumb(("Mes demandes", "")),
            "claims": await _my_claims(visitor),
            "status_labels": view.STATUS_LABELS,
            "status_badges": view.STATUS_BADGES,
            "next_step": view.next_step,
        },
    )


async def _claim_page(
    visitor: Visitor,
    claim_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    claim = next((c for c in await _my_claims(visitor) if c.get("id") == claim_id), None)
    if claim is None:
        return visitor.render(
            "claims/missing.html",
            {"section": "structure", "breadcrumb": _breadcrumb(("Demande introuvable", ""))},
            status_code=404,
        )
    manages = False
    if claim.get("status") == "accepted":
        me = await my_account(visitor)
        manages = any(s.get("id") == claim["structure_id"] for s in me.get("structures") or [])
    proof = claim.get("proof") or None
    return visitor.render(
        "claims/claim.html",
        {
            "section": "structure",
            "breadcrumb": _breadcrumb(
                ("Mes demandes", "/espace-structure/demandes"), (f"Demande n° {claim_id}", "")
            ),
            "claim": claim,
            "manages": manages,
            "status_label": view.STATUS_LABELS.get(claim.get("status", ""), ""),
            "status_badge": view.STATUS_BADGES.get(claim.get("status", ""), ""),
            "method_label": view.METHOD_LABELS.get(claim.get("method", ""), ""),
            "next_step": view.next_step(claim),
            "proof_label": (
                f"{view.proof_type_label(proof['media_type'])}, {view.size_label(proof['size'])}"
                if proof
                else ""
            ),
            "proof_accept": view.PROOF_ACCEPT,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/espace-structure/demandes/{claim_id}", response_class=HTMLResponse)
async def show_claim(
    visitor: SignedInDep,
    claim_id: int = ClaimId,
    envoye: int = Query(default=0, ge=0, le=1),
) -> HTMLResponse:
    notice = "Votre justificatif a bien été reçu." if envoye else None
    return await _claim_page(visitor, claim_id, notice=notice)


@router.post("/espace-structure/demandes/{claim_id}/code", response_model=None)
async def verify_code(visitor: SignedInDep, form: CheckedForm, claim_id: int = ClaimId) -> Response:
    code, error = view.read_code(form.get("code"))
    if error:
        return await _claim_page(visitor, claim_id, {"code": error}, {"code": code}, 400)
    try:
        await visitor.state.api.post(f"/claims/{claim_id}/verify", {"code": code}, **calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        # Wrong code, expired, too many tries: the API's sentence, beside the field.
        message = view.field_errors(problem, {"code": "code"}, "code")["code"]
        return await _claim_page(visitor, claim_id, {"code": message}, {"code": code}, 400)
    return redirect(f"/espace-structure/demandes/{claim_id}")


@router.post("/espace-structure/demandes/{claim_id}/justificatif", response_model=None)
async def send_proof(visitor: SignedInDep, form: CheckedForm, claim_id: int = ClaimId) -> Response:
    upload = form.get("justificatif")
    if not isinstance(upload, UploadFile) or not upload.filename:
        error = "Choisissez le fichier du justificatif (PDF, PNG ou JPEG, 5 Mio au plus)."
        return await _claim_page(visitor, claim_id, {"justificatif": error}, status_code=400)
    content = await upload.read(view.PROOF_MAX_BYTES + 1)
    if len(content) > view.PROOF_MAX_BYTES:
        error = (
            f"Le fichier « {upload.filename} » dépasse 5 Mio : réduisez-le (une page numérisée "
            "en PDF ou une photo en JPEG suffit)."
        )
        return await _claim_page(visitor, claim_id, {"justificatif": error}, status_code=413)
    try:
        await visitor.state.api.send(
            "PUT",
            f"/claims/{claim_id}/proof",
            content=content,
            headers={"Content-Type": upload.content_type or "application/octet-stream"},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 413, 415, 422):
            raise
        message = view.field_errors(problem, {}, "justificatif")["justificatif"]
        if problem.status in (413, 415, 409):
            message = problem.detail or message
        error = f"« {upload.filename} » refusé : {message}"
        return await _claim_page(visitor, claim_id, {"justificatif": error}, status_code=400)
    return redirect(f"/espace-structure/demandes/{claim_id}?envoye=1")
