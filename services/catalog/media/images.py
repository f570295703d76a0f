"""Images sent by managers: recognised from their bytes, checked before decoding, turned
upright, resized and re-encoded so that nothing of the original file (metadata, GPS position,
hidden payload) is ever served."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.common.errors import AppError

PNG, JPEG, WEBP = "image/png", "image/jpeg", "image/webp"
ACCEPTED = (PNG, JPEG, WEBP)
LABELS = {PNG: "une image PNG", JPEG: "une image JPEG", WEBP: "une image WebP"}
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


class UnsupportedImage(AppError):
    status, slug, title = 415, "unsupported-media-type", "Type de fichier non pris en charge"


class UnreadableImage(AppError):
    status, slug, title = 422, "unreadable-image", "Image illisible ou trop grande"


def _field(detail: str) -> list[dict[str, str]]:
    return [{"pointer": "/body", "field": "file", "detail": detail}]


def sniff(content: bytes) -> str | None:
    """The type the bytes are, by their signature; None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    return None


def checked_type(content: bytes, declared: str | None) -> str:
    """The image's type, from its bytes; the declared type must say the same."""
    actual = sniff(content)
    if actual is None:
        raise UnsupportedImage(
            "Le contenu du fichier n'est pas une image PNG, JPEG ou WebP (le type est lu dans "
            "le fichier, pas dans son nom).",
            errors=_field("attendu : une image PNG, JPEG ou WebP"),
        )
    media_type = (declared or "").partition(";")[0].strip().lower()
    if media_type != actual:
        announced = LABELS.get(media_type, f"« {media_type[:40]} »" if media_type else "rien")
        raise UnsupportedImage(
            f"Content-Type annonce {announced}, mais le fichier est {LABELS[actual]}.",
            errors=[
                {
                    "pointer": "/header/content-type",
                    "field": "content-type",
                    "detail": f"le fichier est {LABELS[actual]} : envoyez Content-Type {actual}",
                }
            ],
        )
    return actual


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    media_type: str
    width: int
    height: int


def _opened(content: bytes) -> Image.Image:
    """The image, its header read, its pixels not yet decoded; refused beyond 40 megapixels."""
    try:
        with warnings.catch_warnings():
            # Our own limit, below, is lower than Pillow's warning and names the size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError as exc:
        # Far beyond Pillow's own limit: refused by it, from the header alone.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) // 1_000_000} mégapixels" if found else "trop de pixels"
        raise UnreadableImage(
            f"L'image compte {size} : 40 mégapixels au plus.",
            errors=_field("40 mégapixels au plus"),
        ) from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise UnreadableImage(
            f"L'image mesure {width} × {height} pixels : 40 mégapixels au plus.",
            errors=_field("40 mégapixels au plus"),
        )
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def processed(content: bytes, longest_side: int) -> ProcessedImage:
    """Upright, at most `longest_side` pixels long, re-encoded: JPEG, or PNG to keep a
    transparency; no metadata."""
    unreadable = UnreadableImage(
        "L'image est illisible (fichier tronqué ou endommagé).",
        errors=_field("image illisible"),
    )
    box = (longest_side, longest_side)  # square: the same whichever way the image is turned
    try:
        _opened(content).verify()
        image = _opened(content)  # verify() leaves the image unusable: read it again
        alpha = _has_alpha(image)
        mode = "RGBA" if alpha else "RGB"
        if image.format == "JPEG":
            # Decoded at the smallest scale still larger than the box: a fraction of the memory.
            image.draft("RGB", box)
        image.load()
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert(mode)
        image.thumbnail(box, Image.Resampling.LANCZOS)
        upright = ImageOps.exif_transpose(image)
    except UnreadableImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise unreadable from exc
    except Image.DecompressionBombError as exc:
        raise UnreadableImage(
            "L'image est trop grande une fois décompressée : 40 mégapixels au plus.",
            errors=_field("40 mégapixels au plus"),
        ) from exc
    converted = upright.convert(mode)
    # A new image from the pixels alone: no EXIF, ICC, XMP nor text chunk follows.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if alpha:
        clean.save(out, format="PNG", optimize=True)
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ProcessedImage(out.getvalue(), PNG if alpha else JPEG, clean.width, clean.height)
