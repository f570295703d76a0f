"""The PDF document builder, read back with Poppler as a viewer shows it: pages drawn, text in
French intact, tables paginated with their header, page numbers, metadata."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

from services.common.pdf import (
    FRENCH_TIME,
    Column,
    Document,
    euros,
    french_date,
    french_datetime,
    number,
    percent,
    printable,
)
from tests.common.pdf_support import page_count, pdf_text, render_pages

GENERATED = datetime(2026, 11, 30, 15, 4, tzinfo=FRENCH_TIME)


def _document(**overrides: str) -> Document:
    fields = {
        "title": "Attestation annuelle d'achats — œuvre « 2026 »",
        "author": "Établissement et service d'aide par le travail Les Ateliers",
        "subject": "Achats auprès d'une structure inclusive",
        **overrides,
    }
    return Document(**fields, footer="Attestation n° 12", generated_at=GENERATED)


def test_a_long_table_paginates_with_its_header_on_every_page(tmp_path: Path) -> None:
    doc = _document()
    doc.title("Relevé des commandes", "Exercice 2026")
    doc.heading("Commandes")
    rows = [
        [
            f"CMD-{i:04d}",
            f"Prestation de nettoyage n° {i} " + "avec reprise " * (i % 7),
            euros(i * 10),
        ]
        for i in range(1, 201)
    ]
    doc.table(
        [Column("Référence", 1), Column("Désignation", 4), Column("Montant", 1.2, "RIGHT")], rows
    )

    pdf = doc.render()

    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) == page_count(pdf) == len(render_pages(pdf, tmp_path)) >= 4
    for number_, page in enumerate(pages, start=1):
        assert "Référence" in page and "Désignation" in page and "Montant" in page
        assert f"Page {number_} / {len(pages)}" in page
        assert "Attestation n° 12 — Document généré le 30 novembre 2026 à 15 h 04" in page
    found = re.findall(r"CMD-(\d{4})", "".join(pages))
    assert [int(n) for n in found] == list(range(1, 201))
    assert "2 000 €" in " ".join(pages[-1].split())


def test_rows_move_whole_to_the_next_page() -> None:
    doc = _document()
    body = "suite du texte de la ligne " * 12
    doc.table(
        [Column("N°"), Column("Texte", 5)],
        [[str(i), f"DEBUT-{i} {body} FIN-{i}"] for i in range(60)],
    )

    pages = pdf_text(doc.render()).split("\f")[:-1]

    assert len(pages) >= 3
    for i in range(60):
        assert sum(f"DEBUT-{i} " in page and f"FIN-{i}" in page for page in pages) == 1, i


def test_the_document_says_its_title_author_subject_and_language() -> None:
    pdf = _document().render()

    info = subprocess.run(
        ["pdfinfo", "-enc", "UTF-8", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"^Title:\s+Attestation annuelle d'achats — œuvre « 2026 »$", info, re.M)
    assert re.search(r"^Author:\s+Établissement et service d'aide par le travail", info, re.M)
    assert re.search(r"^Subject:\s+Achats auprès d'une structure inclusive$", info, re.M)
    assert b"/Lang (fr-FR)" in pdf
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout
    # The fonts text is drawn with travel inside the file: no font of the reader's is assumed.
    vera = [line for line in fonts.decode().splitlines() if "BitstreamVera" in line]
    assert vera and all(line.split()[-5] == "yes" for line in vera), fonts


def test_french_text_renders_and_what_the_font_lacks_becomes_an_equivalent(
    tmp_path: Path,
) -> None:
    doc = _document()
    doc.title("Éléments « clés » : œuvre, Œuvre, façon, à, è, é, 12\u202f345,50 €")
    doc.paragraph("L’acheteur réserve ≥ 3 lots → SIAE ; caractères 漢 et 🙂 ; e\u0301tape.")
    doc.key_values([("Montant", euros(500_000, "HT")), ("Taux", percent(5))])
    doc.bullets(["première ligne", "seconde ligne"])
    doc.notice("à lire", strong="Important :")

    pdf = doc.render()

    render_pages(pdf, tmp_path)
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    assert "Éléments « clés » : œuvre, Œuvre, façon, à, è, é, 12 345,50 €" in flat
    assert "L’acheteur réserve ≥ 3 lots -> SIAE ; caractères ? et ? ; étape." in flat
    # (pdftotext may read the no-break space before « % » as no space at all)
    assert "Montant 500 000 € HT" in flat and re.search("Taux 5 ?%", flat)
    assert "• première ligne" in flat and "Important : à lire" in flat
    assert "\ufffd" not in text


def test_what_people_type_is_shown_as_text_never_read_as_markup() -> None:
    doc = _document(title="<b>x</b> & <i>")
    hostile = "<para>non fermé</b> & &amp; <img src='x'/> \x00\x07\x1b fin"
    doc.heading(hostile)
    doc.paragraph(hostile)
    doc.key_values([(hostile, hostile)])
    doc.table([Column("<th>"), Column("&")], [[hostile, "\u0000"]])

    flat = " ".join(pdf_text(doc.render()).split())

    assert flat.count("<para>non fermé</b> & &amp; <img src='x'/> fin") == 5
    assert "<th> &" in flat


def test_a_cell_taller_than_a_page_flows_over_the_pages(tmp_path: Path) -> None:
    doc = _document()
    doc.key_values([("Objet", "mot " * 2500), ("Référence", "x" * 3000)])
    doc.table([Column("N°"), Column("Texte", 5)], [["1", "ligne " * 4000], ["2", "fin du tableau"]])

    pdf = doc.render()

    assert len(render_pages(pdf, tmp_path)) == page_count(pdf) >= 4
    assert "fin du tableau" in pdf_text(pdf)


def test_an_empty_document_and_an_empty_table_still_render(tmp_path: Path) -> None:
    assert page_count(_document().render()) == 1
    doc = _document()
    doc.title("Relevé")
    doc.table([Column("A"), Column("B")], [], empty="Aucune commande cette année.")
    pdf = doc.render()
    assert len(render_pages(pdf, tmp_path)) == 1
    assert "Aucune commande cette année." in pdf_text(pdf)


def test_french_formats() -> None:
    assert number(1_234_567.84, 1) == "1\u202f234\u202f567,8"
    assert number(999.6) == "1\u202f000"
    assert euros(500_000, "HT") == "500\u202f000\u00a0€\u00a0HT"
    assert euros(12.5) == "12,50\u00a0€"
    assert percent(5) == "5\u00a0%" and percent(12.5) == "12,5\u00a0%"
    assert french_date("2026-12-01") == "1er décembre 2026"
    # A moment is told in French time: 23:30 UTC on 31 December is already the new year.
    assert french_date("2026-12-31T23:30:00+00:00") == "1er janvier 2027"
    assert french_datetime("2026-11-27T13:30:00+00:00") == "27 novembre 2026 à 14\u00a0h\u00a030"
    assert french_datetime("2026-07-14T10:05:00Z") == "14 juillet 2026 à 12\u00a0h\u00a005"
    # Without an offset, a moment is UTC, as the services store it.
    assert french_datetime("2026-07-14T10:05:00") == "14 juillet 2026 à 12\u00a0h\u00a005"


def test_printable_keeps_french_and_maps_the_rest() -> None:
    french = "àâäçéèêëîïôöùûüÿœŒæÆ€«»’“”–—…°²"
    assert printable(french) == french
    assert printable("1\u202f000\u2009€") == "1\u00a0000 €"
    assert printable("a\r\nb\x00c") == "a\nb c"
    assert printable("✓ → 漢") == "oui -> ?"
