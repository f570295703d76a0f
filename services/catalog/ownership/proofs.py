"""Claim proofs: the document is recognised from its bytes and kept outside the web root.

Stored under the proof folder by a random name: nothing of the claimant's file name, nothing
guessable; read back only through the API, for the claimant and the staff.
"""

from __future__ import annotations

from services.catalog.uploads import MIB, FileStore, StoredFile, UploadedDocument
from services.common.errors import AppError

MAX_PROOF_BYTES = 5 * MIB
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
LABELS = {PDF: "un PDF", PNG: "une image PNG", JPEG: "une image JPEG"}
__all__ = ["ProofStore", "StoredProof", "UploadedDocument"]


class ProofTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Document trop volumineux"


class UnsupportedProof(AppError):
    status, slug, title = 415, "unsupported-media-type", "Type de document non pris en charge"


def sniff(content: bytes) -> str | None:
    """The type the bytes are, by their signature; None for anything else."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]:
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def checked_type(content: bytes, declared: str | None) -> str:
    """The document's type, from its bytes; the declared type must say the same."""
    media_type = (declared or "").partition(";")[0].strip().lower()
    if media_type not in EXTENSIONS:
        raise UnsupportedProof(
            "Content-Type : le justificatif doit être envoyé en application/pdf, image/png "
            "ou image/jpeg.",
            errors=[
                {
                    "pointer": "/header/content-type",
                    "field": "content-type",
                    "detail": "valeurs possibles : application/pdf, image/png, image/jpeg",
                }
            ],
        )
    actual = sniff(content)
    if actual is None:
        raise UnsupportedProof(
            "Le contenu du justificatif n'est ni un PDF, ni une image PNG ou JPEG "
            "(le type est lu dans le fichier, pas dans son nom)."
        )
    if actual != media_type:
        raise UnsupportedProof(
            f"Content-Type annonce {LABELS[media_type]}, mais le fichier est {LABELS[actual]}."
        )
    return actual


# The proofs' folder is a store like any other; these names stay for its callers.
ProofStore = FileStore
StoredProof = StoredFile
