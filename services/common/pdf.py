"""Sober A4 documents in French: a title, headings, wrapped paragraphs, key/value blocks and
tables whose header repeats on every page, « Page n / N » and the generation date in the footer.

No domain here: the sourcing note and the suppliers' attestations are built with it. Text is
drawn with the Bitstream Vera fonts that ReportLab ships (embedded, so no system font is
assumed); a character they cannot show is replaced by its nearest equivalent, never by a box.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from services.common.text import FRENCH_MONTHS

FRENCH_TIME = ZoneInfo("Europe/Paris")
FONT = "MarcheSans"
_FONT_FILES = {
    FONT: "Vera.ttf",
    f"{FONT}-Bold": "VeraBd.ttf",
    f"{FONT}-Italic": "VeraIt.ttf",
    f"{FONT}-BoldItalic": "VeraBI.ttf",
}
# What the fonts lack, drawn as the nearest thing they have.
_EQUIVALENTS = {
    "\u202f": "\u00a0",  # narrow no-break space (French thousands, before « ; : ! ? »)
    "\u2007": "\u00a0",
    "\u2009": " ",
    "\u200a": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2011": "-",
    "\u2010": "-",
    "\u2212": "-",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2713": "oui",
    "\u2717": "non",
    "\u00ad": "",
    "\u200b": "",
    "\ufeff": "",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

INK = colors.HexColor("#161616")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#b0b0b0")
HEADER_FILL = colors.HexColor("#e8e8e8")
ZEBRA_FILL = colors.HexColor("#f6f6f6")
ACCENT = colors.HexColor("#000091")  # the État's blue


@cache
def _fonts() -> frozenset[int]:
    """Registers the fonts once and returns the code points they can draw."""
    folder = Path(reportlab.__file__).parent / "fonts"
    regular: TTFont | None = None
    for name, filename in _FONT_FILES.items():
        font = TTFont(name, str(folder / filename))
        pdfmetrics.registerFont(font)
        regular = regular or font
    pdfmetrics.registerFontFamily(
        FONT,
        normal=FONT,
        bold=f"{FONT}-Bold",
        italic=f"{FONT}-Italic",
        boldItalic=f"{FONT}-BoldItalic",
    )
    assert regular is not None
    return frozenset(regular.face.charToGlyph)


def printable(text: str) -> str:
    """The text with every character the fonts cannot draw replaced by an equivalent: a
    known stand-in, else its decomposition without accents, else « ? » (so nothing vanishes
    unseen). Control characters become spaces; line breaks are kept."""
    known = _fonts()
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text.replace("\r\n", "\n")))
    out: list[str] = []
    for char in text:
        if char == "\n" or ord(char) in known:
            out.append(char)
        elif unicodedata.combining(char):
            continue  # an accent with no precomposed letter: the bare letter is the nearest
        elif char in _EQUIVALENTS:
            out.append(_EQUIVALENTS[char])
        else:
            plain = "".join(
                c
                for c in unicodedata.normalize("NFKD", char)
                if not unicodedata.combining(c) and ord(c) in known
            )
            out.append(plain or "?")
    return "".join(out)


def _markup(text: str) -> str:
    """Plain text as ReportLab paragraph markup: escaped, line breaks kept."""
    return escape(printable(text)).replace("\n", "<br/>")


# French formatting of the values a document shows.


def number(value: float | int, decimals: int = 0) -> str:
    """12 345,6 — French grouping with a narrow no-break space."""
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,}"
    return text.replace(",", "\u202f").replace(".", ",")


def euros(value: float | int, suffix: str = "") -> str:
    """« 500 000 € », « 1 234,50 € » (cents only when there are some), then the suffix."""
    decimals = 0 if float(value) == round(float(value)) else 2
    text = f"{number(value, decimals)}\u00a0€"
    return f"{text}\u00a0{suffix}" if suffix else text


def percent(value: float | int) -> str:
    return f"{number(value, 0 if float(value) == int(value) else 1)}\u00a0%"


def _as_datetime(value: str | date | datetime) -> date | datetime:
    """A date, or a moment in French time; a moment without offset is UTC, as the services
    store and answer them."""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        value = parsed if "T" in value or " " in value else parsed.date()
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(FRENCH_TIME)
    return value


def french_date(value: str | date | datetime) -> str:
    """« 1er décembre 2026 »; a moment is read in French time."""
    day = _as_datetime(value)
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def french_datetime(value: str | datetime) -> str:
    """« 1er décembre 2026 à 14 h 05 », in French time."""
    moment = _as_datetime(value)
    if not isinstance(moment, datetime):
        return french_date(moment)
    return f"{french_date(moment)} à {moment.hour}\u00a0h\u00a0{moment.minute:02d}"


@dataclass(frozen=True)
class Column:
    """A table column: its header and its share of the text width."""

    header: str
    width: float = 1.0
    align: str = "LEFT"


class _Styles:
    def __init__(self) -> None:
        _fonts()
        base = ParagraphStyle(
            "body",
            fontName=FONT,
            fontSize=9.5,
            leading=13,
            textColor=INK,
            alignment=TA_LEFT,
            spaceAfter=4,
            splitLongWords=1,
        )
        self.body = base
        self.title = ParagraphStyle(
            "title", parent=base, fontName=f"{FONT}-Bold", fontSize=18, leading=22, spaceAfter=2
        )
        self.subtitle = ParagraphStyle(
            "subtitle", parent=base, fontSize=12, leading=16, textColor=INK, spaceAfter=8
        )
        self.heading = ParagraphStyle(
            "heading",
            parent=base,
            fontName=f"{FONT}-Bold",
            fontSize=12.5,
            leading=16,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=5,
        )
        self.subheading = ParagraphStyle(
            "subheading",
            parent=base,
            fontName=f"{FONT}-Bold",
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
        )
        self.muted = ParagraphStyle(
            "muted", parent=base, fontSize=8.5, leading=11.5, textColor=MUTED
        )
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11, spaceAfter=0)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=2)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=f"{FONT}-Bold")
        self.cell_head_right = ParagraphStyle("cell_head_right", parent=self.cell_head, alignment=2)
        self.key = ParagraphStyle("key", parent=self.cell, fontName=f"{FONT}-Bold", fontSize=9)
        self.value = ParagraphStyle("value", parent=self.cell, fontSize=9, leading=12)
        self.bullet = ParagraphStyle(
            "bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2
        )
        self.notice = ParagraphStyle(
            "notice",
            parent=base,
            borderColor=ACCENT,
            borderWidth=0.8,
            borderPadding=6,
            # The frame is drawn around the padding: indenting keeps it within the margins.
            leftIndent=6,
            rightIndent=6,
            backColor=colors.HexColor("#f5f5fe"),
            spaceBefore=6,
            spaceAfter=10,
        )


class _Heading(Paragraph):
    """A heading that becomes an entry of the PDF's outline (bookmarks)."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(_markup(text), style)
        self.outline_title = printable(text)
        self.outline_level = level


