"""Request-scoped dependencies of the catalog (shared with the other services)."""

from services.common.auth import OptionalPrincipalDep, PrincipalDep, SessionDep

__all__ = ["OptionalPrincipalDep", "PrincipalDep", "SessionDep"]
