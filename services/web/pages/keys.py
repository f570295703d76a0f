"""Pages: my API keys — list, create with scopes and expiry, rotate, revoke.

A new key's secret is shown once, in the answer to the form that made it: the website neither
stores it nor puts it in an address, and that answer is never cached."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from services.web.api import ApiProblem, ApiUnavailable, FieldProblem
from services.web.pages.account import unavailable
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()

# The API's scopes, in the words of the people who choose them.
SCOPE_LABELS = {
    "search:read": "Rechercher des fournisseurs",
    "catalog:read": "Lire les fiches des structures",
    "catalog:write": "Modifier les fiches de mes structures",
    "needs:read": "Lire mes besoins et les réponses reçues",
    "needs:write": "Déposer et modifier mes besoins",
    "keys:manage": "Gérer mes clés d'API",
}
# What each role may grant a key (the API checks it again and has the last word).
ROLE_SCOPES = {
    "public_buyer": ["search:read", "catalog:read", "needs:read", "needs:write", "keys:manage"],
    "private_buyer": ["search:read", "catalog:read", "needs:read", "needs:write", "keys:manage"],
    "supplier_manager": ["search:read", "catalog:read", "catalog:write", "keys:manage"],
    "staff": list(SCOPE_LABELS),
}
EXPIRY_CHOICES = [
    ("30", "30 jours"),
    ("90", "90 jours"),
    ("180", "6 mois"),
    ("365", "1 an"),
    ("730", "2 ans"),
    ("", "Sans expiration (déconseillé)"),
]
DEFAULT_EXPIRY = "365"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Each creation form carries a one-use mark: sent again (a double click, a reload of the page
# that showed the secret), it makes no second key. Marks are kept a day in the session database,
# where every replica of the website sees them.


BREADCRUMB = [("Mon compte", "/compte"), ("Mes clés d'API", "/compte/cles")]


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_view(record: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A key of the API as the page shows it: its scopes in French and its status."""
    now = now or datetime.now(UTC)
    expires_at = _moment(record.get("expires_at"))
    if record.get("revoked_at"):
        status, badge = "Révoquée", "error"
    elif expires_at is not None and expires_at < now:
        status, badge = "Expirée", "warning"
    else:
        status, badge = "Active", "success"
    return {
        "id": record["id"],
        "name": record.get("name", ""),
        "prefix": record.get("prefix", ""),
        "scopes": [SCOPE_LABELS.get(s, s) for s in record.get("scopes", [])],
        "created_at": record.get("created_at"),
        "last_used_at": record.get("last_used_at"),
        "expires_at": record.get("expires_at"),
        "status": status,
        "badge": badge,
        "active": status == "Active",
    }


