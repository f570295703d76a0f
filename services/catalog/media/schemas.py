"""What the API shows of an image, and what a manager may change of it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MediaPublic(BaseModel):
    id: str
    url: str = Field(description="Adresse publique de l'image (redimensionnée, ré-encodée)")
    width: int
    height: int
    media_type: str = Field(description="image/png (avec transparence) ou image/jpeg")
    alt: str | None = Field(description="Texte alternatif, lu par les lecteurs d'écran")


class PhotoUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"alt": "L'équipe en chantier d'espaces verts"}]},
    )

    alt: str | None = Field(max_length=200)
