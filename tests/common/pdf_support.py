"""Reading a PDF back as a person's viewer shows it: Poppler's text and page images."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from PIL import Image, ImageStat


def pdf_text(pdf: bytes) -> str:
    """The text Poppler reads in the document, pages in order."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    found = re.search(rb"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert found, info
    return int(found.group(1))


def render_pages(pdf: bytes, folder: Path, resolution: int = 50) -> list[Path]:
    """Every page as a PNG drawn by pdftoppm; fails if one comes out blank."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), str(source), str(folder / "page")],
        capture_output=True,
        check=True,
    )
    pages = sorted(folder.glob("page-*.png"))
    assert pages, "pdftoppm n'a produit aucune page"
    for page in pages:
        with Image.open(page) as image:
            spread = ImageStat.Stat(image.convert("L")).var[0]
        assert spread > 50, f"{page.name} est blanche (variance {spread:.1f})"
    return pages
