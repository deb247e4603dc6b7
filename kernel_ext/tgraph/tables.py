"""A compact table for cells that only declare symbolic inputs or types."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .protocol import Declared

_COLUMNS = ("name", "type", "dtype", "ndim", "shape")


@dataclass
class DeclaredTable:
    """Displays as an HTML table (and aligned text), every cell escaped."""

    rows: Sequence[Declared]

    def _cells(self) -> list[list[str]]:
        return [[str(getattr(row, c)) for c in _COLUMNS] for row in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in cells) + "</tr>"
            for cells in self._cells()
        )
        return (
            '<table class="tg-declared"><thead><tr>'
            f"{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def __repr__(self) -> str:
        table = [list(_COLUMNS), *self._cells()]
        widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
        lines = ("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in table)
        return "\n".join(line.rstrip() for line in lines)

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}


def declared_table(rows: Sequence[Declared]) -> DeclaredTable:
    """What ``%%tgraph`` shows for a cell that declared inputs but built no graph."""
    return DeclaredTable(list(rows))
