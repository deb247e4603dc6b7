"""SVG to PDF or PNG for exporters that cannot take SVG (nbconvert's LaTeX and PDF).

nbconvert converts ``image/svg+xml`` outputs for LaTeX with Inkscape, which
few machines have. Pointed at this module, it uses CairoSVG instead::

    jupyter nbconvert --to pdf notebook.ipynb \\
        --SVG2PDFPreprocessor.command='python -m tgraph.export {from_filename} {to_filename}'

CairoSVG (``pip install cairosvg``) is optional: only this conversion needs it.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any


def convert(source: Path, target: Path) -> None:
    """Write ``source`` (SVG) to ``target`` as PDF or PNG, chosen by its suffix."""
    try:
        import cairosvg
    except ImportError as missing:
        raise SystemExit("tgraph.export needs CairoSVG: pip install cairosvg") from missing
    if target.suffix.lower() == ".png":
        cairosvg.svg2png(url=str(source), write_to=str(target), scale=2)
    else:
        cairosvg.svg2pdf(url=str(source), write_to=str(target))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tgraph.export IN.svg OUT.pdf|OUT.png", file=sys.stderr)
        return 2
    convert(Path(argv[0]), Path(argv[1]))
    return 0


class _Callable(types.ModuleType):
    """``tgraph.export(f, x, path="graph.svg")`` is the API's export (``tgraph.api``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .api import export

        return export(*args, **kwargs)


sys.modules[__name__].__class__ = _Callable

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
