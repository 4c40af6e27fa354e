"""What a Word document says, as plain data: headings, paragraphs (with list level) and tables (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 0 for the document's title, 1 for Heading 1, ...
    number: int = 0  # the paragraph's position, as for Paragraph


@dataclass(frozen=True)
class Paragraph:
    text: str
    number: int  # the paragraph's position among the document's paragraphs, from 1, for locations
    list_level: int | None = None  # None: not a list item; 0: a top-level item, 1: nested once, ...
    numbered: bool = False  # a numbered (not bulleted) list item


@dataclass(frozen=True)
class Row:
    """One table row: `cells` once per cell (a cell merged across columns appears once), `grid` once per
    column (a merged cell repeated in each column it covers); a cell merged down repeats its text."""

    cells: tuple[str, ...]
    grid: tuple[str, ...]
    # Per grid column, whether it starts a cell (False: the cell to its left is merged across it);
    # empty when no cell is merged across.
    starts: tuple[bool, ...] = ()

    def starts_cell(self, column: int) -> bool:
        return not self.starts or self.starts[column]

    @property
    def across(self) -> bool:
        """One cell spanning the whole row: a sub-heading inside the table."""
        return len(self.cells) == 1 and len(self.grid) > 1

    @property
    def empty(self) -> bool:
        return not any(self.cells)


@dataclass(frozen=True)
class Table:
    number: int  # from 1, in document order
    rows: tuple[Row, ...]


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class Properties:
    """The document's own properties (File > Info in Word), used only when its text gives nothing."""

    title: str = ""


@dataclass(frozen=True)
class Source:
    name: str  # the file's name, for messages
    blocks: tuple[Block, ...]
    properties: Properties = field(default_factory=Properties)
