"""Pages: a structure's team — its managers and their roles, the requests to join it, the
invitations sent by e-mail and their acceptance — and the history of its listing in words."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.web import history_view as history
from services.web.api import ApiProblem
from services.web.claims_view import field_errors
from services.web.link_tokens import LinkCookie
from services.web.manage_view import Managed, calls, managed_structure
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, VisitorDep, redirect

router = APIRouter()
StructureId = Path(ge=1, le=2**31)
ClaimId = Path(ge=1, le=2**31)
InvitationId = Path(ge=1, le=2**31)
AccountId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
Token = Path(min_length=8, max_length=512, pattern=r"^[A-Za-z0-9_.~-]+$")
ROLES = (
    ("editor", "Éditeur : tient la fiche à jour"),
    ("admin", "Administrateur : gère aussi l'équipe"),
)
ROLE_NAMES = {"admin": "Administrateur", "editor": "Éditeur"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What a finished action says on the team page it comes back to.
DONE = {
    "role": "Le rôle a été changé.",
    "retire": "Le gestionnaire a été retiré de l'équipe.",
    "invitation": "L'invitation a été envoyée par e-mail.",
    "revoquee": "L'invitation a été retirée : son lien ne fonctionne plus.",
    "acceptee": "La demande a été acceptée : la personne rejoint l'équipe comme éditeur.",
    "refusee": "La demande a été refusée ; son auteur en est prévenu par e-mail avec le motif.",
    "bienvenue": "Vous avez rejoint l'équipe de la structure.",
}
INVITATION_COOKIE = "mi_invitation"
INVITATION_COOKIE_S = 86_400


def _context(managed: Managed, page_title: str, **more: Any) -> dict[str, Any]:
    return {
        "section": "structure",
        "managed": managed,
        "breadcrumb": [
            ("Espace structure", "/espace-structure"),
            (managed.name, managed.href()),
            (page_title, ""),
        ],
        **more,
    }


async def _members(visitor: Visitor, structure_id: int) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/members", **calls(visitor)
    )
    return members


def _me(visitor: Visitor, members: list[dict[str, Any]]) -> dict[str, Any] | None:
    email = (visitor.user.email if visitor.user else "").lower()
    return next((m for m in members if str(m.get("email") or "").lower() == email), None)


async def _join_requests(visitor: Visitor, structure_id: int) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = await visitor.state.api.get(
        "/claims", params={"structure_id": structure_id}, **calls(visitor)
    )
    return [c for c in claims if c.get("kind") == "join" and c.get("status") == "pending"]


async def _invitations(visitor: Visitor, structure_id: int) -> list[dict[str, Any]]:
    invitations: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/invitations", **calls(visitor)
    )
    return invitations


async def _team_page(
    visitor: Visitor,
    managed: Managed,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    members = await _members(visitor, managed.id)
    requests: list[dict[str, Any]] = []
    invitations: list[dict[str, Any]] = []
    if managed.is_admin:
        requests, invitations = await asyncio.gather(
            _join_requests(visitor, managed.id), _invitations(visitor, managed.id)
        )
    me = _me(visitor, members)
    return visitor.render(
        "team/team.html",
        _context(
            managed,
            "Équipe",
            current="equipe",
            members=members,
            me=me,
            admins=sum(1 for m in members if m.get("role") == "admin"),
            requests=requests,
            invitations=invitations,
            roles=ROLES,
            role_names=ROLE_NAMES,
            values={"role": "editor", **(values or {})},
            errors=errors or {},
            problem=problem,
            notice=notice,
        ),
        status_code=status_code,
    )


@router.get("/espace-structure/{structure_id}/equipe", response_class=HTMLResponse)
async def team(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    fait: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _team_page(visitor, managed, notice=DONE.get(fait or ""))


def _refused(problem: ApiProblem) -> bool:
    """A refusal the team page explains (the last admin kept, a role, a decided request)."""
    return problem.status in (400, 403, 404, 409, 422)


@router.post("/espace-structure/{structure_id}/equipe/{account_id}/role", response_model=None)
async def change_role(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    account_id: str = AccountId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    role = form.get("role")
    if role not in ROLE_NAMES:
        problem = ApiProblem(400, "Rôle inconnu", "Choisissez administrateur ou éditeur.")
        return await _team_page(visitor, managed, problem=problem, status_code=400)
    try:
        await visitor.state.api.send(
            "PATCH",
            f"/structures/{structure_id}/members/{account_id}",
            json={"role": role},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        return await _team_page(visitor, managed, problem=problem, status_code=problem.status)
    return redirect(f"{managed.href('/equipe')}?fait=role")


async def _member(visitor: Visitor, managed: Managed, account_id: str) -> dict[str, Any] | None:
    members = await _members(visitor, managed.id)
    return next((m for m in members if m.get("account_id") == account_id), None)


def _remove_page(
    visitor: Visitor,
    managed: Managed,
    member: dict[str, Any],
    leaving: bool,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    title = "Quitter l'équipe" if leaving else "Retirer un gestionnaire"
    return visitor.render(
        "team/remove.html",
        _context(
            managed,
            title,
            current="equipe",
            member=member,
            leaving=leaving,
            title=title,
            role_names=ROLE_NAMES,
            problem=problem,
        ),
        status_code=status_code,
    )


@router.get("/espace-structure/{structure_id}/equipe/{account_id}/retirer", response_model=None)
async def confirm_removal(
    visitor: SignedInDep, structure_id: int = StructureId, account_id: str = AccountId
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    member = await _member(visitor, managed, account_id)
    if member is None:
        return redirect(managed.href("/equipe"))
    leaving = visitor.user is not None and member.get("email") == visitor.user.email
    return _remove_page(visitor, managed, member, leaving)


@router.post("/espace-structure/{structure_id}/equipe/{account_id}/retirer", response_model=None)
async def remove(
    visitor: SignedInDep,
    _form: CheckedForm,
    structure_id: int = StructureId,
    account_id: str = AccountId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    member = await _member(visitor, managed, account_id)
    if member is None:
        return redirect(managed.href("/equipe"))
    leaving = visitor.user is not None and member.get("email") == visitor.user.email
    try:
        await visitor.state.api.send(
            "DELETE", f"/structures/{structure_id}/members/{account_id}", **calls(visitor)
        )
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        return _remove_page(visitor, managed, member, leaving, problem, problem.status)
    if leaving:
        return redirect("/espace-structure")
    return redirect(f"{managed.href('/equipe')}?fait=retire")


# Join requests


async def _join_request(visitor: Visitor, managed: Managed, claim_id: int) -> dict[str, Any]:
    found = next(
        (c for c in await _join_requests(visitor, managed.id) if c.get("id") == claim_id), None
    )
    if found is None:
        raise ApiProblem(404, "Demande introuvable", "Cette demande a déjà été traitée.")
    return found


@router.post(
    "/espace-structure/{structure_id}/equipe/demandes/{claim_id}/accepter", response_model=None
)
async def accept_request(
    visitor: SignedInDep,
    _form: CheckedForm,
    structure_id: int = StructureId,
    claim_id: int = ClaimId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    await _join_request(visitor, managed, claim_id)
    try:
        await visitor.state.api.post(f"/claims/{claim_id}/accept", {}, **calls(visitor))
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        return await _team_page(visitor, managed, problem=problem, status_code=problem.status)
    return redirect(f"{managed.href('/equipe')}?fait=acceptee")


def _refuse_page(
    visitor: Visitor,
    managed: Managed,
    claim: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "team/refuse.html",
        _context(
            managed,
            "Refuser une demande",
            current="equipe",
            claim=claim,
            values=values or {},
            errors=errors or {},
        ),
        status_code=status_code,
    )


@router.get(
    "/espace-structure/{structure_id}/equipe/demandes/{claim_id}/refuser",
    response_class=HTMLResponse,
)
async def refuse_form(
    visitor: SignedInDep, structure_id: int = StructureId, claim_id: int = ClaimId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return _refuse_page(visitor, managed, await _join_request(visitor, managed, claim_id))


@router.post(
    "/espace-structure/{structure_id}/equipe/demandes/{claim_id}/refuser", response_model=None
)
async def refuse_request(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    claim_id: int = ClaimId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    claim = await _join_request(visitor, managed, claim_id)
    reason = str(form.get("reason") or "").strip()
    values = {"reason": reason}
    if not reason:
        errors = {"reason": "Indiquez le motif du refus : il est envoyé au demandeur."}
        return _refuse_page(visitor, managed, claim, values, errors, 400)
    if len(reason) > 1000:
        errors = {"reason": f"Le motif compte {len(reason)} caractères : 1000 au plus."}
        return _refuse_page(visitor, managed, claim, values, errors, 400)
    try:
        await visitor.state.api.post(
            f"/claims/{claim_id}/refuse", {"reason": reason}, **calls(visitor)
        )
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        errors = field_errors(problem, {"reason": "reason"}, "reason")
        return _refuse_page(visitor, managed, claim, values, errors, 400)
    return redirect(f"{managed.href('/equipe')}?fait=refusee")


# Invitations


@router.post("/espace-structure/{structure_id}/equipe/invitations", response_model=None)
async def invite(
    visitor: SignedInDep, form: CheckedForm, structure_id: int = StructureId
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    email = str(form.get("email") or "").strip()
    role = str(form.get("role") or "")
    values = {"email": email, "role": role}
    errors: dict[str, str] = {}
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."
    if role not in ROLE_NAMES:
        errors["role"] = "Choisissez le rôle : éditeur ou administrateur."
    if errors:
        return await _team_page(visitor, managed, values, errors, status_code=400)
    try:
        await visitor.state.api.post(
            f"/structures/{structure_id}/invitations",
            {"email": email, "role": role},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        errors = field_errors(problem, {"email": "email", "role": "role"}, "email")
        return await _team_page(visitor, managed, values, errors, status_code=400)
    return redirect(f"{managed.href('/equipe')}?fait=invitation")


@router.post(
    "/espace-structure/{structure_id}/equipe/invitations/{invitation_id}/retirer",
    response_model=None,
)
async def revoke(
    visitor: SignedInDep,
    _form: CheckedForm,
    structure_id: int = StructureId,
    invitation_id: int = InvitationId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    try:
        await visitor.state.api.send(
            "DELETE", f"/structures/{structure_id}/invitations/{invitation_id}", **calls(visitor)
        )
    except ApiProblem as problem:
        if not _refused(problem):
            raise
        return await _team_page(visitor, managed, problem=problem, status_code=problem.status)
    return redirect(f"{managed.href('/equipe')}?fait=revoquee")


# An invitation's link: its token leaves the address at once, for a cookie of this browser.


INVITATION = LinkCookie(INVITATION_COOKIE, "/invitations", b"invitation-link", INVITATION_COOKIE_S)


def _held_token(visitor: Visitor, request: Request) -> str | None:
    return INVITATION.held(visitor.state.settings, request)


@router.get("/invitations/{token}", response_model=None)
async def open_invitation(visitor: VisitorDep, token: str = Token) -> Response:
    """The e-mail's link: the token is kept in this browser, the address becomes /invitations
    (nothing of the token in the history, the logs or a Referer)."""
    return INVITATION.land(visitor.state.settings, token)


async def _invitation_page(
    visitor: Visitor,
    token: str | None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    invitation = None
    if token is not None:
        try:
            invitation = await visitor.state.api.get(f"/invitations/{token}", **calls(visitor))
        except ApiProblem as refused:
            if refused.status not in (403, 404, 410):
                raise
            problem, status_code = problem or refused, refused.status
    return visitor.render(
        "team/invitation.html",
        {
            "section": "structure",
            "breadcrumb": [("Espace structure", "/espace-structure"), ("Invitation", "")],
            "invitation": invitation,
            "role_names": ROLE_NAMES,
            "problem": problem,
            "held": token is not None,
        },
        status_code=status_code,
    )


@router.get("/invitations", response_class=HTMLResponse)
async def invitation(visitor: VisitorDep, request: Request) -> HTMLResponse:
    token = _held_token(visitor, request)
    if visitor.user is None:
        # What it invites to is read once signed in: first, log in or create the account.
        return visitor.render(
            "team/invitation.html",
            {
                "section": "structure",
                "breadcrumb": [("Invitation", "")],
                "held": token is not None,
                "signed_out": True,
            },
        )
    return await _invitation_page(visitor, token)


@router.post("/invitations", response_model=None)
async def accept_invitation(visitor: SignedInDep, _form: CheckedForm, request: Request) -> Response:
    token = _held_token(visitor, request)
    if token is None:
        return await _invitation_page(visitor, None)
    try:
        # The answer is the new member: the structure is read from the invitation first.
        invited = await visitor.state.api.get(f"/invitations/{token}", **calls(visitor))
        await visitor.state.api.post(f"/invitations/{token}/accept", {}, **calls(visitor))
    except ApiProblem as problem:
        if problem.status not in (400, 403, 404, 409, 410, 422):
            raise
        return await _invitation_page(visitor, token, problem, problem.status)
    target = f"/espace-structure/{int(invited['structure_id'])}/equipe?fait=bienvenue"
    response = redirect(target)
    response.headers.append("Set-Cookie", INVITATION.forget(visitor.state.settings))
    return response


# History


@router.get("/espace-structure/{structure_id}/historique", response_class=HTMLResponse)
async def structure_history(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    page: int = Query(default=1, ge=1, le=100_000),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    trail, members, sectors = await asyncio.gather(
        visitor.state.api.get(
            f"/structures/{structure_id}/audit",
            params={"page": page, "per_page": history.PER_PAGE},
            **calls(visitor),
        ),
        _members(visitor, structure_id),
        sector_catalogue(visitor.state.api, visitor.client_ip),
    )
    actors = {
        str(m["account_id"]): history.Actor(
            str(m["account_id"]), m.get("email"), str(m.get("role") or "")
        )
        for m in members
    }
    total = int(trail.get("total", 0))
    return visitor.render(
        "team/history.html",
        _context(
            managed,
            "Historique",
            current="historique",
            days=history.days(
                trail.get("items", []),
                actors,
                sectors.names,
                visitor.user.email if visitor.user else None,
            ),
            total=total,
            page=page,
            pages=history.page_count(total),
        ),
    )
