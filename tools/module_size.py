"""Fails when a source module passes the line limit of ``[tool.module-size]`` in pyproject.toml.

A module past a few hundred lines usually holds more than one job; the
limit makes splitting it part of the change that grows it. Run by
``make lint``: ``python tools/module_size.py [ROOT]``.
"""

from __future__ import annotations

import fnmatch
import sys
import tomllib
from pathlib import Path


def too_long(root: Path) -> list[tuple[str, int]]:
    """``(path, lines)`` of every source module over the limit, longest first."""
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["module-size"]
    limit, excluded = int(config["limit"]), list(config["exclude"])
    found = []
    for top in config["paths"]:
        for path in sorted((root / top).rglob("*")):
            name = path.relative_to(root).as_posix()
            if path.suffix not in config["suffixes"] or not path.is_file():
                continue
            if any(name.startswith(f"{e}/") or fnmatch.fnmatch(path.name, e) for e in excluded):
                continue
            lines = len(path.read_text("utf-8").splitlines())
            if lines > limit:
                found.append((name, lines))
    return sorted(found, key=lambda item: -item[1])


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    found = too_long(root)
    for name, lines in found:
        print(f"{name}: {lines} lines, past the limit of [tool.module-size]; split it by job")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