class _NumberedCanvas(Canvas):
    """Draws the footer once the page count is known: « Page n / N »."""

    def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.footer_left = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 — ReportLab's name
        # Each page is kept, and drawn at save() once the page count is known.
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        width = A4[0]
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(18 * mm, 14 * mm, width - 18 * mm, 14 * mm)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(18 * mm, 10 * mm, self.footer_left)
        self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self.getPageNumber()} / {total}")
        self.restoreState()


class _Template(SimpleDocTemplate):
    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 — ReportLab's name
        if isinstance(flowable, _Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(
                flowable.outline_title, key, level=flowable.outline_level, closed=False
            )


class Document:
    """An A4 document built top to bottom, then rendered once with `render()`."""

    def __init__(
        self,
        *,
        title: str,
        author: str,
        subject: str = "",
        keywords: Sequence[str] = (),
        footer: str = "",
        generated_at: datetime | None = None,
    ) -> None:
        self.info = {"title": title, "author": author, "subject": subject}
        self.keywords = list(keywords)
        self.generated_at = generated_at or datetime.now(FRENCH_TIME)
        self.footer = footer
        self.styles = _Styles()
        self._story: list[Flowable] = []
        self._outline_level = -1

    @property
    def text_width(self) -> float:
        return float(A4[0] - 36 * mm)

    # Building blocks

    def title(self, text: str, subtitle: str | None = None) -> None:
        self._story.append(_Heading(text, self.styles.title, 0))
        self._outline_level = 0
        if subtitle:
            self._story.append(Paragraph(_markup(subtitle), self.styles.subtitle))
        self._story.append(_Rule(self.text_width))

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading; level 2 for a sub-section. Never left alone at a page's foot."""
        style = self.styles.heading if level <= 1 else self.styles.subheading
        # The outline cannot skip a level: a heading is at most one below the previous one.
        outline = min(level, self._outline_level + 1)
        self._outline_level = outline
        self._story.append(CondPageBreak(30 * mm))
        self._story.append(_Heading(text, style, outline))

    def paragraph(self, text: str, *, muted: bool = False) -> None:
        style = self.styles.muted if muted else self.styles.body
        self._story.append(Paragraph(_markup(text), style))

    def notice(self, text: str, *, strong: str = "") -> None:
        """A framed paragraph for what the reader must not miss; `strong` starts it in bold."""
        lead = f"<b>{_markup(strong)}</b> " if strong else ""
        self._story.append(Paragraph(lead + _markup(text), self.styles.notice))

    def bullets(self, items: Iterable[str]) -> None:
        for item in items:
            self._story.append(Paragraph(_markup(item), self.styles.bullet, bulletText="•"))

    def key_values(self, pairs: Iterable[tuple[str, str]], key_width: float = 0.32) -> None:
        """Label / value lines, the labels in bold on the left."""
        rows = [
            [Paragraph(_markup(key), self.styles.key), Paragraph(_markup(value), self.styles.value)]
            for key, value in pairs
        ]
        if not rows:
            return
        widths = [self.text_width * key_width, self.text_width * (1 - key_width)]
        table = LongTable(
            rows, colWidths=widths, splitInRow=_split_in_row(rows, widths), hAlign="LEFT"
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ]
            )
        )
        # A short block is not cut in two nor parted from its heading; a long one flows on.
        block: list[Flowable] = [table, Spacer(1, 6)]
        if self._story and isinstance(self._story[-1], _Heading):
            block.insert(0, self._story.pop())
        self._story.append(KeepTogether(block))

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[str]],
        *,
        empty: str = "Aucune ligne.",
    ) -> None:
        """A table whose cells wrap and whose header row repeats at the top of every page."""
        body = [
            [
                Paragraph(
                    _markup(str(cell)),
                    self.styles.cell_right if column.align == "RIGHT" else self.styles.cell,
                )
                for column, cell in zip(columns, row, strict=True)
            ]
            for row in rows
        ]
        if not body:
            self.paragraph(empty, muted=True)
            return
        header = [
            Paragraph(
                _markup(column.header),
                self.styles.cell_head_right if column.align == "RIGHT" else self.styles.cell_head,
            )
            for column in columns
        ]
        share = sum(column.width for column in columns)
        widths = [self.text_width * column.width / share for column in columns]
        table = LongTable(
            [header, *body],
            colWidths=widths,
            repeatRows=1,
            splitInRow=_split_in_row(body, widths, reserved=header),
            hAlign="LEFT",
        )
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        commands += [
            ("BACKGROUND", (0, i), (-1, i), ZEBRA_FILL) for i in range(2, len(body) + 1, 2)
        ]
        table.setStyle(TableStyle(commands))
        self._story.append(table)
        self._story.append(Spacer(1, 8))

    def space(self, height_mm: float = 4) -> None:
        self._story.append(Spacer(1, height_mm * mm))

    # Output

    def render(self) -> bytes:
        buffer = io.BytesIO()
        template = _Template(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=22 * mm,
            title=printable(self.info["title"]),
            author=printable(self.info["author"]),
            subject=printable(self.info["subject"]),
            keywords=[printable(k) for k in self.keywords],
            creator="Marché inclusif",
            producer="Marché inclusif",
            lang="fr-FR",
            initialFontName=FONT,
            displayDocTitle=True,
        )
        footer = f"Document généré le {french_datetime(self.generated_at)}"
        if self.footer:
            footer = f"{self.footer} — {footer}"

        def canvas(*args: Any, **kwargs: Any) -> Canvas:
            return _NumberedCanvas(*args, footer=printable(footer), **kwargs)

        story = self._story or [Paragraph("", self.styles.body)]
        template.build(list(story), canvasmaker=canvas)
        return buffer.getvalue()


# The height a row may take on a page: A4 less the margins, and room for a repeated header.
_FRAME_HEIGHT = A4[1] - 40 * mm - 12


def _split_in_row(
    rows: Sequence[Sequence[Paragraph]], widths: Sequence[float], reserved: Sequence[Paragraph] = ()
) -> int:
    """1 when some row is taller than a page, and must then be cut; 0 otherwise, so that rows
    move whole to the next page (reading a cell cut in two is harder)."""

    def height(row: Sequence[Paragraph]) -> float:
        if not row:
            return 0
        # At most 8 points of padding across a cell, and 8 down it.
        return max(
            cell.wrap(width - 8, _FRAME_HEIGHT)[1] + 8
            for cell, width in zip(row, widths, strict=True)
        )

    room = _FRAME_HEIGHT - height(reserved)
    return int(any(height(row) > room for row in rows))


class _Rule(Flowable):
    """A thin line under the title."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width = width
        self.height = 8

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.setStrokeColor(ACCENT)
        self.canv.setLineWidth(1.2)
        self.canv.line(0, 4, 40 * mm, 4)
