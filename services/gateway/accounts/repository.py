"""Every query on accounts, their sessions, one-time e-mail tokens and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from services.common.identity import Role
from services.gateway.accounts.models import Account, ApiKey, EmailToken, RefreshToken


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: SQLModel) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def account(self, account_id: str) -> Account | None:
        return self.session.get(Account, account_id)

    def account_by_email(self, email: str) -> Account | None:
        return self.session.exec(select(Account).where(Account.email == email)).first()

    def accounts_with_role(self, role: Role) -> list[Account]:
        return list(
            self.session.exec(
                select(Account).where(Account.role == role).order_by(col(Account.created_at))
            )
        )

    def email_token(self, token_hash: str) -> EmailToken | None:
        return self.session.exec(
            select(EmailToken).where(EmailToken.token_hash == token_hash)
        ).first()

    def refresh_token(self, token_hash: str) -> RefreshToken | None:
        return self.session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        ).first()

    def revoke_refresh_token(self, token_hash: str, at: datetime) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(
                col(RefreshToken.token_hash) == token_hash,
                col(RefreshToken.revoked_at).is_(None),
            )
            .values(revoked_at=at)
        )

    def revoke_sessions_of(self, account_id: str, at: datetime) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(
                col(RefreshToken.account_id) == account_id, col(RefreshToken.revoked_at).is_(None)
            )
            .values(revoked_at=at)
        )

    def key(self, key_id: int) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        return self.session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()

    def keys_of(self, account_id: str) -> list[ApiKey]:
        return list(
            self.session.exec(
                select(ApiKey).where(ApiKey.account_id == account_id).order_by(col(ApiKey.id))
            )
        )
