"""The JSON of the public-buyers API (documentation of the answers; values built by `service`)."""

from __future__ import annotations

from pydantic import BaseModel


class MethodSection(BaseModel):
    title: str
    text: str


class MethodCategory(BaseModel):
    code: str
    label: str
    rule: str


class MethodBand(BaseModel):
    code: str
    label: str
    min_contracts: int
    max_contracts: int | None


class Method(BaseModel):
    version: str
    published_on: str
    sections: list[MethodSection]
    categories: list[MethodCategory]
    bands: list[MethodBand]
    min_contracts_to_rank: int
    sources: list[str]


class SocialKinds(BaseModel):
    clause_sociale: int
    critere_social: int
    marche_reserve: int


class RankingFilters(BaseModel):
    region: str | None
    category: str | None
    band: str | None


class RankingItem(BaseModel):
    rank: int | None
    siret: str
    name: str
    category: str
    category_label: str
    band: str
    band_label: str
    region_code: str | None
    region_name: str | None
    contracts: int
    amount_eur: float
    with_social: int
    social_share: float
    social_amount_share: float
    by_social_kind: SocialKinds
    inclusive_contracts: int
    inclusive_amount_eur: float


class RankingBand(BaseModel):
    code: str
    label: str
    total: int
    ranked: int


class RankingPage(BaseModel):
    year: int | None
    years_available: list[int]
    filters: RankingFilters
    total: int
    ranked: int
    bands: list[RankingBand]
    page: int
    per_page: int
    items: list[RankingItem]


class BuyerHit(BaseModel):
    siret: str
    name: str
    category_label: str
    region_name: str | None


class BuyerHits(BaseModel):
    items: list[BuyerHit]


class Inclusive(BaseModel):
    contracts: int
    amount_eur: float
    awarded_contracts: int
    subcontracted_contracts: int
    by_family: dict[str, int]
    by_kind: dict[str, int]


class BuyerRank(BaseModel):
    national: int
    national_of: int
    region: int | None
    region_of: int | None
    category: int | None
    category_of: int | None


class BuyerYear(BaseModel):
    year: int
    contracts: int
    amount_eur: float
    with_social: int
    social_share: float
    social_amount_share: float
    by_social_kind: SocialKinds
    band: str
    band_label: str
    region_code: str | None
    region_name: str | None
    inclusive: Inclusive
    rank: BuyerRank | None


class Buyer(BaseModel):
    siret: str
    siren: str
    name: str
    category: str
    category_label: str
    band: str | None
    band_label: str | None
    region_code: str | None
    region_name: str | None
    years: list[BuyerYear]
