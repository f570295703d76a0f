"""Pages: the account — register, confirm, log in and out, new password."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from services.web.api import ApiProblem, ApiUnavailable, LoginRequired
from services.web.visitor import CheckedForm, VisitorDep, redirect

router = APIRouter()


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