def _form_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's messages by field of the form (`scopes/0` is the scopes' checkboxes)."""
    errors: dict[str, str] = {}
    for error in problem.errors:
        field = error.field.split(".")[-1].split("/")[0]
        field = {"expires_in_days": "expiry"}.get(field, field)
        errors.setdefault(field, error.message)
    return errors


async def _keys(visitor: Visitor) -> list[dict[str, Any]]:
    records = await visitor.state.api.get("/keys", user=visitor.user, client_ip=visitor.client_ip)
    now = datetime.now(UTC)
    views = [key_view(r, now) for r in records]
    # Active keys first, newest first within each group.
    views.sort(key=lambda v: str(v["created_at"]), reverse=True)
    views.sort(key=lambda v: not v["active"])
    return views


def _keys_page(
    visitor: Visitor,
    values: dict[str, Any],
    errors: dict[str, str],
    problem: ApiProblem | None,
    keys: list[dict[str, Any]],
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert visitor.user is not None
    allowed = ROLE_SCOPES.get(visitor.user.role, [])
    return visitor.render(
        "keys/keys.html",
        {
            "keys": keys,
            "values": values,
            "errors": errors,
            "problem": problem,
            "notice": notice,
            "scope_options": [(s, SCOPE_LABELS[s]) for s in allowed],
            "expiry_options": EXPIRY_CHOICES,
            "form_mark": secrets.token_urlsafe(16),
            "breadcrumb": BREADCRUMB,
        },
        status_code=status_code,
    )


NOTICES = {
    "revoquee": "La clé est révoquée : elle ne permet plus d'appeler l'API.",
    "deja-creee": "Ce formulaire a déjà créé sa clé, dont le secret ne s'affiche qu'une fois : "
    "si vous ne l'avez pas copié, remplacez la clé.",
}


@router.get("/compte/cles", response_class=HTMLResponse)
async def keys_page(visitor: SignedInDep, fait: str = "") -> HTMLResponse:
    values = {"name": "", "scopes": [], "expiry": DEFAULT_EXPIRY}
    return _keys_page(visitor, values, {}, None, await _keys(visitor), NOTICES.get(fait))


@router.post("/compte/cles", response_model=None)
async def create_key(visitor: SignedInDep, form: CheckedForm) -> Response:
    name = form.get("name")
    name = name.strip() if isinstance(name, str) else ""
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    expiry = form.get("expiry")
    expiry = expiry if isinstance(expiry, str) else ""
    values = {"name": name, "scopes": scopes, "expiry": expiry}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Donnez un nom à la clé (par exemple, le logiciel qui l'utilisera)."
    if not scopes:
        errors["scopes"] = "Cochez au moins une permission."
    if expiry and expiry not in dict(EXPIRY_CHOICES):
        errors["expiry"] = "Choisissez l'une des durées proposées."
    if errors:
        summary = ApiProblem(
            400,
            "Le formulaire contient des erreurs",
            "Corrigez les champs signalés puis envoyez de nouveau le formulaire.",
            [FieldProblem(f, m) for f, m in errors.items()],
        )
        return _keys_page(visitor, values, errors, summary, await _keys(visitor), None, 400)
    mark = form.get("formulaire")
    if isinstance(mark, str) and mark and not await visitor.state.sessions.first_use(mark):
        return redirect("/compte/cles?fait=deja-creee")
    body = {"name": name, "scopes": scopes, "expires_in_days": int(expiry) if expiry else None}
    try:
        created = await visitor.state.api.post(
            "/keys", body, user=visitor.user, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        return _keys_page(
            visitor, values, _form_errors(problem), problem, await _keys(visitor), None, 400
        )
    except ApiUnavailable:
        return _keys_page(visitor, values, {}, unavailable(), [], None, 503)
    return _secret_page(visitor, created, rotated=False)


def _secret_page(visitor: Visitor, created: dict[str, Any], rotated: bool) -> HTMLResponse:
    return visitor.render(
        "keys/secret.html",
        {
            "key": key_view(created),
            "secret": created["key"],
            "rotated": rotated,
            "breadcrumb": [*BREADCRUMB, ("Nouvelle clé", "/compte/cles")],
        },
        headers=NO_STORE,
    )


@router.post("/compte/cles/{key_id}/remplacer", response_model=None)
async def rotate_key(key_id: int, visitor: SignedInDep, _form: CheckedForm) -> Response:
    created = await visitor.state.api.post(
        f"/keys/{key_id}/rotate", user=visitor.user, client_ip=visitor.client_ip
    )
    return _secret_page(visitor, created, rotated=True)


async def _own_key(visitor: Visitor, key_id: int) -> dict[str, Any] | None:
    return next((k for k in await _keys(visitor) if k["id"] == key_id), None)


@router.get("/compte/cles/{key_id}/revoquer", response_class=HTMLResponse)
async def revoke_confirmation(key_id: int, visitor: SignedInDep) -> HTMLResponse:
    """The confirmation the modal dialog asks for, as a page of its own (without JavaScript)."""
    key = await _own_key(visitor, key_id)
    if key is None:
        return visitor.render(
            "errors/error.html",
            {"status": 404, "title": "Clé introuvable", "message": f"Aucune clé n° {key_id}."},
            status_code=404,
        )
    return visitor.render(
        "keys/revoke.html",
        {"key": key, "breadcrumb": [*BREADCRUMB, ("Révoquer une clé", "")]},
    )


@router.post("/compte/cles/{key_id}/revoquer", response_model=None)
async def revoke_key(key_id: int, visitor: SignedInDep, _form: CheckedForm) -> Response:
    await visitor.state.api.send(
        "DELETE", f"/keys/{key_id}", user=visitor.user, client_ip=visitor.client_ip
    )
    return redirect("/compte/cles?fait=revoquee")
