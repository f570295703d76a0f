"""Accounts: registration with e-mail verification, sessions, password reset, API keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from anyio import to_thread
from sqlmodel import Session

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
from services.gateway.accounts.repository import AccountRepository
from services.gateway.accounts.secrets import (
    hash_password,
    new_api_key,
    new_token,
    password_matches,
    prefix_of,
    token_hash,
)
from services.gateway.quotas import Limit, Quotas
from services.gateway.settings import GatewaySettings

ACCESS_TTL_S = 15 * 60
REFRESH_TTL = timedelta(days=30)
EMAIL_TOKEN_TTL = timedelta(hours=24)
ACCESS_PREFIX = "mia."
VERIFY_PATH = "/api/v1/auth/verify"
RESET_PATH = "/api/v1/auth/password-reset/confirm"
LOGIN_PATH = "/api/v1/auth/login"
WEB_VERIFY_PATH = "/compte/confirmation"
WEB_RESET_PATH = "/compte/nouveau-mot-de-passe"
WEB_LOGIN_PATH = "/connexion"
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


def _email_token(accounts: AccountRepository, account: Account, purpose: EmailPurpose) -> str:
    token = new_token()
    accounts.add(
        EmailToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=utcnow() + EMAIL_TOKEN_TTL,
        )
    )
    return token


@dataclass(frozen=True)
class MailLinks:
    """Where the e-mails' links lead: the website's pages when it is set, else the API's
    operations that stand in for them."""

    public_url: str
    web_url: str = ""

    def _link(self, path: str, token: str) -> str:
        """A clickable link carrying a one-time token in its query (never in the logged path)."""
        return f"{self._base()}{path}?{urlencode({'token': token})}"

    def _base(self) -> str:
        return (self.web_url or self.public_url).rstrip("/")

    def verify(self, token: str) -> str:
        return self._link(WEB_VERIFY_PATH if self.web_url else VERIFY_PATH, token)

    def reset(self, token: str) -> str:
        return self._link(WEB_RESET_PATH if self.web_url else RESET_PATH, token)

    def login(self) -> str:
        return self._base() + (WEB_LOGIN_PATH if self.web_url else LOGIN_PATH)

    def no_site_yet(self) -> str:
        """Without the website, a sentence says where the links lead."""
        if self.web_url:
            return ""
        return (
            "Le site n'est pas encore ouvert : ce lien mène à l'opération de l'API qui en tient "
            f"lieu, documentée sur {self.public_url.rstrip('/')}/api/docs.\n"
        )


def _mail_verification(session: Session, account: Account, links: MailLinks) -> None:
    token = _email_token(AccountRepository(session), account, EmailPurpose.VERIFY)
    queue_mail(
        session,
        account.email,
        "Marché inclusif : confirmez votre adresse",
        "Bonjour,\n\nConfirmez votre adresse en ouvrant ce lien (valable 24 heures) :\n"
        f"{links.verify(token)}\n\n{links.no_site_yet()}",
    )


def _mail_already_registered(session: Session, account: Account, links: MailLinks) -> None:
    """Someone registered an address that has an account: its owner alone learns it."""
    accounts = AccountRepository(session)
    reset = _email_token(accounts, account, EmailPurpose.RESET)
    lines = [
        "Bonjour,",
        "",
        "Quelqu'un, peut-être vous, a demandé à créer un compte Marché inclusif avec cette "
        "adresse, qui en a déjà un. Aucun compte n'a été créé.",
        "",
        f"Vous connaissez votre mot de passe : connectez-vous ({links.login()}).",
        "Vous l'avez oublié : choisissez-en un nouveau avec ce lien (valable 24 heures) :",
        links.reset(reset),
    ]
    if account.email_verified_at is None:
        verify = _email_token(accounts, account, EmailPurpose.VERIFY)
        lines += [
            "",
            "Votre adresse n'est pas encore confirmée : confirmez-la avec ce lien :",
            links.verify(verify),
        ]
    lines += ["", "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."]
    queue_mail(
        session,
        account.email,
        "Marché inclusif : vous avez déjà un compte",
        "\n".join(lines) + "\n\n" + links.no_site_yet(),
    )


def register(
    session: Session, email: str, password: str, role: Role, public_url: str, web_url: str = ""
) -> None:
    """Creates the account and mails a confirmation link; an address that already has an
    account gets, instead, a mail telling its owner what to do. Both answer alike, so that
    nobody learns through registration which addresses have accounts."""
    if role not in SELF_SERVICE_ROLES:
        raise Forbidden("Ce rôle n'est pas ouvert à l'inscription.")
    accounts = AccountRepository(session)
    email = email.strip().lower()
    # Hashed in both cases, so that the answer takes as long either way.
    password_hash = hash_password(password)
    existing = accounts.account_by_email(email)
    if existing is not None:
        _mail_already_registered(session, existing, MailLinks(public_url, web_url))
        return
    account = Account(id=str(uuid.uuid4()), email=email, password_hash=password_hash, role=role)
    accounts.add(account)
    accounts.flush()
    _mail_verification(session, account, MailLinks(public_url, web_url))


def create_staff(session: Session, email: str, password: str) -> Account:
    """A staff account, made by an operator on the server: verified at once."""
    accounts = AccountRepository(session)
    email = email.strip().lower()
    if accounts.account_by_email(email) is not None:
        raise Conflict(f"Un compte existe déjà pour l'adresse {email}.")
    account = Account(
        id=str(uuid.uuid4()),
        email=email,
        password_hash=hash_password(password),
        role=Role.STAFF,
        email_verified_at=utcnow(),
    )
    accounts.add(account)
    accounts.flush()
    return account


def staff_accounts(session: Session) -> list[Account]:
    return AccountRepository(session).accounts_with_role(Role.STAFF)


def _use_email_token(accounts: AccountRepository, token: str, purpose: EmailPurpose) -> Account:
    record = accounts.email_token(token_hash(token))
    now = utcnow()
    if record is None or record.purpose != purpose or record.used_at is not None:
        raise Unauthorized("Jeton invalide ou déjà utilisé.")
    if (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Jeton expiré : demandez-en un nouveau.")
    record.used_at = now
    accounts.add(record)
    account = accounts.account(record.account_id)
    assert account is not None
    return account


def verify_email(session: Session, token: str) -> Account:
    accounts = AccountRepository(session)
    account = _use_email_token(accounts, token, EmailPurpose.VERIFY)
    account.email_verified_at = utcnow()
    accounts.add(account)
    return account


def _issue(accounts: AccountRepository, account: Account, session_secret: str) -> Tokens:
    refresh = new_token()
    accounts.add(
        RefreshToken(
            account_id=account.id, token_hash=token_hash(refresh), expires_at=utcnow() + REFRESH_TTL
        )
    )
    principal = Principal(account.id, Role(account.role), account.email)
    access = ACCESS_PREFIX + sign_identity(principal, session_secret, ttl_s=ACCESS_TTL_S)
    return Tokens(access, refresh, ACCESS_TTL_S)


def login(session: Session, email: str, password: str, session_secret: str) -> Tokens:
    accounts = AccountRepository(session)
    account = accounts.account_by_email(email.strip().lower())
    # The same answer whether the account exists or not.
    if account is None or not password_matches(account.password_hash, password):
        raise Unauthorized("Adresse ou mot de passe incorrect.")
    if account.email_verified_at is None:
        raise Forbidden("Confirmez d'abord votre adresse e-mail.")
    return _issue(accounts, account, session_secret)


async def throttled_login(
    session: Session,
    throttle: Quotas,
    settings: GatewaySettings,
    client: str,
    email: str,
    password: str,
) -> Tokens:
    """A login refused after too many failures from one address for one account; the
    password is checked in a worker thread, its hashing being slow by design."""
    attempts = f"login:{email.strip().lower()}:{client}"
    limit = Limit("failed-logins", settings.failed_logins_per_15_min, 900)
    if await throttle.peek(attempts, limit) >= limit.requests:
        raise TooManyAttempts("Trop d'échecs de connexion : réessayez dans 15 minutes.")
    try:
        return await to_thread.run_sync(login, session, email, password, settings.session_secret)
    except Unauthorized:
        await throttle.add(attempts, limit)
        raise


def refresh(session: Session, token: str, session_secret: str) -> Tokens:
    accounts = AccountRepository(session)
    record = accounts.refresh_token(token_hash(token))
    now = utcnow()
    if record is None or record.revoked_at is not None or (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Session expirée ou révoquée : reconnectez-vous.")
    record.revoked_at = now  # rotated: each refresh token serves once
    accounts.add(record)
    account = accounts.account(record.account_id)
    assert account is not None
    return _issue(accounts, account, session_secret)


def logout(session: Session, token: str) -> None:
    AccountRepository(session).revoke_refresh_token(token_hash(token), utcnow())


def request_reset(session: Session, email: str, public_url: str, web_url: str = "") -> None:
    accounts = AccountRepository(session)
    account = accounts.account_by_email(email.strip().lower())
    if account is None:
        return  # say nothing of which addresses have accounts
    token = _email_token(accounts, account, EmailPurpose.RESET)
    links = MailLinks(public_url, web_url)
    queue_mail(
        session,
        account.email,
        "Marché inclusif : nouveau mot de passe",
        "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable 24 heures) :\n"
        f"{links.reset(token)}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste le même.\n\n"
        f"{links.no_site_yet()}",
    )


def check_reset_token(session: Session, token: str) -> None:
    """Whether a reset link is still good, without using it up."""
    record = AccountRepository(session).email_token(token_hash(token))
    now = utcnow()
    if record is None or record.purpose != EmailPurpose.RESET or record.used_at is not None:
        raise Unauthorized("Lien invalide ou déjà utilisé : demandez-en un nouveau.")
    if (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Lien expiré : demandez-en un nouveau.")


def confirm_reset(session: Session, token: str, password: str) -> None:
    accounts = AccountRepository(session)
    account = _use_email_token(accounts, token, EmailPurpose.RESET)
    account.password_hash = hash_password(password)
    accounts.add(account)
    # Every open session ends with the old password.
    accounts.revoke_sessions_of(account.id, utcnow())


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
    accounts = AccountRepository(session)
    accounts.add(record)
    accounts.flush()
    return record, key


def list_keys(session: Session, caller: Caller) -> list[ApiKey]:
    return AccountRepository(session).keys_of(caller.principal.account_id)


def own_key(session: Session, caller: Caller, key_id: int) -> ApiKey:
    record = AccountRepository(session).key(key_id)
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
    AccountRepository(session).add(old)
    return record, key


def revoke_key(session: Session, caller: Caller, key_id: int) -> None:
    record = own_key(session, caller, key_id)
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        AccountRepository(session).add(record)


def account_of(session: Session, caller: Caller) -> Account:
    account = AccountRepository(session).account(caller.principal.account_id)
    if account is None:
        raise Unauthorized("Ce compte n'existe plus.")
    return account


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
    accounts = AccountRepository(session)
    prefix = prefix_of(credential)
    record = accounts.key_by_prefix(prefix) if prefix else None
    now = utcnow()
    if record is None or record.key_hash != token_hash(credential):
        raise Unauthorized("Clé d'API inconnue.")
    if record.revoked_at is not None:
        raise Unauthorized("Clé d'API révoquée.")
    if record.expires_at is not None and (_aware(record.expires_at) or now) < now:
        raise Unauthorized("Clé d'API expirée.")
    account = accounts.account(record.account_id)
    if account is None:
        raise Unauthorized("Clé d'API inconnue.")
    record.last_used_at = now
    accounts.add(record)
    principal = Principal(account.id, Role(account.role), account.email)
    return Caller(
        principal, frozenset(record.scopes) & ROLE_SCOPES[principal.role], "api_key", record.id
    )
