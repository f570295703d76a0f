"""Pages: the account — register, confirm, log in and out, new password, who I am.

The tokens e-mailed by the API never stay in an address: the page a link opens uses it at once
and redirects to a clean address; the new-password form carries it sealed to the browser's
session, so that neither the address bar, the history nor the page's HTML holds it."""

from __future__ import annotations

import base64
import contextlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.web.api import ApiProblem, ApiUnavailable, FieldProblem, LoginRequired
from services.web.sessions import SignedIn
from services.web.visitor import CheckedForm, SignedInDep, Visitor, VisitorDep, redirect

router = APIRouter()

PASSWORD_MIN_LENGTH = 12
# The roles anyone may register with, as the API names them, in the words of their users.
SELF_SERVICE_ROLES = [
    ("public_buyer", "Acheteur public (collectivité, État, hôpital, établissement public)"),
    ("private_buyer", "Acheteur privé (entreprise engagée dans une démarche RSE)"),
    ("supplier_manager", "Gestionnaire de structure (SIAE, EA, ESAT)"),
]
# Where each kind of account lands after logging in, when no page asked for it.
HOME_BY_ROLE = {"supplier_manager": "/espace-structure", "staff": "/back-office"}
ROLE_LABELS = {
    "public_buyer": "Acheteur public",
    "private_buyer": "Acheteur privé (RSE)",
    "supplier_manager": "Gestionnaire de structure",
    "staff": "Équipe de la plateforme",
}
BUYER_ROLES = {"public_buyer", "private_buyer"}
RESET_LINK_TTL_S = 3600


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def local_path(target: str | None) -> str | None:
    """`target` when it is a path of this site (no scheme, no other host), else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\\\r\n\t") or ":" in target.split("?", 1)[0]:
        return None
    return target


def _missing(values: dict[str, str], labels: dict[str, str]) -> dict[str, str]:
    return {name: f"Indiquez {label}." for name, label in labels.items() if not values.get(name)}


def _password_errors(password: str, name: str = "password") -> dict[str, str]:
    if not password:
        return {name: "Indiquez un mot de passe."}
    if len(password) < PASSWORD_MIN_LENGTH:
        return {name: f"Le mot de passe doit compter {PASSWORD_MIN_LENGTH} caractères au moins."}
    return {}


def _field_messages(problem: ApiProblem) -> dict[str, str]:
    return {field: message for field, message in problem.by_field().items() if field}


def unavailable() -> ApiProblem:
    """The API did not answer: the form is shown again, with what was typed, and this."""
    return ApiProblem(
        status=503,
        title="Service momentanément indisponible",
        detail="Le service ne répond pas pour le moment : réessayez dans quelques instants.",
    )


def _sealer(visitor: Visitor) -> Fernet:
    """A key bound to the browser's session: a sealed link opens nothing in another browser."""
    secret = visitor.state.settings.session_secret.encode()
    key = hmac.new(secret, b"reset-link:" + visitor.session_id.encode(), "sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(visitor: Visitor, token: str) -> str:
    return _sealer(visitor).encrypt(token.encode()).decode()


def _unseal(visitor: Visitor, sealed: str) -> str | None:
    try:
        return _sealer(visitor).decrypt(sealed.encode(), ttl=RESET_LINK_TTL_S).decode()
    except (InvalidToken, ValueError):
        return None


# Register


@router.get("/inscription", response_class=HTMLResponse)
async def register_form(visitor: VisitorDep) -> HTMLResponse:
    return _register_page(visitor, {"role": ""}, {}, None)


def _register_page(
    visitor: Visitor,
    values: dict[str, str],
    errors: dict[str, str],
    problem: ApiProblem | None,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "account/register.html",
        {
            "values": values,
            "errors": errors,
            "problem": problem,
            "roles": SELF_SERVICE_ROLES,
            "password_min": PASSWORD_MIN_LENGTH,
            "breadcrumb": [("Créer un compte", "/inscription")],
        },
        status_code=status_code,
    )


@router.post("/inscription", response_model=None)
async def register(visitor: VisitorDep, form: CheckedForm) -> Response:
    values = {"email": _text(form, "email"), "role": _text(form, "role")}
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    errors = _missing(values, {"email": "votre adresse e-mail", "role": "votre profil"})
    errors.update(_password_errors(password))
    if values["role"] and values["role"] not in dict(SELF_SERVICE_ROLES):
        errors["role"] = "Choisissez l'un des profils proposés."
    if errors:
        return _register_page(visitor, values, errors, _summary(errors), 400)
    try:
        await visitor.state.api.post(
            "/auth/register",
            {"email": values["email"], "password": password, "role": values["role"]},
            client_ip=visitor.client_ip,
        )
    except ApiProblem as problem:
        return _register_page(visitor, values, _field_messages(problem), problem, 400)
    except ApiUnavailable:
        return _register_page(visitor, values, {}, unavailable(), 503)
    return redirect("/inscription/envoyee")


@router.get("/inscription/envoyee", response_class=HTMLResponse)
async def registered(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render(
        "account/registered.html", {"breadcrumb": [("Créer un compte", "/inscription")]}
    )


def _summary(errors: dict[str, str]) -> ApiProblem:
    """The form's own checks, shown at the top like the API's refusals."""
    return ApiProblem(
        status=400,
        title="Le formulaire contient des erreurs",
        detail="Corrigez les champs signalés puis envoyez de nouveau le formulaire.",
        errors=[FieldProblem(field, message) for field, message in errors.items()],
    )


# Confirm the address


@router.get("/compte/confirmation", response_model=None)
async def confirm(visitor: VisitorDep, token: str = "") -> Response:
    """The e-mail's link: confirmed through the API, then away from the address with the token."""
    if not token:
        return redirect("/compte/confirmation/echec")
    try:
        await visitor.state.api.post("/auth/verify", {"token": token}, client_ip=visitor.client_ip)
    except ApiProblem:
        return redirect("/compte/confirmation/echec")
    return redirect("/connexion?confirme=1")


@router.get("/compte/confirmation/echec", response_class=HTMLResponse)
async def confirm_failed(visitor: VisitorDep) -> HTMLResponse:
    return visitor.render(
        "account/confirm_failed.html",
        {"breadcrumb": [("Confirmer mon adresse", "/compte/confirmation/echec")]},
        status_code=400,
    )


# Log in


def _login_page(
    visitor: Visitor,
    values: dict[str, str],
    errors: dict[str, str],
    problem: ApiProblem | None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "account/login.html",
        {
            "values": values,
            "errors": errors,
            "problem": problem,
            "notice": notice,
            "breadcrumb": [("Se connecter", "/connexion")],
        },
        status_code=status_code,
    )


LOGIN_NOTICES = {
    "confirme": "Votre adresse est confirmée : vous pouvez vous connecter.",
    "nouveau": "Votre nouveau mot de passe est enregistré : connectez-vous avec lui.",
}


@router.get("/connexion", response_model=None)
async def login_form(
    visitor: VisitorDep, suite: str = "", confirme: str = "", nouveau: str = ""
) -> Response:
    target = local_path(suite) or ""
    if visitor.user is not None:
        return redirect(target or "/compte")
    notice = (
        LOGIN_NOTICES["confirme"] if confirme else LOGIN_NOTICES["nouveau"] if nouveau else None
    )
    return _login_page(visitor, {"suite": target}, {}, None, notice)


@router.post("/connexion", response_model=None)
async def login(visitor: VisitorDep, form: CheckedForm) -> Response:
    values = {"email": _text(form, "email"), "suite": local_path(_text(form, "suite")) or ""}
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    errors = _missing(values, {"email": "votre adresse e-mail"})
    if not password:
        errors["password"] = "Indiquez votre mot de passe."  # noqa: S105 (a message)
    if errors:
        return _login_page(visitor, values, errors, _summary(errors), status_code=400)
    api = visitor.state.api
    try:
        tokens = await api.post(
            "/auth/login",
            {"email": values["email"], "password": password},
            client_ip=visitor.client_ip,
        )
    except ApiProblem as problem:
        status = problem.status if problem.status in (403, 429) else 400
        return _login_page(visitor, values, _login_errors(problem), problem, status_code=status)
    except ApiUnavailable:
        return _login_page(visitor, values, {}, unavailable(), status_code=503)
    user = SignedIn(
        email=values["email"].lower(),
        role="",
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens["refresh_token"]),
        access_expires_at=time.time() + float(tokens.get("expires_in", 900)),
    )
    me = await api.get("/me", user=user, client_ip=visitor.client_ip)
    account: dict[str, Any] = me.get("account", {})
    user.email = str(account.get("email", user.email))
    user.role = str(account.get("role", ""))
    await visitor.sign_in(user)
    return redirect(values["suite"] or HOME_BY_ROLE.get(user.role, "/compte"))


def _login_errors(problem: ApiProblem) -> dict[str, str]:
    """Where the API's refusal belongs: a wrong password beside the password, an address not
    yet confirmed beside the address, too many attempts beside the password."""
    fields = _field_messages(problem)
    if fields:
        return fields
    if problem.status == 403:
        return {"email": problem.detail or "Confirmez d'abord votre adresse e-mail."}
    return {"password": problem.detail or "Adresse ou mot de passe incorrect."}


@router.post("/deconnexion")
async def log_out(visitor: VisitorDep, _form: CheckedForm) -> RedirectResponse:
    """Closes the session on the API (its refresh token revoked) and here."""
    if visitor.user is not None:
        with contextlib.suppress(ApiProblem, ApiUnavailable, LoginRequired):
            await visitor.state.api.send(
                "POST", "/auth/logout", json={"refresh_token": visitor.user.refresh_token}
            )
    await visitor.sign_out()
    return redirect("/")


# Forgotten password


@router.get("/mot-de-passe-oublie", response_class=HTMLResponse)
async def forgotten_form(visitor: VisitorDep, envoye: str = "") -> HTMLResponse:
    return _forgotten_page(visitor, {}, {}, None, sent=bool(envoye))


def _forgotten_page(
    visitor: Visitor,
    values: dict[str, str],
    errors: dict[str, str],
    problem: ApiProblem | None,
    sent: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "account/forgotten.html",
        {
            "values": values,
            "errors": errors,
            "problem": problem,
            "sent": sent,
            "breadcrumb": [("Mot de passe oublié", "/mot-de-passe-oublie")],
        },
        status_code=status_code,
    )


@router.post("/mot-de-passe-oublie", response_model=None)
async def forgotten(visitor: VisitorDep, form: CheckedForm) -> Response:
    values = {"email": _text(form, "email")}
    errors = _missing(values, {"email": "votre adresse e-mail"})
    if errors:
        return _forgotten_page(visitor, values, errors, _summary(errors), status_code=400)
    try:
        await visitor.state.api.post(
            "/auth/password-reset", {"email": values["email"]}, client_ip=visitor.client_ip
        )
    except ApiProblem as problem:
        return _forgotten_page(visitor, values, _field_messages(problem), problem, status_code=400)
    except ApiUnavailable:
        return _forgotten_page(visitor, values, {}, unavailable(), status_code=503)
    return redirect("/mot-de-passe-oublie?envoye=1")


# New password


@router.get("/compte/nouveau-mot-de-passe", response_model=None)
async def new_password_form(visitor: VisitorDep, token: str = "", lien: str = "") -> Response:
    """The e-mail's link (`token`) is checked, sealed to this browser's session and the browser
    sent on to an address that holds only the sealed form (`lien`)."""
    if token:
        try:
            await visitor.state.api.get(
                "/auth/password-reset/confirm",
                params={"token": token},
                client_ip=visitor.client_ip,
            )
        except ApiProblem:
            return redirect("/compte/nouveau-mot-de-passe")
        return redirect(
            "/compte/nouveau-mot-de-passe?" + urlencode({"lien": _seal(visitor, token)})
        )
    if not lien or _unseal(visitor, lien) is None:
        return _new_password_page(visitor, "", {}, None, status_code=400)
    return _new_password_page(visitor, lien, {}, None)


def _new_password_page(
    visitor: Visitor,
    lien: str,
    errors: dict[str, str],
    problem: ApiProblem | None,
    status_code: int = 200,
) -> HTMLResponse:
    return visitor.render(
        "account/new_password.html",
        {
            "lien": lien,
            "errors": errors,
            "problem": problem,
            "values": {},
            "password_min": PASSWORD_MIN_LENGTH,
            "breadcrumb": [("Nouveau mot de passe", "/compte/nouveau-mot-de-passe")],
        },
        status_code=status_code,
    )


@router.post("/compte/nouveau-mot-de-passe", response_model=None)
async def new_password(visitor: VisitorDep, form: CheckedForm) -> Response:
    lien = _text(form, "lien")
    token = _unseal(visitor, lien) if lien else None
    if token is None:
        return _new_password_page(visitor, "", {}, None, status_code=400)
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    confirmation = form.get("password_confirmation")
    errors = _password_errors(password)
    if not errors and confirmation != password:
        errors["password_confirmation"] = "Les deux mots de passe diffèrent."  # noqa: S105
    if errors:
        return _new_password_page(visitor, lien, errors, _summary(errors), status_code=400)
    try:
        await visitor.state.api.send(
            "POST",
            "/auth/password-reset/confirm",
            json={"token": token, "password": password},
            client_ip=visitor.client_ip,
        )
    except ApiProblem as problem:
        if problem.status == 401:
            return _new_password_page(visitor, "", {}, None, status_code=400)
        return _new_password_page(visitor, lien, _field_messages(problem), problem, status_code=400)
    except ApiUnavailable:
        return _new_password_page(visitor, lien, {}, unavailable(), status_code=503)
    return redirect("/connexion?nouveau=1")


# Who I am


@router.get("/compte", response_class=HTMLResponse)
async def account_page(visitor: SignedInDep) -> HTMLResponse:
    assert visitor.user is not None
    me = await visitor.state.api.get("/me", user=visitor.user, client_ip=visitor.client_ip)
    account: dict[str, Any] = me.get("account", {})
    role = str(account.get("role", visitor.user.role))
    return visitor.render(
        "account/account.html",
        {
            "account": account,
            "role_label": ROLE_LABELS.get(role, role),
            "is_buyer": role in BUYER_ROLES,
            "breadcrumb": [("Mon compte", "/compte")],
        },
    )
