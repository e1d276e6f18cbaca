"""Excel helpers shared by the run report and the manager's dashboard (openpyxl).

One look for every workbook caserobot writes: white bold headers on dark blue, columns as
wide as their contents (up to a limit), a bold title line, thousands separated by a space.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["HEADER_FILL", "HEADER_FONT", "KRONOR_FORMAT", "PERCENT_FORMAT", "table", "title"]

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
KRONOR_FORMAT = "# ##0"
PERCENT_FORMAT = "0.0%"
_MAX_WIDTH = 60


def table(ws: Any, header: list[str], rows: list[list[Any]], *, freeze: bool = True) -> int:
    """Append a table (styled header, then the rows) to a sheet; returns the header's row.

    Columns are widened to fit the first 500 rows. ``freeze`` keeps the header in view
    (only sensible when the table starts the sheet).
    """
    ws.append(header)
    header_row = int(ws.max_row)
    for cell in ws[header_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for row in rows:
        ws.append(row)
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:500]]) + 2
        letter = get_column_letter(i)
        # a second table on the sheet never narrows what an earlier one widened
        earlier = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = min(max(width, earlier), _MAX_WIDTH)
    if freeze:
        ws.freeze_panes = f"A{header_row + 1}"
    return header_row


def title(ws: Any, text: str, *subtitles: str) -> None:
    """A bold title line, then subtitle lines, then an empty line."""
    ws.append([text])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=14)
    for line in subtitles:
        ws.append([line])
    ws.append([])
