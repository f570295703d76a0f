"""Accounts: registration with e-mail verification, sessions, password reset, API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from services.common.db import utcnow
from services.common.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    Unauthorized,
)
from services.common.identity import (
    InvalidIdentity,
    Principal,
    Role,
    sign_identity,
    verify_identity,
)
from services.common.mail import queue_mail
from services.gateway.accounts.models import Account, ApiKey, EmailPurpose, EmailToken, RefreshToken
from services.gateway.accounts.secrets import (
    hash_password,
    new_api_key,
    new_token,
    password_matches,
    prefix_of,
    token_hash,
)

ACCESS_TTL_S = 15 * 60
REFRESH_TTL = timedelta(days=30)
EMAIL_TOKEN_TTL = timedelta(hours=24)
ACCESS_PREFIX = "mia."
SELF_SERVICE_ROLES = {Role.PUBLIC_BUYER, Role.PRIVATE_BUYER, Role.SUPPLIER_MANAGER}
SCOPES = frozenset(
    {"search:read", "catalog:read", "catalog:write", "needs:read", "needs:write", "keys:manage"}
)
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.PUBLIC_BUYER: frozenset(
        {"search:read", "catalog:read", "needs:read", "needs:write", "keys:manage"}
    ),
    Role.PRIVATE_BUYER: frozenset(
        {"search:read", "catalog:read", "needs:read", "needs:write", "keys:manage"}
    ),
    Role.SUPPLIER_MANAGER: frozenset(
        {"search:read", "catalog:read", "catalog:write", "keys:manage"}
    ),
    Role.STAFF: SCOPES,
}


class TooManyAttempts(AppError):
    status, slug, title = 429, "too-many-attempts", "Trop de tentatives"


@dataclass(frozen=True)
class Caller:
    """Who is calling the public API, and what they may do."""

    principal: Principal
    scopes: frozenset[str]
    via: str  # "session" | "api_key"
    key_id: int | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _email_token(session: Session, account: Account, purpose: EmailPurpose) -> str:
    token = new_token()
    session.add(
        EmailToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=utcnow() + EMAIL_TOKEN_TTL,
        )
    )
    return token


def register(session: Session, email: str, password: str, role: Role, public_url: str) -> Account:
    if role not in SELF_SERVICE_ROLES:
        raise Forbidden("Ce rôle n'est pas ouvert à l'inscription.")
    email = email.strip().lower()
    if session.exec(select(Account).where(Account.email == email)).first() is not None:
        raise Conflict("Un compte existe déjà pour cette adresse.")
    account = Account(
        id=str(uuid.uuid4()), email=email, password_hash=hash_password(password), role=role
    )
    session.add(account)
    session.flush()
    token = _email_token(session, account, EmailPurpose.VERIFY)
    queue_mail(
        session,
        email,
        "Marché inclusif : confirmez votre adresse",
        f"Bonjour,\n\nConfirmez votre adresse en envoyant ce jeton à {public_url}/api/v1/auth/verify :\n{token}\n"
        "Il est valable 24 heures.\n",
    )
    return account


def _use_email_token(session: Session, token: str, purpose: EmailPurpose) -> Account:
    record = session.exec(
        select(EmailToken).where(EmailToken.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if record is None or record.purpose != purpose or record.used_at is not None:
        raise Unauthorized("Jeton invalide ou déjà utilisé.")
    if (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Jeton expiré : demandez-en un nouveau.")
    record.used_at = now
    session.add(record)
    account = session.get(Account, record.account_id)
    assert account is not None
    return account


def verify_email(session: Session, token: str) -> Account:
    account = _use_email_token(session, token, EmailPurpose.VERIFY)
    account.email_verified_at = utcnow()
    session.add(account)
    return account


def _issue(session: Session, account: Account, session_secret: str) -> Tokens:
    refresh = new_token()
    session.add(
        RefreshToken(
            account_id=account.id, token_hash=token_hash(refresh), expires_at=utcnow() + REFRESH_TTL
        )
    )
    principal = Principal(account.id, Role(account.role), account.email)
    access = ACCESS_PREFIX + sign_identity(principal, session_secret, ttl_s=ACCESS_TTL_S)
    return Tokens(access, refresh, ACCESS_TTL_S)


def login(session: Session, email: str, password: str, session_secret: str) -> Tokens:
    account = session.exec(select(Account).where(Account.email == email.strip().lower())).first()
    # The same answer whether the account exists or not.
    if account is None or not password_matches(account.password_hash, password):
        raise Unauthorized("Adresse ou mot de passe incorrect.")
    if account.email_verified_at is None:
        raise Forbidden("Confirmez d'abord votre adresse e-mail.")
    return _issue(session, account, session_secret)


def refresh(session: Session, token: str, session_secret: str) -> Tokens:
    record = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if record is None or record.revoked_at is not None or (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Session expirée ou révoquée : reconnectez-vous.")
    record.revoked_at = now  # rotated: each refresh token serves once
    session.add(record)
    account = session.get(Account, record.account_id)
    assert account is not None
    return _issue(session, account, session_secret)


def logout(session: Session, token: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash(token),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )


def request_reset(session: Session, email: str, public_url: str) -> None:
    account = session.exec(select(Account).where(Account.email == email.strip().lower())).first()
    if account is None:
        return  # say nothing of which addresses have accounts
    token = _email_token(session, account, EmailPurpose.RESET)
    queue_mail(
        session,
        account.email,
        "Marché inclusif : nouveau mot de passe",
        f"Bonjour,\n\nPour choisir un nouveau mot de passe, envoyez ce jeton à "
        f"{public_url}/api/v1/auth/password-reset/confirm :\n{token}\nIl est valable 24 heures.\n",
    )


def confirm_reset(session: Session, token: str, password: str) -> None:
    account = _use_email_token(session, token, EmailPurpose.RESET)
    account.password_hash = hash_password(password)
    session.add(account)
    # Every open session ends with the old password.
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def create_key(
    session: Session, caller: Caller, name: str, scopes: list[str], expires_in_days: int | None
) -> tuple[ApiKey, str]:
    allowed = ROLE_SCOPES[caller.principal.role]
    for position, scope in enumerate(scopes):
        if scope not in allowed:
            raise InvalidParameter(
                f"scopes/{position}",
                f"portée « {scope[:40]} » non autorisée pour ce compte",
                "body",
            )
    prefix, key = new_api_key()
    record = ApiKey(
        account_id=caller.principal.account_id,
        name=name,
        prefix=prefix,
        key_hash=token_hash(key),
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(record)
    session.flush()
    return record, key


def own_key(session: Session, caller: Caller, key_id: int) -> ApiKey:
    record = session.get(ApiKey, key_id)
    if record is None or record.account_id != caller.principal.account_id:
        raise NotFound(f"Aucune clé n° {key_id}.")
    return record


def rotate_key(session: Session, caller: Caller, key_id: int) -> tuple[ApiKey, str]:
    old = own_key(session, caller, key_id)
    if old.revoked_at is not None:
        raise Conflict("Cette clé est révoquée.")
    remaining = None
    if old.expires_at is not None:
        remaining = max(1, ((_aware(old.expires_at) or utcnow()) - utcnow()).days)
    record, key = create_key(session, caller, old.name, old.scopes, remaining)
    old.revoked_at = utcnow()
    session.add(old)
    return record, key


def revoke_key(session: Session, caller: Caller, key_id: int) -> None:
    record = own_key(session, caller, key_id)
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)


def session_principal(credential: str, session_secret: str) -> Principal | None:
    """Who a session's access token names; None when `credential` is not an access token."""
    if not credential.startswith(ACCESS_PREFIX):
        return None
    try:
        return verify_identity(credential.removeprefix(ACCESS_PREFIX), session_secret)
    except InvalidIdentity as exc:
        raise Unauthorized(f"Jeton d'accès refusé : {exc}.") from exc


def authenticate(session: Session, credential: str, session_secret: str) -> Caller:
    """An access token from a login, or an API key; anything else is refused (401)."""
    principal = session_principal(credential, session_secret)
    if principal is not None:
        return Caller(principal, ROLE_SCOPES[principal.role], "session")
    prefix = prefix_of(credential)
    record = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first() if prefix else None
    now = utcnow()
    if record is None or record.key_hash != token_hash(credential):
        raise Unauthorized("Clé d'API inconnue.")
    if record.revoked_at is not None:
        raise Unauthorized("Clé d'API révoquée.")
    if record.expires_at is not None and (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Clé d'API expirée.")
    account = session.get(Account, record.account_id)
    if account is None:
        raise Unauthorized("Clé d'API inconnue.")
    record.last_used_at = now
    session.add(record)
    principal = Principal(account.id, Role(account.role), account.email)
    return Caller(
        principal, frozenset(record.scopes) & ROLE_SCOPES[principal.role], "api_key", record.id
    )
