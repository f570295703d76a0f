"""Import runs, as the staff read them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ImportRunPublic(BaseModel):
    id: int
    source: str = Field(description="Fichier importé : siae ou esat")
    started_at: datetime
    finished_at: datetime | None = Field(description="Vide tant que l'import n'est pas terminé")
    created: int
    updated: int
    unchanged: int
    delisted: int
    rejected: int


class Rejection(BaseModel):
    line: int | None = Field(description="Ligne du fichier")
    key: str | None = Field(description="Identifiant de la ligne (SIRET, FINESS), s'il a été lu")
    reason: str = Field(description="Pourquoi la ligne a été écartée")


class ImportRunDetail(ImportRunPublic):
    rejections: list[Rejection] = Field(description="Lignes écartées, 50 par page")
    page: int
    pages: int = Field(description="Nombre de pages de lignes écartées")
    per_page: int
