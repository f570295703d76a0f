"""What a structure's managers read of its indexing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class IndexingStatus(BaseModel):
    searchable: bool = Field(
        description="Vrai quand aucune modification de la fiche n'attend d'être indexée"
    )
    pending_since: datetime | None = Field(
        description="Depuis quand la plus ancienne modification non indexée attend"
    )
    last_indexed_at: datetime | None = Field(
        description="Quand la recherche a appliqué une modification de la fiche pour la dernière fois"
    )
    version: int = Field(description="Version actuelle de la fiche")
