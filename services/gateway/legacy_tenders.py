"""`POST /api/tenders/` of the historical API: a partner's need becomes one of ours, matched at once;
the partner's `extra_data.id` makes a repeated post an update."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from services.common.errors import Forbidden, InvalidParameter
from services.common.text import slugify
from services.gateway.accounts.schemas import EMAIL_PATTERN
from services.gateway.legacy import AMOUNT_BANDS, TENDER_KINDS, caller_or_401, router
from services.gateway.perimeters import Perimeter
from services.gateway.state import GatewayStateDep
from services.gateway.upstream import public_problem

EMAIL = re.compile(EMAIL_PATTERN)
KINDS = {k.code: k for k in TENDER_KINDS}
AMOUNTS = {b.code: b for b in AMOUNT_BANDS}


class LegacyTender(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=f"^({'|'.join(KINDS)})$")
    title: str = Field(min_length=3, max_length=200)
    sectors: list[str] = Field(min_length=1, max_length=20)
    presta_type: list[str] = Field(default_factory=list, max_length=3)
    location: str | None = Field(default=None, max_length=200)
    is_country_area: bool = False
    include_country_area: bool = False
    distance_location: int | None = Field(default=None, ge=0, le=1000)
    description: str = Field(min_length=10, max_length=10_000)
    start_working_date: date | None = None
    external_link: str | None = Field(default=None, max_length=500)
    constraints: str | None = Field(default=None, max_length=5000)
    amount: str | None = Field(default=None, pattern=f"^({'|'.join(AMOUNTS)})$")
    amount_exact: int | None = Field(default=None, ge=0)
    why_amount_is_blank: str | None = Field(default=None, max_length=100)
    accept_share_amount: bool = False
    siae_kind: list[str] = Field(default_factory=list, max_length=10)
    contact_first_name: str | None = Field(default=None, max_length=150)
    contact_last_name: str | None = Field(default=None, max_length=150)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_company_name: str | None = Field(default=None, max_length=255)
    response_kind: list[str] = Field(default_factory=list, max_length=3)
    deadline_date: date | None = None
    extra_data: dict[str, Any] = Field(default_factory=dict, max_length=50)

    @field_validator("deadline_date")
    @classmethod
    def _deadline_ahead(cls, value: date | None) -> date | None:
        if value is not None and value < datetime.now(ZoneInfo("Europe/Paris")).date():
            raise PydanticCustomError(
                "deadline_past", "la date limite est déjà passée ({value})", {"value": str(value)}
            )
        return value

    @field_validator("contact_email")
    @classmethod
    def _contact_email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise PydanticCustomError(
                "email_invalid", "adresse e-mail invalide « {value} »", {"value": value[:80]}
            )
        return value


_DETAILS = (
    "include_country_area",
    "distance_location",
    "start_working_date",
    "external_link",
    "constraints",
    "amount",
    "amount_exact",
    "why_amount_is_blank",
    "accept_share_amount",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
    "contact_company_name",
    "response_kind",
    "extra_data",
)


def _place(perimeters: list[Perimeter], tender: LegacyTender) -> dict[str, str] | None:
    if tender.is_country_area or not tender.location:
        return None
    level = {"CITY": "commune", "DEPARTMENT": "departement", "REGION": "region"}
    for perimeter in perimeters:
        if perimeter.slug == tender.location:
            return {"level": level[perimeter.kind], "code": perimeter.insee_code}
    raise InvalidParameter("location", f"périmètre inconnu « {tender.location[:60]} »", "body")


@router.post("/tenders/", status_code=201, summary="Déposer un besoin (API historique)")
async def create_tender(tender: LegacyTender, request: Request, state: GatewayStateDep) -> Response:
    if (refused := caller_or_401(request)) is not None:
        return refused
    if "needs:write" not in request.state.caller.scopes:
        raise Forbidden("Ce jeton ne permet pas de déposer des besoins (portée needs:write).")
    band = AMOUNTS.get(tender.amount or "")
    low, high = (band.low_eur, band.high_eur) if band else (None, None)
    partner_id = tender.extra_data.get("id")
    body = {
        "kind": KINDS[tender.kind].need_kind,
        "title": tender.title,
        "description": tender.description,
        "sectors": tender.sectors,
        "place": _place(state.perimeters, tender),
        "presta_types": tender.presta_type,
        "kinds": tender.siae_kind,
        "amount_min_eur": tender.amount_exact if tender.amount_exact is not None else low,
        "amount_max_eur": tender.amount_exact if tender.amount_exact is not None else high,
        "deadline": tender.deadline_date.isoformat() if tender.deadline_date else None,
        "external_ref": str(partner_id)[:100] if partner_id is not None else None,
        "details": tender.model_dump(mode="json", include=set(_DETAILS)),
        "publish": True,
    }
    upstream = await state.sourcing.post_json("/v1/needs", request, body)
    if upstream.status_code != 201:
        content_type = upstream.headers.get("content-type", "application/json")
        return Response(
            public_problem(upstream.content, content_type, request),
            status_code=upstream.status_code,
            media_type=content_type,
        )
    need = upstream.json()
    accepted = tender.model_dump(mode="json")
    return JSONResponse(
        {**accepted, "slug": f"{slugify(tender.title)}-{need['id']}"}, status_code=201
    )
